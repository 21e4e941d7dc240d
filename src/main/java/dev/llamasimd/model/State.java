package dev.llamasimd.model;

/**
 * Scratch buffers for one forward call of up to {@code maxBatch} tokens: every activation lives
 * here, so a forward pass allocates nothing. Token rows are contiguous ({@code x[t*dim + i]}).
 * One state serves one caller at a time.
 */
public final class State {
    final int maxBatch;
    final int logitRows;
    final float[] x;
    final float[] xb;
    final float[] xb2;
    final float[] q;
    final float[] k;
    final float[] v;
    final float[] att;
    final float[] hb;
    final float[] hb2;
    final float[] cos;
    final float[] sin;
    /** Rows a worker widens at once in a batch: 16 rows of 8192 floats are 512 KiB, an L2's worth. */
    private static final int ROW_BLOCK = 16;

    /** Per worker: widened weight rows (a batch multiplies a block of them at a time). */
    final float[][] rowBuf;
    /** Per worker: attention scores over the context. */
    final float[][] scores;
    /** {@code logitRows × vocab}: the logits of the last forward call. */
    public final float[] logits;

    final Llama.MatmulTask matmul;
    final Llama.AttentionTask attention;

    /**
     * @param maxBatch   the most tokens one forward call takes
     * @param logitRows  how many rows of logits a call may return: 1 (the last token) or {@code maxBatch}
     * @param maxContext the most positions attention looks at (the KV cache capacity)
     */
    State(Llama model, int maxBatch, int logitRows, int maxContext) {
        Config c = model.config();
        if (maxBatch <= 0 || logitRows <= 0 || logitRows > maxBatch || maxContext <= 0) {
            throw new IllegalArgumentException("bad state size: batch " + maxBatch + ", logit rows " + logitRows
                    + ", context " + maxContext);
        }
        this.maxBatch = maxBatch;
        this.logitRows = logitRows;
        int workers = model.parallel().threads();
        x = new float[maxBatch * c.dim()];
        xb = new float[maxBatch * c.dim()];
        xb2 = new float[maxBatch * c.dim()];
        q = new float[maxBatch * c.qDim()];
        k = new float[maxBatch * c.kvDim()];
        v = new float[maxBatch * c.kvDim()];
        att = new float[maxBatch * c.qDim()];
        hb = new float[maxBatch * c.ffnDim()];
        hb2 = new float[maxBatch * c.ffnDim()];
        cos = new float[maxBatch * c.ropeDims() / 2];
        sin = new float[maxBatch * c.ropeDims() / 2];
        int widest = Math.max(Math.max(c.dim(), c.ffnDim()), c.qDim());
        rowBuf = new float[workers][(maxBatch > 1 ? ROW_BLOCK : 1) * widest];
        scores = new float[workers][maxContext];
        logits = new float[Math.multiplyExact(logitRows, c.vocabSize())];
        matmul = new Llama.MatmulTask(this);
        attention = new Llama.AttentionTask(model, this);
    }

    public int maxBatch() {
        return maxBatch;
    }

    public int logitRows() {
        return logitRows;
    }

    int maxContext() {
        return scores[0].length;
    }
}
