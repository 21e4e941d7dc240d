package dev.llamasimd.model;

import dev.llamasimd.kernels.Attention;
import dev.llamasimd.kernels.Matmul;

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
    /** A batch's input to the next products, packed in token groups ({@link Matmul#pack}). */
    final float[] packed;
    /** Per worker: scratch for a product (a decode step widens F16 rows here; a batch its row blocks and partial sums). */
    final float[][] rowBuf;
    /** Per worker: attention scores over the context. */
    final float[][] scores;
    /** Per worker: key or value rows of a 16-bit KV cache widened to float32 ({@link Attention#CHUNK} positions). */
    final float[][] widened;
    /** {@code logitRows × vocab}: the logits of the last forward call. */
    public final float[] logits;

    final Llama.MatmulTask matmul;
    final Llama.PackTask pack;
    final Llama.AttentionTask attention;
    /** The batch {@link Llama#forward(State, KvCache, int[], int, int, int)} builds. */
    final Batch batch;

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
        packed = new float[Matmul.packedSize(maxBatch, widest)];
        rowBuf = new float[workers][Math.max(Matmul.eachScratch(widest, maxBatch), Matmul.scratchSize(maxBatch))];
        scores = new float[workers][maxContext];
        widened = new float[workers][Attention.CHUNK * c.headDim()];
        logits = new float[Math.multiplyExact(logitRows, c.vocabSize())];
        matmul = new Llama.MatmulTask(this, model.config().family().activation());
        pack = new Llama.PackTask(this);
        attention = new Llama.AttentionTask(model, this);
        batch = new Batch(maxBatch);
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
