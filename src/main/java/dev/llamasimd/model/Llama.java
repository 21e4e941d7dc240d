package dev.llamasimd.model;

import dev.llamasimd.kernels.Attention;
import dev.llamasimd.kernels.Matmul;
import dev.llamasimd.kernels.Ops;
import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.kernels.Rope;
import java.lang.foreign.MemorySegment;

/**
 * The Llama decoder. One {@link #forward} serves every path: a prompt is one call with
 * {@code T} = its length (each weight row is read once for the whole batch), a decode step is
 * {@code T = 1}, and "no KV cache" is an empty cache and the whole sequence every step.
 *
 * <p>A model is immutable and thread-safe; each caller brings its own {@link State} and
 * {@link KvCache}. Loops run on the model's {@link Parallel}; results are bit-identical for any
 * thread count.
 */
public final class Llama implements AutoCloseable {
    private final Config config;
    private final Weights weights;
    private final Parallel parallel;
    private final AutoCloseable source;
    private final float attentionScale;

    /**
     * Multiply-adds below which a loop runs on the calling thread: waking the workers costs more
     * than it saves. Results are the same either way (each row is computed the same).
     */
    private static final long SERIAL_WORK = 1 << 16;

    /**
     * @param parallel runs the loops; owned by the caller, who closes it after the model
     * @param source closed with the model (the mapped file), or {@code null}
     */
    public Llama(Config config, Weights weights, Parallel parallel, AutoCloseable source) {
        this.config = config;
        this.weights = weights;
        this.parallel = parallel;
        this.source = source;
        this.attentionScale = (float) (1.0 / Math.sqrt(config.headDim()));
    }

    public Config config() {
        return config;
    }

    public Weights weights() {
        return weights;
    }

    public Parallel parallel() {
        return parallel;
    }

    /**
     * Scratch for forward calls of up to {@code maxBatch} tokens over a cache of up to
     * {@code maxContext} positions, returning logits for the last token only, or for every token
     * when {@code allLogits}.
     */
    public State newState(int maxBatch, int maxContext, boolean allLogits) {
        return new State(this, maxBatch, allLogits ? maxBatch : 1, maxContext);
    }

    /** An empty cache for {@code capacity} positions. */
    public KvCache newCache(int capacity) {
        return new KvCache(config, capacity);
    }

    /**
     * Runs tokens {@code tokens[off..off+T)} at positions {@code startPos..startPos+T-1}, appending
     * their keys and values to {@code cache} (which must hold exactly {@code startPos} positions or
     * more; positions from {@code startPos} on are replaced). Leaves the logits in
     * {@code state.logits}: row {@code t} for every token if the state has {@code T} logit rows,
     * else one row for the last token.
     */
    public void forward(State s, KvCache cache, int[] tokens, int off, int T, int startPos) {
        checkForward(s, cache, tokens, off, T, startPos);
        Config c = config;
        int dim = c.dim();
        for (int t = 0; t < T; t++) {
            weights.tokenEmbedding().row(tokens[off + t], s.x, t * dim);
            Rope.angles(weights.ropeInvFreq(), startPos + t, s.cos, s.sin, t * (c.ropeDims() / 2));
        }
        for (int l = 0; l < c.layers(); l++) {
            Weights.Layer w = weights.layers()[l];
            for (int t = 0; t < T; t++) {
                Ops.rmsnorm(s.xb, t * dim, s.x, t * dim, w.attnNorm(), dim, c.rmsEps());
            }
            input(s, s.xb, T, dim);
            matmul(s, w.wq(), T, s.q);
            matmul(s, w.wk(), T, s.k);
            matmul(s, w.wv(), T, s.v);
            ropeAndStore(s, cache, l, T, startPos);
            s.attention.run(l, cache, T, startPos);
            input(s, s.att, T, c.qDim());
            matmul(s, w.wo(), T, s.xb2);
            Ops.add(s.x, s.xb2, 0, T * dim);

            for (int t = 0; t < T; t++) {
                Ops.rmsnorm(s.xb, t * dim, s.x, t * dim, w.ffnNorm(), dim, c.rmsEps());
            }
            input(s, s.xb, T, dim);
            matmul(s, w.w1(), T, s.hb);
            matmul(s, w.w3(), T, s.hb2);
            siluGate(s, T);
            input(s, s.hb, T, c.ffnDim());
            matmul(s, w.w2(), T, s.xb2);
            Ops.add(s.x, s.xb2, 0, T * dim);
        }
        cache.setLength(startPos + T);
        int first = s.logitRows == 1 ? T - 1 : 0;
        for (int t = first; t < T; t++) {
            Ops.rmsnorm(s.xb, (t - first) * dim, s.x, t * dim, weights.outputNorm(), dim, c.rmsEps());
        }
        input(s, s.xb, T - first, dim);
        matmul(s, weights.output(), T - first, s.logits);
    }

    private void checkForward(State s, KvCache cache, int[] tokens, int off, int T, int startPos) {
        if (T < 1 || T > s.maxBatch) {
            throw new IllegalArgumentException("batch of " + T + " tokens; this state takes 1 to " + s.maxBatch);
        }
        if (s.logitRows != 1 && s.logitRows < T) {
            throw new IllegalArgumentException("state has " + s.logitRows + " logit rows for a batch of " + T);
        }
        if (off < 0 || off + T > tokens.length) {
            throw new IndexOutOfBoundsException("tokens [" + off + ", " + (off + T) + ") of " + tokens.length);
        }
        if (startPos < 0 || startPos > cache.length()) {
            throw new IllegalArgumentException("start position " + startPos + " leaves a gap: the cache holds "
                    + cache.length() + " positions");
        }
        int end = startPos + T;
        if (end > cache.capacity() || end > s.maxContext()) {
            throw new IllegalArgumentException("context full: " + end + " positions needed, the cache holds "
                    + Math.min(cache.capacity(), s.maxContext()));
        }
        for (int t = off; t < off + T; t++) {
            if (tokens[t] < 0 || tokens[t] >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + tokens[t] + " at index " + t
                        + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
        }
    }

    private void ropeAndStore(State s, KvCache cache, int layer, int T, int startPos) {
        Config c = config;
        int hd = c.headDim();
        int half = c.ropeDims() / 2;
        for (int t = 0; t < T; t++) {
            for (int h = 0; h < c.heads(); h++) {
                Rope.rotate(c.ropeLayout(), s.q, t * c.qDim() + h * hd, half, s.cos, s.sin, t * half);
            }
            for (int h = 0; h < c.kvHeads(); h++) {
                int at = t * c.kvDim() + h * hd;
                Rope.rotate(c.ropeLayout(), s.k, at, half, s.cos, s.sin, t * half);
                cache.store(layer, h, startPos + t, s.k, s.v, at);
            }
        }
    }

    /**
     * Makes {@code x} ({@code T} rows of {@code cols}) the input of the next {@link #matmul}
     * calls; a batch is packed into token groups once for all of them.
     */
    private void input(State s, float[] x, int T, int cols) {
        s.matmul.input(x);
        if (T == 1) {
            return;
        }
        s.pack.set(x, T, cols);
        int groups = Matmul.groups(T);
        if ((long) T * cols < SERIAL_WORK) {
            s.pack.run(0, 0, groups);
        } else {
            parallel.forRange(groups, s.pack);
        }
    }

    /** SwiGLU over the batch's hidden rows, split across workers by token. */
    private void siluGate(State s, int T) {
        if ((long) T * config.ffnDim() < SERIAL_WORK) {
            Ops.siluGate(s.hb, s.hb2, 0, T * config.ffnDim());
        } else {
            parallel.forRange(T, s.siluGate);
        }
    }

    /** {@code y = W x} for the last {@link #input}. */
    private void matmul(State s, Matrix m, int T, float[] y) {
        s.matmul.set(m, T, y);
        if ((long) m.rows() * m.cols() * T < SERIAL_WORK) {
            s.matmul.run(0, 0, m.rows());
        } else {
            parallel.forRange(m.rows(), s.matmul);
        }
    }

    /** {@code y = W x} over the rows of one worker. Reused, so dispatching allocates nothing. */
    static final class MatmulTask implements Parallel.Body {
        private final State s;
        private Matrix m;
        private float[] x;
        private float[] y;
        private int T;

        MatmulTask(State s) {
            this.s = s;
        }

        void input(float[] x) {
            this.x = x;
        }

        void set(Matrix m, int T, float[] y) {
            this.m = m;
            this.T = T;
            this.y = y;
        }

        @Override
        public void run(int worker, int start, int end) {
            if (T == 1) {
                m.multiply(x, 1, y, start, end, s.rowBuf[worker]);
            } else {
                m.multiplyPacked(s.packed, T, y, start, end, s.rowBuf[worker]);
            }
        }
    }

    /** SwiGLU of the hidden rows of a range of tokens. */
    static final class SiluGateTask implements Parallel.Body {
        private final State s;
        private final int ffn;

        SiluGateTask(State s, int ffn) {
            this.s = s;
            this.ffn = ffn;
        }

        @Override
        public void run(int worker, int start, int end) {
            Ops.siluGate(s.hb, s.hb2, start * ffn, (end - start) * ffn);
        }
    }

    /** Packs token groups of a batch's input into {@code State.packed}; the groups are split across workers. */
    static final class PackTask implements Parallel.Body {
        private final State s;
        private float[] x;
        private int T;
        private int cols;

        PackTask(State s) {
            this.s = s;
        }

        void set(float[] x, int T, int cols) {
            this.x = x;
            this.T = T;
            this.cols = cols;
        }

        @Override
        public void run(int worker, int start, int end) {
            Matmul.pack(x, 0, T, cols, s.packed, start, end);
        }
    }

    /** Causal attention of every (token, query head) pair of a batch; the pairs are split across workers. */
    static final class AttentionTask implements Parallel.Body {
        private final Llama model;
        private final State s;
        private MemorySegment keys;
        private MemorySegment values;
        private KvCache cache;
        private int startPos;

        AttentionTask(Llama model, State s) {
            this.model = model;
            this.s = s;
        }

        void run(int layer, KvCache cache, int T, int startPos) {
            this.cache = cache;
            this.keys = cache.keys(layer);
            this.values = cache.values(layer);
            this.startPos = startPos;
            Config c = model.config;
            int pairs = T * c.heads();
            if ((long) pairs * (startPos + T) * c.headDim() < SERIAL_WORK) {
                run(0, 0, pairs);
            } else {
                model.parallel.forRange(pairs, this);
            }
        }

        @Override
        public void run(int worker, int start, int end) {
            Config c = model.config;
            int group = c.heads() / c.kvHeads();
            for (int i = start; i < end; i++) {
                int t = i / c.heads();
                int h = i % c.heads();
                int kvh = h / group;
                int at = t * c.qDim() + h * c.headDim();
                long base = cache.offset(kvh, 0);
                Attention.head(s.q, at, keys, base, values, base, c.headDim(), 0, startPos + t + 1,
                        model.attentionScale, s.scores[worker], s.att, at);
            }
        }
    }

    @Override
    public void close() {
        if (source != null) {
            try {
                source.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing " + source, e);
            }
        }
    }
}
