package dev.llamasimd.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.io.Json;
import dev.llamasimd.testing.Shared;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * ../shared/models/tiny-kjv/golden/tokenizer-tests.json (57 strings, BOS added, special text parsed, equal to
 * {@code llama-tokenize}) through the model's F32 GGUF, the Q8_0 GGUF that ships in weights/ (same tokenizer
 * keys) and its Hugging Face {@code tokenizer.json}.
 */
class TinyKjvTokenizerTest {
    private static final String TESTS = "models/tiny-kjv/golden/tokenizer-tests.json";

    @TestFactory
    Stream<DynamicTest> gguf() throws IOException {
        return cases("gguf", Tokenizers.load(Shared.require("models/tiny-kjv/tiny-kjv-F32.gguf")));
    }

    @TestFactory
    Stream<DynamicTest> shippedGguf() {
        return cases("weights Q8_0", Tokenizers.load(Shared.weights("tiny-kjv-Q8_0.gguf")));
    }

    @TestFactory
    Stream<DynamicTest> huggingFace() throws IOException {
        Shared.require("models/tiny-kjv/hf/tokenizer.json");
        return cases("hf", Tokenizers.load(Shared.require("models/tiny-kjv/hf")));
    }

    @Test
    void bothFormsDescribeTheSameSpecialTokens() throws IOException {
        Tokenizer gguf = Tokenizers.load(Shared.weights("tiny-kjv-Q8_0.gguf"));
        Tokenizer hf = Tokenizers.load(Shared.require("models/tiny-kjv/hf"));
        for (Tokenizer t : List.of(gguf, hf)) {
            assertEquals(2048, t.vocabSize());
            assertEquals(2047, t.bos());
            assertEquals(2047, t.eos());
            assertTrue(t.addsBos());
            assertTrue(t.isEndOfGeneration(2047));
            assertTrue(t.isControl(2047));
            assertEquals("<|endoftext|>", t.piece(2047));
            assertEquals("Ġthe", t.piece(258));
        }
    }

    private static Stream<DynamicTest> cases(String form, Tokenizer tokenizer) {
        List<Json.Obj> cases = Json.parseObject(Shared.require(TESTS)).getObjectList("cases");
        assertEquals(57, cases.size());
        return cases.stream().map(c -> DynamicTest.dynamicTest(form + " " + Quote.of(c.getString("text")), () -> {
            String text = c.getString("text");
            int[] expected = LlamaCppGoldensTest.ints(c, "ids");
            int[] ids = tokenizer.encode(text, true, true);
            assertArrayEquals(expected, ids, () -> "ids of " + Quote.of(text) + ": " + Arrays.toString(ids));
            if (c.getBoolean("decode_roundtrip")) {
                assertEquals(text, tokenizer.decode(Arrays.copyOfRange(ids, 1, ids.length), true));
            }
        }));
    }
}
