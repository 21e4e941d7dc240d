package dev.llamasimd.server;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import dev.llamasimd.testing.Fuzzing;

/**
 * Coverage-guided fuzzing of the server's request reader: any request body is read, for both
 * endpoints, into a request or refused with an {@link ApiError} (the 4xx answer naming the field),
 * within the bounds of {@link Fuzzing}. Seeds and kept findings:
 * {@code src/test/resources/dev/llamasimd/server/OpenAiRequestFuzzTestInputs/parse}.
 */
class OpenAiRequestFuzzTest {
    private static final String MODEL = "tiny-kjv";
    private static final int MAX_TOKENS = 256;

    @FuzzTest
    void parse(byte[] data) {
        JsonNode body = Fuzzing.expect(ApiError.class, null, data.length, () -> OpenAiJson.parse(data));
        if (body != null) {
            for (Endpoint endpoint : Endpoint.values()) {
                Fuzzing.expect(ApiError.class, null, data.length,
                        () -> OpenAiRequests.parse(endpoint, body, MODEL, MAX_TOKENS));
            }
        }
    }
}
