package dev.llamasimd.model;

import dev.llamasimd.generate.CacheType;
import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.kernels.Vec;
import dev.llamasimd.model.LogitsRun;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Writes the logits of {@link DeterminismTest#PROMPT} and its greedy continuation on each model,
 * as float bits, for the test to compare across JVMs: {@code DeterminismMain THREADS OUT MODEL...}.
 * The file holds the vector width in bits that this JVM's kernels ran at, then per model the
 * number of logits and their bits.
 */
public final class DeterminismMain {
    private DeterminismMain() {}

    public static void main(String[] args) throws IOException {
        int threads = Integer.parseInt(args[0]);
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(Path.of(args[1])))) {
            out.writeInt(Vec.F.vectorBitSize());
            for (int m = 2; m < args.length; m++) {
                float[] logits = logits(Path.of(args[m]), threads);
                out.writeInt(logits.length);
                for (float f : logits) {
                    out.writeInt(Float.floatToRawIntBits(f));
                }
            }
        }
    }

    /** Every row of the prompt (one batched forward) and of the greedy decode steps after it. */
    static float[] logits(Path model, int threads) {
        try (Parallel parallel = Parallel.pool(threads); Llama llama = ModelLoader.load(model, parallel)) {
            LogitsRun.Result r = LogitsRun.cached(llama, DeterminismTest.PROMPT, DeterminismTest.PROMPT.length,
                    DeterminismTest.GREEDY, CacheType.F32);
            return Arrays.copyOf(r.logits(), r.rows() * r.vocab());
        }
    }
}
