package dev.llamasimd.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.llamasimd.generate.CacheType;
import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.kernels.TypeKernels;
import dev.llamasimd.tensor.GgmlType;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * A sequence's logits do not depend on what it is batched with: several sequences, each a
 * prompt then decode steps, run together in random steps (prompt chunks of random sizes beside
 * other sequences' decode rows, sequences joining late) give, bit for bit, the logits each gives
 * alone (prompt in one call, then one token per call), at any thread count, with KV caches of
 * every element type.
 */
class BatchAcrossSequencesTest {

    @Provide
    Arbitrary<GgmlType> types() {
        return Arbitraries.oneOf(Arbitraries.just(GgmlType.F32), Arbitraries.of(TypeKernels.types()));
    }

    /** One sequence: its prompt, the tokens it is fed after it, and the logits of each step alone. */
    private record Sequence(int[] prompt, int[] decoded, List<float[]> logits) {}

    @Property(tries = 60)
    void batchedLogitsEqualEachSequenceAlone(@ForAll("types") GgmlType type,
                                             @ForAll CacheType cacheType,
                                             @ForAll @IntRange(min = 1, max = 6) int sequences,
                                             @ForAll @IntRange(min = 1, max = 2) int threads,
                                             @ForAll long seed) {
        Random rnd = new Random(seed);
        Config c = RandomModels.config(rnd, type);
        int vocab = c.vocabSize();
        int context = 48;
        try (Arena arena = Arena.ofShared(); Parallel parallel = Parallel.pool(threads)) {
            Llama model = RandomModels.model(c, type, rnd.nextBoolean(), rnd, parallel, arena);
            List<Sequence> all = new ArrayList<>();
            for (int i = 0; i < sequences; i++) {
                int[] prompt = tokens(rnd, 1 + rnd.nextInt(20), vocab);
                int[] decoded = tokens(rnd, rnd.nextInt(12), vocab);
                all.add(new Sequence(prompt, decoded, alone(model, prompt, decoded, context, cacheType)));
            }
            // together: each step holds a prompt chunk of every sequence still prefilling, then a
            // decode row of every sequence decoding; a sequence starts after a random delay
            State s = model.newBatchState(64, 64, context);
            Batch batch = new Batch(64);
            KvCache[] caches = new KvCache[sequences];
            int[] fed = new int[sequences];
            int[] delay = new int[sequences];
            List<List<float[]>> got = new ArrayList<>();
            for (int i = 0; i < sequences; i++) {
                caches[i] = model.newCache(context, cacheType);
                delay[i] = rnd.nextInt(4);
                got.add(new ArrayList<>());
            }
            try {
                for (int step = 0; ; step++) {
                    batch.clear();
                    int[] logitRow = new int[sequences];
                    Arrays.fill(logitRow, -1);
                    boolean any = false;
                    for (int i = 0; i < sequences; i++) {
                        Sequence q = all.get(i);
                        if (step < delay[i] || fed[i] >= q.prompt.length) {
                            continue;
                        }
                        int n = Math.min(q.prompt.length - fed[i], 1 + rnd.nextInt(8));
                        for (int k = 0; k < n; k++) {
                            int pos = fed[i] + k;
                            int r = batch.addPrompt(caches[i], q.prompt[pos], pos, pos == q.prompt.length - 1);
                            if (r >= 0) {
                                logitRow[i] = r;
                            }
                        }
                        fed[i] += n;
                        any = true;
                    }
                    for (int i = 0; i < sequences; i++) {
                        Sequence q = all.get(i);
                        int d = fed[i] - q.prompt.length;
                        if (logitRow[i] >= 0 || step < delay[i] || d < 0 || d >= q.decoded.length) {
                            continue;
                        }
                        logitRow[i] = batch.addDecode(caches[i], q.decoded[d], fed[i]);
                        fed[i]++;
                        any = true;
                    }
                    if (!any) {
                        if (step > 4) {
                            break;
                        }
                        continue;
                    }
                    model.forward(s, batch);
                    for (int i = 0; i < sequences; i++) {
                        if (logitRow[i] >= 0) {
                            got.get(i).add(Arrays.copyOfRange(s.logits, logitRow[i] * vocab, (logitRow[i] + 1) * vocab));
                        }
                    }
                }
            } finally {
                for (KvCache cache : caches) {
                    cache.close();
                }
            }
            for (int i = 0; i < sequences; i++) {
                List<float[]> want = all.get(i).logits;
                for (int k = 0; k < want.size(); k++) {
                    assertArrayEquals(want.get(k), got.get(i).get(k),
                            c + " " + type + ", " + cacheType + " cache: sequence " + i + ", step " + k);
                }
            }
        }
    }

    /** The prompt's last logits, then each decoded token's, one sequence alone. */
    private static List<float[]> alone(Llama model, int[] prompt, int[] decoded, int context, CacheType cacheType) {
        int vocab = model.config().vocabSize();
        List<float[]> out = new ArrayList<>();
        try (KvCache cache = model.newCache(context, cacheType)) {
            State s = model.newBatchState(prompt.length, 1, context);
            Batch b = new Batch(prompt.length);
            for (int pos = 0; pos < prompt.length; pos++) {
                b.addPrompt(cache, prompt[pos], pos, pos == prompt.length - 1);
            }
            model.forward(s, b);
            out.add(Arrays.copyOf(s.logits, vocab));
            for (int k = 0; k < decoded.length; k++) {
                b.clear();
                b.addDecode(cache, decoded[k], prompt.length + k);
                model.forward(s, b);
                out.add(Arrays.copyOf(s.logits, vocab));
            }
        }
        return out;
    }

    private static int[] tokens(Random rnd, int n, int vocab) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = rnd.nextInt(vocab);
        }
        return t;
    }

    @Test
    void batchRulesAreChecked() {
        Random rnd = new Random(1);
        Config c = RandomModels.config(rnd, GgmlType.F32);
        try (Arena arena = Arena.ofShared(); Parallel parallel = Parallel.serial()) {
            Llama model = RandomModels.model(c, GgmlType.F32, true, rnd, parallel, arena);
            try (KvCache a = model.newCache(8); KvCache b = model.newCache(8)) {
                Batch batch = new Batch(4);
                batch.addDecode(a, 0, 0);
                assertThrows(IllegalStateException.class, () -> batch.addPrompt(b, 0, 0, false));
                batch.clear();
                batch.addPrompt(a, 0, 0, false);
                assertThrows(IllegalArgumentException.class, () -> batch.addPrompt(a, 0, 2, false));
                batch.addPrompt(b, 0, 0, false);
                assertThrows(IllegalArgumentException.class, () -> batch.addPrompt(a, 0, 1, false));
                assertThrows(IllegalArgumentException.class, () -> batch.addDecode(b, 0, 8));
                batch.clear();
                batch.addDecode(a, 0, 3);
                State s = model.newBatchState(4, 4, 8);
                IllegalArgumentException gap = assertThrows(IllegalArgumentException.class, () -> model.forward(s, batch));
                org.junit.jupiter.api.Assertions.assertTrue(gap.getMessage().contains("gap"), gap.getMessage());
            }
        }
    }
}
