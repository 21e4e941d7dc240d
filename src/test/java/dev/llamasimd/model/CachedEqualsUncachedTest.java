package dev.llamasimd.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.generate.CacheType;
import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.kernels.TypeKernels;
import dev.llamasimd.tensor.GgmlType;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * The KV cache changes nothing: for random models, prompts and chunkings, the logits computed
 * through the cache (the prompt fed in random chunks) equal those recomputed from scratch for
 * every position.
 */
class CachedEqualsUncachedTest {

    @Provide
    Arbitrary<GgmlType> types() {
        return Arbitraries.oneOf(Arbitraries.just(GgmlType.F32), Arbitraries.of(TypeKernels.types()));
    }

    @Property(tries = 60)
    void cachedLogitsEqualUncached(@ForAll("types") GgmlType type,
                                   @ForAll boolean tied,
                                   @ForAll @IntRange(min = 1, max = 64) int n,
                                   @ForAll @IntRange(min = 1, max = 2) int threads,
                                   @ForAll long seed) {
        Random rnd = new Random(seed);
        Config c = RandomModels.config(rnd, type);
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = rnd.nextInt(c.vocabSize());
        }
        try (Arena arena = Arena.ofShared(); Parallel parallel = Parallel.pool(threads)) {
            Llama model = RandomModels.model(c, type, tied, rnd, parallel, arena);
            int vocab = c.vocabSize();
            float[] cached = new float[n * vocab];
            try (KvCache cache = model.newCache(n)) {
                State s = model.newState(n, n, true);
                for (int pos = 0; pos < n; ) {
                    int chunk = Math.min(n - pos, 1 + rnd.nextInt(Math.max(1, n / 2)));
                    model.forward(s, cache, tokens, pos, chunk, pos);
                    System.arraycopy(s.logits, 0, cached, pos * vocab, chunk * vocab);
                    pos += chunk;
                }
            }
            float[] uncached = new float[n * vocab];
            try (KvCache cache = model.newCache(n)) {
                State s = model.newState(n, n, false);
                for (int p = 0; p < n; p++) {
                    cache.truncate(0);
                    model.forward(s, cache, tokens, 0, p + 1, 0);
                    System.arraycopy(s.logits, 0, uncached, p * vocab, vocab);
                }
            }
            double maxLogit = 0;
            double maxDiff = 0;
            for (int i = 0; i < cached.length; i++) {
                assertTrue(Float.isFinite(cached[i]), "non-finite logit");
                maxLogit = Math.max(maxLogit, Math.abs(uncached[i]));
                maxDiff = Math.max(maxDiff, Math.abs(cached[i] - uncached[i]));
            }
            assertTrue(maxDiff <= 1e-5 * maxLogit,
                    c + " " + type + ": cached vs uncached differ by " + maxDiff + " (max |logit| " + maxLogit + ")");
        }
    }

    @Property(tries = 20)
    void logitsAreBitIdenticalAtAnyThreadCount(@ForAll("types") GgmlType type,
                                               @ForAll CacheType cacheType,
                                               @ForAll @IntRange(min = 1, max = 40) int n,
                                               @ForAll long seed) {
        float[][] runs = new float[4][];
        for (int run = 0; run < runs.length; run++) {
            Random rnd = new Random(seed);
            Config c = RandomModels.config(rnd, type);
            int[] tokens = rnd.ints(n, 0, c.vocabSize()).toArray();
            try (Arena arena = Arena.ofShared(); Parallel parallel = Parallel.pool(1 + run % 2)) {
                Llama model = RandomModels.model(c, type, false, rnd, parallel, arena);
                try (KvCache cache = model.newCache(n, cacheType)) {
                    State s = model.newState(n, n, true);
                    model.forward(s, cache, tokens, 0, n, 0);
                    runs[run] = Arrays.copyOf(s.logits, n * c.vocabSize());
                }
            }
        }
        for (int run = 1; run < runs.length; run++) {
            assertArrayEquals(runs[0], runs[run], cacheType + " cache: run " + run + " (" + (1 + run % 2) + " threads) differs");
        }
    }
}
