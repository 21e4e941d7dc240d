package dev.llamasimd.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.llamasimd.testing.Fuzzing;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of the JSON reader behind config.json, tokenizer.json, tokenizer_config.json
 * and the safetensors header: any text parses or fails with a {@link JsonException}; any bytes read as a
 * file parse or fail with a {@link ModelFormatException} naming the file. Seeds and kept findings:
 * {@code src/test/resources/dev/llamasimd/io/JsonFuzzTestInputs/json}.
 */
class JsonFuzzTest {
    private static final Path FILE = Path.of("fuzz.json");

    @FuzzTest
    void json(byte[] data) {
        Fuzzing.expect(JsonException.class, null, data.length,
                () -> Json.parse(new String(data, StandardCharsets.UTF_8)));
        Fuzzing.expect(ModelFormatException.class, FILE, data.length,
                () -> Json.parse(data, 0, data.length, FILE, 0, "fuzz: "));
    }
}
