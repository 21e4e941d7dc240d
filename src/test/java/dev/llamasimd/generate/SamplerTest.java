package dev.llamasimd.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class SamplerTest {

    static float[] logits(long seed, int n) {
        Random rnd = new Random(seed);
        float[] l = new float[n];
        for (int i = 0; i < n; i++) {
            l[i] = (float) (rnd.nextGaussian() * 3);
        }
        return l;
    }

    /** Ids sorted by logit, descending (ties: lower id first). */
    static Integer[] ranking(float[] l) {
        Integer[] order = new Integer[l.length];
        for (int i = 0; i < l.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> l[a] != l[b] ? Float.compare(l[b], l[a]) : Integer.compare(a, b));
        return order;
    }

    static double[] softmax(float[] l) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : l) {
            max = Math.max(max, v);
        }
        double[] p = new double[l.length];
        double sum = 0;
        for (int i = 0; i < l.length; i++) {
            p[i] = Math.exp(l[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < l.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    @Property(tries = 200)
    void topKNeverPicksBeyondTheKth(@ForAll @IntRange(min = 2, max = 300) int vocab, @ForAll @IntRange(min = 1, max = 20) int k,
                                    @ForAll long seed) {
        float[] l = logits(seed, vocab);
        Integer[] rank = ranking(l);
        Sampler s = new Sampler(SamplingParams.DEFAULTS.withTemperature(1.5f).withTopK(k).withTopP(1).withMinP(0)
                .withSeed(seed), vocab);
        for (int draw = 0; draw < 50; draw++) {
            int id = s.sample(l, 0, new IntArrayList());
            int position = Arrays.asList(rank).indexOf(id);
            assertTrue(position < k, "picked rank " + position + " with top-k " + k);
        }
    }

    @Property(tries = 200)
    void topPNeverPicksOutsideTheNucleus(@ForAll @IntRange(min = 2, max = 300) int vocab,
                                         @ForAll @FloatRange(min = 0.05f, max = 0.99f) float p, @ForAll long seed) {
        float[] l = logits(seed, vocab);
        Integer[] rank = ranking(l);
        double[] prob = softmax(l);
        int nucleus = 0;
        double cumulative = 0;
        while (cumulative < p - 1e-6) {
            cumulative += prob[rank[nucleus++]];
        }
        Sampler s = new Sampler(SamplingParams.DEFAULTS.withTemperature(2f).withTopK(0).withTopP(p).withMinP(0)
                .withSeed(seed), vocab);
        for (int draw = 0; draw < 50; draw++) {
            int position = Arrays.asList(rank).indexOf(s.sample(l, 0, new IntArrayList()));
            assertTrue(position < nucleus + 1, "picked rank " + position + ", nucleus of " + nucleus + " for p " + p);
        }
    }

    @Property(tries = 200)
    void minPNeverPicksAnUnlikelyToken(@ForAll @IntRange(min = 2, max = 300) int vocab,
                                       @ForAll @FloatRange(min = 0.01f, max = 0.9f) float minP, @ForAll long seed) {
        float[] l = logits(seed, vocab);
        double[] prob = softmax(l);
        double top = Arrays.stream(prob).max().orElseThrow();
        Sampler s = new Sampler(SamplingParams.DEFAULTS.withTemperature(3f).withTopK(0).withTopP(1).withMinP(minP)
                .withSeed(seed), vocab);
        for (int draw = 0; draw < 50; draw++) {
            int id = s.sample(l, 0, new IntArrayList());
            assertTrue(prob[id] >= minP * top * (1 - 1e-5), "p " + prob[id] + " < " + minP + " × " + top);
        }
    }

    @Property(tries = 100)
    void sameSeedSameSequence(@ForAll @IntRange(min = 2, max = 500) int vocab, @ForAll long seed) {
        int[][] runs = new int[2][40];
        for (int[] run : runs) {
            Sampler s = new Sampler(SamplingParams.DEFAULTS.withTemperature(1f).withSeed(seed), vocab);
            IntArrayList history = new IntArrayList();
            for (int i = 0; i < run.length; i++) {
                run[i] = s.sample(logits(seed + i, vocab), 0, history);
                history.add(run[i]);
            }
        }
        assertArrayEquals(runs[0], runs[1]);
    }

    /** As the temperature falls below the gap between the two best logits, sampling becomes greedy. */
    @Property(tries = 100)
    void temperatureTowardsZeroIsGreedy(@ForAll @IntRange(min = 2, max = 500) int vocab, @ForAll long seed) {
        float[] l = logits(seed, vocab);
        Integer[] rank = ranking(l);
        float gap = l[rank[0]] - l[rank[1]];
        Assume.that(gap > 0);
        int greedy = new Sampler(SamplingParams.GREEDY, vocab).sample(l, 0, new IntArrayList());
        assertEquals(rank[0], greedy);
        Sampler cold = new Sampler(SamplingParams.DEFAULTS.withTemperature(gap / 100).withSeed(seed), vocab);
        for (int draw = 0; draw < 20; draw++) {
            assertEquals(greedy, cold.sample(l, 0, new IntArrayList()));
        }
    }

    @Test
    void repeatPenaltyTurnsAwayFromRepeatedTokens() {
        float[] l = {2f, 1.9f, -1f};
        IntArrayList history = IntArrayList.of(0, 0);
        assertEquals(0, new Sampler(SamplingParams.GREEDY, 3).sample(l, 0, history));
        Sampler penalised = new Sampler(SamplingParams.GREEDY.withPenalties(1.1f, 0f, 0f, 64), 3);
        assertEquals(1, penalised.sample(l, 0, history));
        Sampler frequency = new Sampler(SamplingParams.GREEDY.withPenalties(1f, 0.06f, 0f, 64), 3);
        assertEquals(1, frequency.sample(l, 0, history), "2 - 2 × 0.06 < 1.9");
        Sampler presence = new Sampler(SamplingParams.GREEDY.withPenalties(1f, 0f, 0.06f, 64), 3);
        assertEquals(0, presence.sample(l, 0, history), "2 - 0.06 > 1.9");
        Sampler outsideWindow = new Sampler(SamplingParams.GREEDY.withPenalties(1.1f, 0f, 0f, 1), 3);
        assertEquals(1, outsideWindow.sample(l, 0, IntArrayList.of(2, 0)));
        assertEquals(0, outsideWindow.sample(l, 0, IntArrayList.of(0, 2)), "token 0 is outside a window of 1");
        assertArrayEquals(new float[] {2f, 1.9f, -1f}, l, "logits unchanged");
    }

    @Test
    void samplingFollowsTheDistribution() {
        float[] l = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.2)};
        Sampler s = new Sampler(SamplingParams.DEFAULTS.withTemperature(1f).withTopK(0).withTopP(1).withMinP(0).withSeed(1), 3);
        int[] counts = new int[3];
        for (int i = 0; i < 30_000; i++) {
            counts[s.sample(l, 0, new IntArrayList())]++;
        }
        assertEquals(0.5, counts[0] / 30_000.0, 0.02);
        assertEquals(0.3, counts[1] / 30_000.0, 0.02);
        assertEquals(0.2, counts[2] / 30_000.0, 0.02);
        assertNotEquals(0, counts[2]);
    }

    @Test
    void invalidParametersAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> SamplingParams.DEFAULTS.withTopP(0));
        assertThrows(IllegalArgumentException.class, () -> SamplingParams.DEFAULTS.withTopP(1.5f));
        assertThrows(IllegalArgumentException.class, () -> SamplingParams.DEFAULTS.withMinP(-0.1f));
        assertThrows(IllegalArgumentException.class, () -> SamplingParams.DEFAULTS.withTopK(-1));
        assertThrows(IllegalArgumentException.class, () -> SamplingParams.DEFAULTS.withPenalties(0f, 0f, 0f, 64));
        assertThrows(IllegalArgumentException.class, () -> SamplingParams.DEFAULTS.withTemperature(Float.NaN));
    }
}
