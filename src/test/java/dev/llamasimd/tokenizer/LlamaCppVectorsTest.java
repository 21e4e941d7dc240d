package dev.llamasimd.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.llamasimd.testing.Shared;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * llama.cpp's {@code test-tokenizer-0} vectors in ../shared/tokenizers, read straight from the
 * {@code .inp}/{@code .out} files: every string encodes (no BOS, no special parsing) to the listed ids,
 * and decodes back to itself.
 */
class LlamaCppVectorsTest {
    private static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    @TestFactory
    Stream<DynamicTest> llamaSpm() throws IOException {
        return vectors("llama-spm");
    }

    @TestFactory
    Stream<DynamicTest> gpt2() throws IOException {
        return vectors("gpt-2");
    }

    @TestFactory
    Stream<DynamicTest> llamaBpe() throws IOException {
        return vectors("llama-bpe");
    }

    @TestFactory
    Stream<DynamicTest> qwen2() throws IOException {
        return vectors("qwen2");
    }

    /** The test strings of an {@code .inp} file: the text before each separator. */
    static List<String> inputs(Path inp) throws IOException {
        String all = Files.readString(inp, StandardCharsets.UTF_8);
        List<String> tests = new ArrayList<>();
        for (int at = 0, next; (next = all.indexOf(SEPARATOR, at)) >= 0; at = next + SEPARATOR.length()) {
            tests.add(all.substring(at, next));
        }
        return tests;
    }

    /** The expected ids of an {@code .out} file, one line per test. */
    static List<int[]> outputs(Path out) throws IOException {
        return Files.readAllLines(out, StandardCharsets.UTF_8).stream()
                .map(line -> line.isBlank() ? new int[0]
                        : Arrays.stream(line.strip().split(" ")).mapToInt(Integer::parseInt).toArray())
                .toList();
    }

    private static Stream<DynamicTest> vectors(String vocab) throws IOException {
        Path gguf = Shared.require("tokenizers/ggml-vocab-" + vocab + ".gguf");
        Path inp = Shared.require("tokenizers/ggml-vocab-" + vocab + ".gguf.inp");
        Path out = Shared.require("tokenizers/ggml-vocab-" + vocab + ".gguf.out");
        Tokenizer tokenizer = Tokenizers.load(gguf);
        List<String> texts = inputs(inp);
        List<int[]> expected = outputs(out);
        assertEquals(46, texts.size(), "tests in " + inp);
        assertEquals(texts.size(), expected.size(), "lines in " + out);
        return IntStream.range(0, texts.size()).mapToObj(i -> DynamicTest.dynamicTest(
                vocab + " #" + i + " " + Quote.of(texts.get(i)), () -> {
                    int[] ids = tokenizer.encode(texts.get(i), false, false);
                    assertArrayEquals(expected.get(i), ids, () -> "ids of " + Quote.of(texts.get(i)) + ": " + Arrays.toString(ids));
                    assertEquals(texts.get(i), tokenizer.decode(ids, false), "decode(encode(text))");
                }));
    }
}
