package dev.llamasimd.model;

import dev.llamasimd.generate.CacheType;

/**
 * The two generation paths of the KV-cache explainer, made checkable: each returns the logits
 * of every prompt position and then continues greedily.
 *
 * <ul>
 *   <li>{@link #cached}: the prompt goes through the cache in chunks (one forward when the chunk
 *       is at least the prompt), then one token per step, appending to the cache;</li>
 *   <li>{@link #uncached}: nothing is kept; every position is recomputed from an empty cache
 *       over the whole prefix, and only its last row is kept.</li>
 * </ul>
 *
 * <p>Output rows: the {@code T} prompt rows, then for {@code k = 1..K-1} the row computed after
 * feeding generated token {@code k-1} (the row that chose token {@code k}), {@code T + K - 1}
 * rows in all (the layout of {@code full_logits_uncached} in the HF oracles). Both keep keys and
 * values in a KV cache of the given {@link CacheType}.
 */
public final class LogitsRun {

    /**
     * @param logits    {@code rows × vocab}, row-major
     * @param generated the greedy continuation ({@code K} ids)
     * @param promptNanos time spent on the prompt rows
     * @param decodeNanos time spent on the {@code K - 1} decode steps
     */
    public record Result(float[] logits, int rows, int vocab, int[] generated, long promptNanos, long decodeNanos) {}

    private LogitsRun() {}

    /** Prompt through the KV cache, {@code chunk} tokens per forward, then {@code greedy} tokens. */
    public static Result cached(Llama model, int[] prompt, int chunk, int greedy, CacheType cacheType) {
        int T = checkLengths(model, prompt, greedy);
        if (chunk < 1) {
            throw new IllegalArgumentException("chunk must be at least 1, not " + chunk);
        }
        int vocab = model.config().vocabSize();
        int capacity = T + Math.max(greedy - 1, 0);
        int batch = Math.min(chunk, T);
        float[] out = new float[Math.multiplyExact(capacity, vocab)];
        int[] generated = new int[greedy];
        try (KvCache cache = model.newCache(capacity, cacheType)) {
            State s = model.newState(batch, capacity, true);
            long t0 = System.nanoTime();
            for (int pos = 0; pos < T; pos += batch) {
                int n = Math.min(batch, T - pos);
                model.forward(s, cache, prompt, pos, n, pos);
                System.arraycopy(s.logits, 0, out, pos * vocab, n * vocab);
            }
            long t1 = System.nanoTime();
            int[] next = new int[1];
            for (int k = 0; k < greedy; k++) {
                if (k > 0) {
                    next[0] = generated[k - 1];
                    model.forward(s, cache, next, 0, 1, T + k - 1);
                    System.arraycopy(s.logits, 0, out, (T + k - 1) * vocab, vocab);
                }
                generated[k] = argmax(out, (T + k - 1) * vocab, vocab);
            }
            return new Result(out, capacity, vocab, generated, t1 - t0, System.nanoTime() - t1);
        }
    }

    /** Every row recomputed from scratch over its whole prefix, then {@code greedy} tokens the same way. */
    public static Result uncached(Llama model, int[] prompt, int greedy, CacheType cacheType) {
        int T = checkLengths(model, prompt, greedy);
        int vocab = model.config().vocabSize();
        int rows = T + Math.max(greedy - 1, 0);
        int[] sequence = new int[rows];
        System.arraycopy(prompt, 0, sequence, 0, T);
        float[] out = new float[Math.multiplyExact(rows, vocab)];
        int[] generated = new int[greedy];
        try (KvCache cache = model.newCache(rows, cacheType)) {
            State s = model.newState(rows, rows, false);
            long t0 = System.nanoTime();
            long t1 = t0;
            for (int p = 0; p < rows; p++) {
                if (p >= T) {
                    sequence[p] = generated[p - T];
                }
                cache.truncate(0);
                model.forward(s, cache, sequence, 0, p + 1, 0);
                System.arraycopy(s.logits, 0, out, p * vocab, vocab);
                if (p == T - 1) {
                    t1 = System.nanoTime();
                }
                if (p >= T - 1 && p - (T - 1) < greedy) {
                    generated[p - (T - 1)] = argmax(out, p * vocab, vocab);
                }
            }
            return new Result(out, rows, vocab, generated, t1 - t0, System.nanoTime() - t1);
        }
    }

    private static int checkLengths(Llama model, int[] prompt, int greedy) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty: give at least one token");
        }
        if (greedy < 0) {
            throw new IllegalArgumentException("greedy token count must be ≥ 0, not " + greedy);
        }
        long needed = (long) prompt.length + Math.max(greedy - 1, 0);
        int context = model.config().contextLength();
        if (needed > context) {
            throw new IllegalArgumentException(prompt.length + " prompt tokens + " + greedy
                    + " generated need " + needed + " positions; the model's context length is " + context);
        }
        return prompt.length;
    }

    /** Index of the largest value of {@code x[off..off+n)}; the first one on ties. */
    public static int argmax(float[] x, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (x[off + i] > x[off + best]) {
                best = i;
            }
        }
        return best;
    }
}
