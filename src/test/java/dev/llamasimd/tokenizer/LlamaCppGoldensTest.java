package dev.llamasimd.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.llamasimd.io.Json;
import dev.llamasimd.testing.Shared;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * ../shared/oracles/llamacpp/tokenizer-goldens.json: llama.cpp's ids for 21 strings with BOS added
 * ({@code ids_add_special}) and with special-token text parsed ({@code ids_parse_special_no_bos}), for the
 * Llama 2 SentencePiece vocabulary (ggml-vocab-llama-spm.gguf, whose tokenizer keys the tiny models the goldens
 * were made with carry, and one of those models) and the Llama 3 byte-level vocabulary (ggml-vocab-llama-bpe.gguf).
 */
class LlamaCppGoldensTest {
    private static final String GOLDENS = "oracles/llamacpp/tokenizer-goldens.json";

    @TestFactory
    Stream<DynamicTest> llamaSpm() throws IOException {
        return goldens("llama-spm", Shared.require("tokenizers/ggml-vocab-llama-spm.gguf"));
    }

    @TestFactory
    Stream<DynamicTest> llamaSpmModel() throws IOException {
        return goldens("llama-spm", Shared.require("oracles/llamacpp/tiny-llama-spm-d64-Q4_0.gguf"));
    }

    @TestFactory
    Stream<DynamicTest> llamaBpe() throws IOException {
        return goldens("llama-bpe", Shared.require("tokenizers/ggml-vocab-llama-bpe.gguf"));
    }

    private static Stream<DynamicTest> goldens(String vocab, Path model) throws IOException {
        List<Json.Obj> cases = Json.parseObject(Shared.require(GOLDENS)).getObject(vocab).getObjectList("cases");
        Tokenizer tokenizer = Tokenizers.load(model);
        return cases.stream().flatMap(c -> {
            String text = c.getString("text");
            return Stream.of(
                    DynamicTest.dynamicTest(vocab + " add_special " + Quote.of(text),
                            () -> check(ints(c, "ids_add_special"), tokenizer.encode(text, true, false), text)),
                    DynamicTest.dynamicTest(vocab + " parse_special " + Quote.of(text),
                            () -> check(ints(c, "ids_parse_special_no_bos"), tokenizer.encode(text, false, true), text)));
        });
    }

    private static void check(int[] expected, int[] actual, String text) {
        assertArrayEquals(expected, actual, () -> "ids of " + Quote.of(text) + ": " + Arrays.toString(actual));
    }

    static int[] ints(Json.Obj obj, String key) {
        return obj.getList(key).stream().mapToInt(v -> ((Long) v).intValue()).toArray();
    }
}
