package dev.llamasimd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class OpenAiJsonTest {
    /**
     * Found by OpenAiRequestFuzzTest: a body whose first bytes ({@code { NUL NUL NUL}) make Jackson read it as
     * UTF-32 failed with a CharConversionException wrapped in an UncheckedIOException (a 500), not a 400.
     */
    @Test
    void aBodyThatIsNoTextIsABadRequest() {
        byte[] body = ("{\0\0\0\0\"model\":\"tiny-kjv\"}").getBytes(StandardCharsets.ISO_8859_1);
        ApiError e = assertThrows(ApiError.class, () -> OpenAiJson.parse(body));
        assertEquals(400, e.status);
        assertEquals("invalid_json", e.code);
    }
}
