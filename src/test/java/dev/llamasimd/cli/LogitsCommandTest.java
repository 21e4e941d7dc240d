package dev.llamasimd.cli;

import static dev.llamasimd.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.cli.Cli.Run;
import dev.llamasimd.io.Npy;
import dev.llamasimd.testing.Golden;
import dev.llamasimd.testing.Shared;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code logits} command end to end: arguments, output file, printed ids and exit codes. */
class LogitsCommandTest {
    @Test
    void withoutOutTheLastRowsTopIdsArePrinted(@TempDir Path dir) {
        Path model = Shared.require("oracles/llama2c/stories260K-F32.gguf");
        try (Golden g = new Golden(Shared.require("oracles/llama2c/stories260K.golden.safetensors"))) {
            int[] input = g.ints("input_ids");
            String tokens = Arrays.stream(input).mapToObj(Integer::toString).collect(Collectors.joining(","));
            Run r = run("logits", "--model", model.toString(), "--tokens", tokens);
            assertEquals(0, r.exit(), r.err());
            String[] lines = r.out().strip().split("\n");
            assertEquals(10, lines.length, r.out());
            float[] golden = g.floats("logits");
            int vocab = 512;
            int last = (input.length - 1) * vocab;
            int argmax = 0;
            for (int i = 1; i < vocab; i++) {
                argmax = golden[last + i] > golden[last + argmax] ? i : argmax;
            }
            String[] first = lines[0].split(" ");
            assertEquals("1", first[0]);
            assertEquals(argmax, Integer.parseInt(first[1]), "rank 1 is the golden argmax");
            assertEquals(golden[last + argmax], Float.parseFloat(first[2]), 1e-4);
            for (int i = 1; i < lines.length; i++) {
                assertTrue(Float.parseFloat(lines[i].split(" ")[2]) <= Float.parseFloat(lines[i - 1].split(" ")[2]), r.out());
            }
            assertTrue(r.err().contains("--out FILE.npy writes every logit"), r.err());
        }
    }

    @Test
    void allThreePathsWriteTheSameLogitsAndGreedyIds(@TempDir Path dir) {
        Path model = Shared.require("oracles/llama2c/stories260K-F32.gguf");
        try (Golden g = new Golden(Shared.require("oracles/llama2c/stories260K.golden.safetensors"))) {
            int[] input = g.ints("input_ids");
            int[] greedy = g.ints("generated_ids");
            String tokens = Arrays.stream(input).mapToObj(Integer::toString).collect(Collectors.joining(","));
            String expectedIds = Arrays.stream(greedy).limit(8).mapToObj(Integer::toString).collect(Collectors.joining(" "));
            float[] first = null;
            for (String[] mode : new String[][] {{}, {"--chunk", "7"}, {"--no-kv-cache"}}) {
                Path out = dir.resolve("l" + mode.length + ".npy");
                String[] args = concat(new String[] {"logits", "--model", model.toString(), "--tokens", tokens,
                    "--greedy", "8", "--threads", "2", "--out", out.toString()}, mode);
                Run r = run(args);
                assertEquals(0, r.exit(), r.err());
                assertEquals(expectedIds, r.out().strip(), "printed greedy ids " + Arrays.toString(mode));
                Npy.Floats npy = Npy.readFloats(out);
                assertArrayEquals(new long[] {input.length + 7, 512}, npy.shape());
                if (first == null) {
                    first = npy.data();
                } else {
                    // a batch and a single token sum in different orders: equal to rounding
                    float[] other = npy.data();
                    double max = 0;
                    double diff = 0;
                    for (int i = 0; i < first.length; i++) {
                        max = Math.max(max, Math.abs(first[i]));
                        diff = Math.max(diff, Math.abs(first[i] - other[i]));
                    }
                    assertTrue(diff <= 1e-5 * max, "paths differ by " + diff + ": " + Arrays.toString(mode));
                }
            }
        }
    }

    @Test
    void missingModelIsARuntimeErrorNamingTheFile(@TempDir Path dir) {
        Path missing = dir.resolve("nope.gguf");
        Run r = run("logits", "--model", missing.toString(), "--tokens", "1,2");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains(missing.toString()), r.err());
    }

    @Test
    void garbageFileIsARuntimeErrorNamingTheFile(@TempDir Path dir) throws Exception {
        Path bad = Files.write(dir.resolve("bad.gguf"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        Run r = run("logits", "--model", bad.toString(), "--tokens", "1,2");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains(bad.toString()) && r.err().contains("GGUF"), r.err());
    }

    @Test
    void tokenOutsideTheVocabularyIsNamed() {
        Path model = Shared.require("oracles/llama2c/stories260K-F32.gguf");
        Run r = run("logits", "--model", model.toString(), "--tokens", "1,512");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("token id 512"), r.err());
    }

    @Test
    void promptLongerThanTheContextIsRefused() {
        Path model = Shared.require("oracles/llama2c/stories260K-F32.gguf");
        Run r = run("logits", "--model", model.toString(), "--tokens", "1", "--greedy", "600");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("context length is 512"), r.err());
    }

    @Test
    void usageErrorsExitWithTwo() {
        assertEquals(2, run("logits", "--tokens", "1,2").exit(), "missing --model");
        assertEquals(2, run("logits", "--model", "x", "--tokens", "a,b").exit(), "non-numeric tokens");
        assertEquals(2, run("logits", "--model", "x", "--tokens", "1", "--chunk", "2", "--no-kv-cache").exit(),
                "--chunk with --no-kv-cache");
        assertEquals(2, run("logits", "--model", "x", "--tokens", "1", "--chunk", "0").exit(), "--chunk 0");
        assertEquals(2, run("nosuchcommand").exit());
    }

    @Test
    void noArgumentsPrintsUsage() {
        Run r = run();
        assertEquals(0, r.exit());
        assertTrue(r.out().contains("logits"), r.out());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
