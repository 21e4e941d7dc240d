package dev.llamasimd.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.io.GgufFile;
import dev.llamasimd.kernels.Vec;
import dev.llamasimd.model.LogitsRun;
import dev.llamasimd.tensor.FileType;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.testing.Shared;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What is bit-identical and what is not, on shipped models: the logits of one prompt (its rows
 * from one batched forward, then single-token decode rows, so both arithmetics are covered) are
 * the same bits at any thread count and in every JIT tier (a forked {@code -Xint} JVM against this
 * warm C2 JVM); at another vector width (512, 256, 128 bits) they differ in the last bits, by
 * less than {@link #ACROSS_WIDTHS}, with the same argmax in every row.
 */
class DeterminismTest {
    /** Token ids below 512, so valid in both the tiny-kjv and the stories260K vocabularies; BOS of stories260K first. */
    static final int[] PROMPT = {1, 258, 384, 279};
    /** Greedy tokens after the prompt: {@code GREEDY - 1} decode rows. */
    static final int GREEDY = 3;
    /** Largest |difference| of two vector widths' logits (measured on tiny-kjv Q8_0: 1.1e-5, logits up to 18). */
    static final double ACROSS_WIDTHS = 1e-4;

    @TempDir
    static Path dir;

    /** The shipped tiny-kjv Q8_0 (large enough that every product runs on the pool). */
    static Path kjv;
    /** stories260K, F32 and quantized to Q8_0 (F32 where a row is no whole number of blocks): small enough for -Xint. */
    static Path storiesF32;
    static Path storiesQ8;

    @BeforeAll
    static void models() throws IOException {
        kjv = Shared.require("models/tiny-kjv/tiny-kjv-Q8_0.gguf");
        storiesF32 = Shared.require("oracles/llama2c/stories260K-F32.gguf");
        storiesQ8 = dir.resolve("stories260K-Q8_0.gguf");
        Quantizer.quantize(storiesF32, storiesQ8, new Quantizer.Options(FileType.MOSTLY_Q8_0, false, false, 2), false,
                (i, n, name, from, to) -> { }, line -> { });
        try (GgufFile q8 = GgufFile.open(storiesQ8)) {
            assertTrue(q8.tensors().values().stream().anyMatch(t -> t.type() == GgmlType.Q8_0), "no Q8_0 tensor");
        }
    }

    @Test
    void sameBitsAtAnyThreadCount() {
        float[] serial = DeterminismMain.logits(kjv, 1);
        for (int threads : new int[] {2, 3, 7}) {
            assertSameBits(serial, DeterminismMain.logits(kjv, threads), "tiny-kjv Q8_0 at " + threads + " threads vs 1");
        }
    }

    @Test
    void sameBitsInTheInterpreterAsInC2() throws Exception {
        float[] f32 = DeterminismMain.logits(storiesF32, 2);
        float[] q8 = DeterminismMain.logits(storiesQ8, 2);
        // Until C2 has compiled the forward pass: every run on the way (interpreter, C1, C2) the same.
        long deadline = System.nanoTime() + 3_000_000_000L;
        for (int run = 0; run < 50 || System.nanoTime() < deadline; run++) {
            float[] warmF32 = DeterminismMain.logits(storiesF32, 2);
            float[] warmQ8 = DeterminismMain.logits(storiesQ8, 2);
            assertSameBits(f32, warmF32, "stories260K F32: run " + run + " vs the first");
            assertSameBits(q8, warmQ8, "stories260K Q8_0: run " + run + " vs the first");
            f32 = warmF32;
            q8 = warmQ8;
        }
        Forked xint = fork("xint", List.of("-Xint", "-Dllamasimd.vectorBits=" + Vec.F.vectorBitSize()), storiesF32, storiesQ8);
        assertEquals(Vec.F.vectorBitSize(), xint.vectorBits());
        assertSameBits(f32, xint.logits().get(0), "stories260K F32: -Xint JVM vs warm C2 JVM");
        assertSameBits(q8, xint.logits().get(1), "stories260K Q8_0: -Xint JVM vs warm C2 JVM");
    }

    @Test
    void vectorWidthsAgreeToRounding() throws Exception {
        List<Forked> widths = new ArrayList<>();
        for (int bits : new int[] {512, 256, 128}) {
            if (bits <= FloatVector.SPECIES_PREFERRED.vectorBitSize()) {
                Forked w = fork("w" + bits, List.of("-Dllamasimd.vectorBits=" + bits), kjv);
                assertEquals(bits, w.vectorBits());
                widths.add(w);
            }
        }
        float[] widest = widths.get(0).logits().get(0);
        int vocab = 2048;
        for (Forked w : widths.subList(1, widths.size())) {
            float[] other = w.logits().get(0);
            assertEquals(widest.length, other.length);
            int differ = 0;
            double max = 0;
            for (int i = 0; i < widest.length; i++) {
                differ += Float.floatToRawIntBits(widest[i]) != Float.floatToRawIntBits(other[i]) ? 1 : 0;
                max = Math.max(max, Math.abs(widest[i] - other[i]));
            }
            System.out.printf("tiny-kjv Q8_0, %d-bit vs %d-bit vectors: %d of %d logits differ, max |diff| %.3g%n",
                    widths.get(0).vectorBits(), w.vectorBits(), differ, widest.length, max);
            assertTrue(max <= ACROSS_WIDTHS, w.vectorBits() + "-bit vectors: max |diff| " + max);
            for (int row = 0; row < widest.length / vocab; row++) {
                assertEquals(LogitsRun.argmax(widest, row * vocab, vocab), LogitsRun.argmax(other, row * vocab, vocab),
                        w.vectorBits() + "-bit vectors: argmax of row " + row);
            }
        }
    }

    record Forked(int vectorBits, List<float[]> logits) {}

    /** Runs {@link DeterminismMain} on these models in a new JVM with these options, on 2 threads. */
    private static Forked fork(String name, List<String> options, Path... models) throws IOException, InterruptedException {
        Path out = dir.resolve(name + ".bits");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector"));
        cmd.addAll(options);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), DeterminismMain.class.getName(), "2", out.toString()));
        for (Path m : models) {
            cmd.add(m.toString());
        }
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), name + ": the JVM did not finish");
        assertEquals(0, p.exitValue(), name + ": " + log);
        try (DataInputStream in = new DataInputStream(Files.newInputStream(out))) {
            int bits = in.readInt();
            List<float[]> logits = new ArrayList<>();
            for (Path m : models) {
                float[] l = new float[in.readInt()];
                for (int i = 0; i < l.length; i++) {
                    l[i] = Float.intBitsToFloat(in.readInt());
                }
                logits.add(l);
            }
            System.out.printf("forked JVM %s (%d-bit vectors): %d ms%n", options, bits, (System.nanoTime() - t0) / 1_000_000);
            return new Forked(bits, logits);
        }
    }

    private static void assertSameBits(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": logits");
        int differ = 0;
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                differ++;
                max = Math.max(max, Math.abs(expected[i] - actual[i]));
            }
        }
        assertEquals(0, differ, what + ": " + differ + " of " + expected.length + " logits differ, by up to " + max);
    }
}
