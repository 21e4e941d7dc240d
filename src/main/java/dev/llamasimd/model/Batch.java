package dev.llamasimd.model;

/**
 * The rows of one forward pass, from any number of sequences: per row its token, its KV cache
 * and position, whether it is a prompt row or a decode row, and whether its logits are wanted.
 * Reused from step to step, so building a batch allocates nothing.
 *
 * <p>A row's arithmetic is fixed by its kind, never by the other rows: prompt rows are
 * multiplied in the batched order ({@link dev.llamasimd.kernels.Matmul#batch}), decode rows in
 * the single-token order ({@link dev.llamasimd.kernels.Matmul#each}), and logits always in the
 * single-token order. So a sequence gets the same logits, bit for bit, whoever it is batched
 * with and however its prompt is split into chunks.
 *
 * <p>Rules, checked as rows are added: prompt rows come before decode rows; the rows of one
 * cache are consecutive in the batch, at consecutive positions; the first of them is at most
 * the cache's length (later positions are replaced).
 */
public final class Batch {
    final int[] tokens;
    final int[] positions;
    final KvCache[] caches;
    /** The row of {@code State.logits} each row's logits go to, or -1. */
    final int[] logitRow;
    int size;
    int prompts;
    int logitRows;

    /** A batch of up to {@code capacity} rows. */
    public Batch(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a batch holds at least one row, not " + capacity);
        }
        tokens = new int[capacity];
        positions = new int[capacity];
        caches = new KvCache[capacity];
        logitRow = new int[capacity];
    }

    /** Removes every row. */
    public void clear() {
        for (int i = 0; i < size; i++) {
            caches[i] = null;
        }
        size = 0;
        prompts = 0;
        logitRows = 0;
    }

    /**
     * Adds a prompt row (batched order).
     *
     * @return the row of the state's logits that will hold this row's, or -1 when not wanted
     */
    public int addPrompt(KvCache cache, int token, int position, boolean wantLogits) {
        if (prompts < size) {
            throw new IllegalStateException("prompt rows come before decode rows");
        }
        add(cache, token, position, wantLogits);
        prompts++;
        return logitRow[size - 1];
    }

    /**
     * Adds a decode row (single-token order), whose logits are wanted.
     *
     * @return the row of the state's logits that will hold them
     */
    public int addDecode(KvCache cache, int token, int position) {
        add(cache, token, position, true);
        return logitRow[size - 1];
    }

    private void add(KvCache cache, int token, int position, boolean wantLogits) {
        if (size == tokens.length) {
            throw new IllegalStateException("the batch is full (" + size + " rows)");
        }
        if (position < 0 || position >= cache.capacity()) {
            throw new IllegalArgumentException("position " + position + " is outside the cache's " + cache.capacity());
        }
        if (size > 0 && caches[size - 1] == cache) {
            if (position != positions[size - 1] + 1) {
                throw new IllegalArgumentException("position " + position + " does not follow "
                        + positions[size - 1] + " of the same cache");
            }
        } else {
            for (int i = 0; i < size; i++) {
                if (caches[i] == cache) {
                    throw new IllegalArgumentException("the rows of one cache must be consecutive in a batch");
                }
            }
        }
        tokens[size] = token;
        positions[size] = position;
        caches[size] = cache;
        logitRow[size] = wantLogits ? logitRows++ : -1;
        size++;
    }

    public int size() {
        return size;
    }

    /** Rows whose logits are wanted. */
    public int logitRows() {
        return logitRows;
    }

    public int capacity() {
        return tokens.length;
    }
}
