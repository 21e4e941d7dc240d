package dev.llamasimd.model;

import dev.llamasimd.generate.CacheType;
import dev.llamasimd.kernels.Matmul;
import dev.llamasimd.kernels.Vec;
import dev.llamasimd.tensor.GgmlType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;

/**
 * Gets the JIT to compile the kernels before a model's first real request. The kernels do not
 * depend on the model's shape, so a tiny random model of each weight type the model uses
 * (written to a temporary GGUF by {@link SyntheticModel}) runs batches and decode steps, over KV
 * caches of every {@link CacheType}, on the model's own workers until they are compiled; the
 * real model's first prompt then runs at warm speed. Costs a fraction of a second and a few MB
 * of heap, once per JVM.
 */
public final class WarmUp {
    /** Rounds of batches of each token-group width ({@link Matmul#batch}) and a few decode steps. */
    private static final int ROUNDS = 10;
    private static final int SHORT_BATCH = 5;
    private static final int MEDIUM_BATCH = Vec.L + 3;
    private static final int DECODE_STEPS = 8;

    private WarmUp() {}

    /** Warms up the kernels {@code model} uses, on its workers. */
    public static void run(Llama model) {
        for (GgmlType type : types(model.weights())) {
            run(model, type);
        }
    }

    static Set<GgmlType> types(Weights w) {
        Set<GgmlType> types = EnumSet.noneOf(GgmlType.class);
        types.add(w.output().type());
        for (Weights.Layer l : w.layers()) {
            for (Matrix m : l.matrices()) {
                types.add(m.type());
            }
        }
        return types;
    }

    private static void run(Llama model, GgmlType type) {
        // rows of whole blocks: 128 values, or one super-block of the K-quants
        int dim = Math.max(128, type.blockSize);
        SyntheticModel.Shape shape = SyntheticModel.Shape.custom(dim, 2, 4, 2, 2 * dim, 1024, 256, false, 10000f);
        Path file = null;
        try {
            file = Files.createTempFile("llama-simd-warm-up-", ".gguf");
            SyntheticModel.write(shape, type, 1, file, true, SyntheticModel.Progress.NONE);
            try (Llama tiny = ModelLoader.load(file, model.parallel())) {
                int batch = Matmul.GROUP + 3;
                int[] tokens = new int[batch + DECODE_STEPS];
                for (int i = 0; i < tokens.length; i++) {
                    tokens[i] = (i * 37) % shape.vocabSize();
                }
                State state = tiny.newState(batch, tokens.length, false);
                // a scheduler's step: decode rows of two sequences at once
                State pair = tiny.newBatchState(2, 2, tokens.length);
                Batch two = new Batch(2);
                try (KvCache cache = tiny.newCache(tokens.length); KvCache other = tiny.newCache(tokens.length);
                        KvCache f16 = tiny.newCache(tokens.length, CacheType.F16);
                        KvCache bf16 = tiny.newCache(tokens.length, CacheType.BF16)) {
                    for (int r = 0; r < ROUNDS; r++) {
                        tiny.forward(state, cache, tokens, 0, SHORT_BATCH, 0);
                        tiny.forward(state, cache, tokens, 0, MEDIUM_BATCH, 0);
                        tiny.forward(state, cache, tokens, 0, batch, 0);
                        tiny.forward(state, other, tokens, 0, batch, 0);
                        for (int p = batch; p < tokens.length; p++) {
                            tiny.forward(state, cache, tokens, p, 1, p);
                        }
                        for (int p = batch; p < tokens.length; p++) {
                            two.clear();
                            two.addDecode(cache, tokens[p], p);
                            two.addDecode(other, tokens[p], p);
                            tiny.forward(pair, two);
                        }
                        // the 16-bit KV caches' attention
                        tiny.forward(state, f16, tokens, 0, batch, 0);
                        tiny.forward(state, bf16, tokens, 0, batch, 0);
                        for (int p = batch; p < tokens.length; p++) {
                            two.clear();
                            two.addDecode(f16, tokens[p], p);
                            two.addDecode(bf16, tokens[p], p);
                            tiny.forward(pair, two);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("warm-up: " + e.getMessage(), e);
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a temporary file; the OS cleans its folder
                }
            }
        }
    }
}
