package dev.llamasimd.generate;

import it.unimi.dsi.fastutil.Swapper;
import it.unimi.dsi.fastutil.ints.IntArrayList;
import it.unimi.dsi.fastutil.ints.IntComparator;
import java.util.SplittableRandom;

/**
 * Picks tokens from logits according to {@link SamplingParams}. Holds its scratch arrays and
 * random stream, so sampling allocates nothing per token. One per session; not thread-safe.
 */
final class Sampler {
    private final SamplingParams params;
    private final SplittableRandom random;
    /** Candidate token ids; the first {@code n} are live. */
    private final int[] ids;
    /** Their logits (then probabilities), parallel to {@link #ids}. */
    private final float[] values;
    /** Occurrences per token in the penalty window; zero outside {@link #seen}. */
    private final int[] counts;
    /** The distinct tokens of the penalty window. */
    private final int[] seen;
    private final IntComparator descending = this::before;
    private final Swapper swapper = this::swap;

    Sampler(SamplingParams params, int vocabSize) {
        this.params = params;
        this.random = new SplittableRandom(params.seed());
        this.ids = new int[vocabSize];
        this.values = new float[vocabSize];
        this.counts = new int[vocabSize];
        this.seen = new int[Math.min(vocabSize, Math.max(1, params.penaltyWindow()))];
    }

    SamplingParams params() {
        return params;
    }

    /**
     * Picks the next token from {@code logits[off..off+vocab)}; {@code history} is the sequence so
     * far (for the penalties). The logits are left unchanged.
     */
    int sample(float[] logits, int off, IntArrayList history) {
        int vocab = ids.length;
        for (int i = 0; i < vocab; i++) {
            ids[i] = i;
            values[i] = logits[off + i];
        }
        applyPenalties(history);
        if (params.greedy()) {
            return argmax(vocab);
        }
        int n = vocab;
        if (params.topK() > 0 && params.topK() < n) {
            n = selectTop(n, params.topK());
        }
        sortDescending(n);
        n = softmaxAndCut(n);
        return draw(n);
    }

    private void applyPenalties(IntArrayList history) {
        boolean repeat = params.repeatPenalty() != 1f;
        boolean additive = params.frequencyPenalty() != 0f || params.presencePenalty() != 0f;
        if ((!repeat && !additive) || params.penaltyWindow() == 0 || history.isEmpty()) {
            return;
        }
        int distinct = 0;
        for (int i = Math.max(0, history.size() - params.penaltyWindow()); i < history.size(); i++) {
            int id = history.getInt(i);
            if (id >= 0 && id < counts.length && counts[id]++ == 0) {
                seen[distinct++] = id;
            }
        }
        for (int k = 0; k < distinct; k++) {
            int id = seen[k];
            float v = values[id];
            if (repeat) {
                v = v > 0 ? v / params.repeatPenalty() : v * params.repeatPenalty();
            }
            values[id] = v - (counts[id] * params.frequencyPenalty() + params.presencePenalty());
            counts[id] = 0;
        }
    }

    private int argmax(int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return ids[best];
    }

    /** Moves the {@code k} largest values to the front (unordered), in O(n) on average. */
    private int selectTop(int n, int k) {
        int lo = 0;
        int hi = n - 1;
        while (lo < hi) {
            int p = partition(lo, hi, (lo + hi) >>> 1);
            if (p == k - 1) {
                break;
            } else if (p < k - 1) {
                lo = p + 1;
            } else {
                hi = p - 1;
            }
        }
        return k;
    }

    /** Lomuto partition, descending: larger values left of the returned pivot index. */
    private int partition(int lo, int hi, int pivot) {
        float pv = values[pivot];
        swap(pivot, hi);
        int store = lo;
        for (int i = lo; i < hi; i++) {
            if (values[i] > pv || (values[i] == pv && ids[i] < ids[hi])) {
                swap(i, store++);
            }
        }
        swap(store, hi);
        return store;
    }

    /** Sorts the first {@code n} candidates by value, descending (ties: lower id first). */
    private void sortDescending(int n) {
        it.unimi.dsi.fastutil.Arrays.quickSort(0, n, descending, swapper);
    }

    private int before(int a, int b) {
        int c = Float.compare(values[b], values[a]);
        return c != 0 ? c : Integer.compare(ids[a], ids[b]);
    }

    private void swap(int a, int b) {
        int id = ids[a];
        ids[a] = ids[b];
        ids[b] = id;
        float v = values[a];
        values[a] = values[b];
        values[b] = v;
    }

    /**
     * Softmax at temperature 1 over the sorted candidates, then top-p and min-p cuts; then the
     * survivors' probabilities at the real temperature. Returns how many survive.
     */
    private int softmaxAndCut(int n) {
        float max = values[0];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(values[i] - max);
        }
        int keep = n;
        if (params.topP() < 1f) {
            double cumulative = 0;
            for (int i = 0; i < n; i++) {
                cumulative += Math.exp(values[i] - max) / sum;
                if (cumulative >= params.topP()) {
                    keep = i + 1;
                    break;
                }
            }
        }
        if (params.minP() > 0f) {
            // p_i ≥ minP · p_max  ⇔  logit_i ≥ max + ln(minP)
            double threshold = max + Math.log(params.minP());
            int k = 1;
            while (k < keep && values[k] >= threshold) {
                k++;
            }
            keep = k;
        }
        float t = params.temperature();
        for (int i = 0; i < keep; i++) {
            values[i] = (float) Math.exp((values[i] - max) / t);
        }
        return keep;
    }

    private int draw(int n) {
        double total = 0;
        for (int i = 0; i < n; i++) {
            total += values[i];
        }
        double r = random.nextDouble() * total;
        double acc = 0;
        for (int i = 0; i < n; i++) {
            acc += values[i];
            if (r < acc) {
                return ids[i];
            }
        }
        return ids[n - 1];
    }
}
