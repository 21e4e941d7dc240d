package dev.llamasimd.model;

import dev.llamasimd.generate.CacheType;
import dev.llamasimd.io.ModelFormatException;
import dev.llamasimd.io.TensorSource;
import dev.llamasimd.kernels.Attention;
import dev.llamasimd.kernels.Matmul;
import dev.llamasimd.kernels.Ops;
import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.kernels.Rope;
import java.lang.foreign.MemorySegment;

/**
 * The decoder of every family llama-simd runs (Llama, Qwen2, Mistral, Phi-3, Gemma): what sets a
 * family apart is data ({@link Architecture}, {@link Config}, the biases in {@link Matrix}), read
 * by the one forward pass. One {@link #forward} serves every path: a prompt is one call with
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
    /** Multiplies each embedding row ({@link Architecture.Trait#SCALED_EMBEDDING}), else 1. */
    private final float embeddingScale;
    private volatile boolean closed;

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
        this.embeddingScale = config.family().has(Architecture.Trait.SCALED_EMBEDDING) ? (float) Math.sqrt(config.dim()) : 1f;
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

    /** An empty float32 cache for {@code capacity} positions. */
    public KvCache newCache(int capacity) {
        return newCache(capacity, CacheType.F32);
    }

    /** An empty cache for {@code capacity} positions whose keys and values are stored as {@code type}. */
    public KvCache newCache(int capacity, CacheType type) {
        return new KvCache(config, capacity, type);
    }

    /**
     * Scratch for {@link #forward(State, Batch)} calls of up to {@code maxRows} rows, of which
     * up to {@code maxLogitRows} want logits, over caches of up to {@code maxContext} positions.
     */
    public State newBatchState(int maxRows, int maxLogitRows, int maxContext) {
        return new State(this, maxRows, maxLogitRows, maxContext);
    }

    /**
     * Runs tokens {@code tokens[off..off+T)} at positions {@code startPos..startPos+T-1}, appending
     * their keys and values to {@code cache} (which must hold exactly {@code startPos} positions or
     * more; positions from {@code startPos} on are replaced). Leaves the logits in
     * {@code state.logits}: row {@code t} for every token if the state has {@code T} logit rows,
     * else one row for the last token. One token is a decode row, more are prompt rows (see
     * {@link Batch}).
     */
    public void forward(State s, KvCache cache, int[] tokens, int off, int T, int startPos) {
        if (off < 0 || T < 0 || off + T > tokens.length) {
            throw new IndexOutOfBoundsException("tokens [" + off + ", " + (off + T) + ") of " + tokens.length);
        }
        if (T < 1 || T > s.maxBatch) {
            throw new IllegalArgumentException("batch of " + T + " tokens; this state takes 1 to " + s.maxBatch);
        }
        if (s.logitRows != 1 && s.logitRows < T) {
            throw new IllegalArgumentException("state has " + s.logitRows + " logit rows for a batch of " + T);
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
        Batch b = s.batch;
        b.clear();
        if (T == 1) {
            b.addDecode(cache, tokens[off], startPos);
        } else {
            for (int t = 0; t < T; t++) {
                b.addPrompt(cache, tokens[off + t], startPos + t, s.logitRows != 1 || t == T - 1);
            }
        }
        forward(s, b);
    }

    /**
     * Runs a batch of rows from any number of sequences (see {@link Batch}): each row's key and
     * value go into its cache at its position, and each wanted row's logits into
     * {@code state.logits} at the row {@link Batch#addPrompt}/{@link Batch#addDecode} returned.
     * Matrices are read once for the whole batch; attention runs per row against its own cache.
     */
    public void forward(State s, Batch b) {
        if (closed) {
            throw new IllegalStateException("the model is closed: its weights are unmapped");
        }
        checkForward(s, b);
        Config c = config;
        int dim = c.dim();
        int T = b.size;
        int P = b.prompts;
        for (int t = 0; t < T; t++) {
            weights.tokenEmbedding().row(b.tokens[t], s.x, t * dim);
            if (embeddingScale != 1f) {
                Ops.scale(s.x, t * dim, dim, embeddingScale);
            }
            Rope.angles(weights.ropeInvFreq(), b.positions[t], s.cos, s.sin, t * (c.ropeDims() / 2));
        }
        for (int l = 0; l < c.layers(); l++) {
            Weights.Layer w = weights.layers()[l];
            for (int t = 0; t < T; t++) {
                Ops.rmsnorm(s.xb, t * dim, s.x, t * dim, w.attnNorm(), dim, c.rmsEps());
            }
            input(s, s.xb, T, P, dim);
            s.matmul.three(w.wq(), s.q, w.wk(), s.k, w.wv(), s.v);
            run(s.matmul);
            ropeAndStore(s, b, l);
            s.attention.run(l, b);
            input(s, s.att, T, P, c.qDim());
            s.matmul.one(w.wo(), s.xb2);
            run(s.matmul);
            Ops.add(s.x, s.xb2, 0, T * dim);

            for (int t = 0; t < T; t++) {
                Ops.rmsnorm(s.xb, t * dim, s.x, t * dim, w.ffnNorm(), dim, c.rmsEps());
            }
            input(s, s.xb, T, P, dim);
            s.matmul.gated(w.w1(), s.hb, w.w3(), s.hb2);
            run(s.matmul);
            input(s, s.hb, T, P, c.ffnDim());
            s.matmul.one(w.w2(), s.xb2);
            run(s.matmul);
            Ops.add(s.x, s.xb2, 0, T * dim);
        }
        for (int t = 0; t < T; t++) {
            b.caches[t].setLength(b.positions[t] + 1);
        }
        int rows = b.logitRows;
        if (rows == 0) {
            return;
        }
        for (int t = 0; t < T; t++) {
            int r = b.logitRow[t];
            if (r >= 0) {
                Ops.rmsnorm(s.xb, r * dim, s.x, t * dim, weights.outputNorm(), dim, c.rmsEps());
            }
        }
        // logits in the single-token order for every row, prompt rows too
        input(s, s.xb, rows, 0, dim);
        s.matmul.one(weights.output(), s.logits);
        run(s.matmul);
        if (!Ops.allFinite(s.logits, 0, rows * c.vocabSize())) {
            int first = 0;
            while (b.logitRow[first] < 0) {
                first++;
            }
            throw nonFinite(b.positions[first]);
        }
    }

    /** Why a logit is NaN or infinite: the weight at fault, or the activations. */
    private RuntimeException nonFinite(int pos) {
        ModelFormatException bad = WeightCheck.firstNonFinite(weights, source instanceof TensorSource t ? t : null);
        return bad != null ? bad : new IllegalStateException("the logits from position " + pos
                + " on are not finite numbers although every weight is: the activations overflow float32");
    }

    private void checkForward(State s, Batch b) {
        if (b.size < 1 || b.size > s.maxBatch) {
            throw new IllegalArgumentException("batch of " + b.size + " rows; this state takes 1 to " + s.maxBatch);
        }
        if (b.logitRows > s.logitRows) {
            throw new IllegalArgumentException("the batch wants " + b.logitRows + " rows of logits; this state holds "
                    + s.logitRows);
        }
        for (int t = 0; t < b.size; t++) {
            int id = b.tokens[t];
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + id + " at row " + t
                        + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
            KvCache cache = b.caches[t];
            int pos = b.positions[t];
            if ((t == 0 || b.caches[t - 1] != cache) && pos > cache.length()) {
                throw new IllegalArgumentException("start position " + pos + " leaves a gap: the cache holds "
                        + cache.length() + " positions");
            }
            if (pos >= s.maxContext()) {
                throw new IllegalArgumentException("context full: " + (pos + 1) + " positions needed, the state holds "
                        + s.maxContext());
            }
            if (!cache.fits(config)) {
                throw new IllegalArgumentException("row " + t + "'s KV cache was made for another model");
            }
        }
    }

    private void ropeAndStore(State s, Batch b, int layer) {
        Config c = config;
        int hd = c.headDim();
        int half = c.ropeDims() / 2;
        for (int t = 0; t < b.size; t++) {
            for (int h = 0; h < c.heads(); h++) {
                Rope.rotate(c.ropeLayout(), s.q, t * c.qDim() + h * hd, half, s.cos, s.sin, t * half);
            }
            for (int h = 0; h < c.kvHeads(); h++) {
                int at = t * c.kvDim() + h * hd;
                Rope.rotate(c.ropeLayout(), s.k, at, half, s.cos, s.sin, t * half);
                b.caches[t].store(layer, h, b.positions[t], s.k, s.v, at);
            }
        }
    }

    /**
     * Makes {@code x} ({@code T} rows of {@code cols}, the first {@code P} of them prompt rows)
     * the input of the next {@link #run} calls; the prompt rows are packed into token groups
     * once for all of them.
     */
    private void input(State s, float[] x, int T, int P, int cols) {
        s.matmul.input(x, T, P);
        if (P == 0) {
            return;
        }
        s.pack.set(x, P, cols);
        int groups = Matmul.groups(P);
        if ((long) P * cols < SERIAL_WORK) {
            s.pack.run(0, 0, groups);
        } else {
            parallel.forRange(groups, s.pack);
        }
    }

    /** Runs the products set on {@code task}, on the calling thread when they are small. */
    private void run(MatmulTask task) {
        if (task.work() < SERIAL_WORK) {
            task.run(0, 0, task.rows());
        } else {
            parallel.forRange(task.rows(), task);
        }
    }

    /**
     * Up to three products of the last {@link #input} as one parallel region, so one dispatch
     * (and one barrier) serves Q, K and V, or the FFN's gate and up projections with SwiGLU.
     * Reused, so dispatching allocates nothing.
     */
    static final class MatmulTask implements Parallel.Body {
        private final State s;
        /** The gate's activation: SiLU, else GELU-tanh. */
        private final boolean silu;
        private final Matrix[] m = new Matrix[3];
        private final float[][] y = new float[3][];
        private int count;
        /** Gate and up: both split by the same rows, then {@code y[0] = silu(y[0]) · y[1]} on them. */
        private boolean gated;
        private float[] x;
        private int T;
        /** The first P rows of the input are prompt rows (packed), the rest decode rows. */
        private int P;

        MatmulTask(State s, Architecture.Activation activation) {
            this.s = s;
            this.silu = activation == Architecture.Activation.SILU;
        }

        void input(float[] x, int T, int P) {
            this.x = x;
            this.T = T;
            this.P = P;
        }

        /** {@code y = W x}. */
        void one(Matrix w, float[] y) {
            set(false, 1, w, y, null, null, null, null);
        }

        /** Three products, their rows taken one after another (Q, K, V). */
        void three(Matrix a, float[] ya, Matrix b, float[] yb, Matrix c, float[] yc) {
            set(false, 3, a, ya, b, yb, c, yc);
        }

        /** {@code g = act(G x) · (U x)}, with {@code u} as scratch for {@code U x}. */
        void gated(Matrix gate, float[] g, Matrix up, float[] u) {
            set(true, 2, gate, g, up, u, null, null);
        }

        private void set(boolean gated, int count, Matrix a, float[] ya, Matrix b, float[] yb, Matrix c, float[] yc) {
            this.gated = gated;
            this.count = count;
            m[0] = a;
            y[0] = ya;
            m[1] = b;
            y[1] = yb;
            m[2] = c;
            y[2] = yc;
        }

        /** The rows the workers split. */
        int rows() {
            if (gated) {
                return m[0].rows();
            }
            int rows = 0;
            for (int i = 0; i < count; i++) {
                rows += m[i].rows();
            }
            return rows;
        }

        /** Multiply-adds of the whole region. */
        long work() {
            long work = 0;
            for (int i = 0; i < count; i++) {
                work += (long) m[i].rows() * m[i].cols() * T;
            }
            return work;
        }

        @Override
        public void run(int worker, int start, int end) {
            if (gated) {
                multiply(0, start, end, worker);
                multiply(1, start, end, worker);
                int ffn = m[0].rows();
                for (int t = 0; t < T; t++) {
                    if (silu) {
                        Ops.siluGate(y[0], y[1], t * ffn + start, end - start);
                    } else {
                        Ops.geluTanhGate(y[0], y[1], t * ffn + start, end - start);
                    }
                }
                return;
            }
            int base = 0;
            for (int i = 0; i < count; i++) {
                int rows = m[i].rows();
                int from = Math.max(start - base, 0);
                int to = Math.min(end - base, rows);
                if (from < to) {
                    multiply(i, from, to, worker);
                }
                base += rows;
            }
        }

        private void multiply(int i, int r0, int r1, int worker) {
            if (P > 0) {
                m[i].multiplyPacked(s.packed, P, y[i], r0, r1, s.rowBuf[worker]);
            }
            if (T > P) {
                m[i].multiplyEach(x, P, T - P, y[i], r0, r1, s.rowBuf[worker]);
            }
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

    /** Causal attention of every (row, query head) pair of a batch, each row against its own cache; the pairs are split across workers. */
    static final class AttentionTask implements Parallel.Body {
        private final Llama model;
        private final State s;
        private Batch batch;
        private int layer;

        AttentionTask(Llama model, State s) {
            this.model = model;
            this.s = s;
        }

        void run(int layer, Batch batch) {
            this.batch = batch;
            this.layer = layer;
            Config c = model.config;
            long work = 0;
            for (int t = 0; t < batch.size; t++) {
                int pos = batch.positions[t];
                work += (long) (pos + 1 - c.firstAttended(pos)) * c.heads() * c.headDim();
            }
            int pairs = batch.size * c.heads();
            if (work < SERIAL_WORK) {
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
                KvCache cache = batch.caches[t];
                long base = cache.offset(kvh, 0);
                int pos = batch.positions[t];
                if (cache.type() == CacheType.F32) {
                    Attention.head(s.q, at, cache.keys(layer), base, cache.values(layer), base, c.headDim(),
                            c.firstAttended(pos), pos + 1, model.attentionScale, s.scores[worker], s.att, at);
                } else {
                    Attention.headWidened(cache.kernel(), s.q, at, cache.keys(layer), base, cache.values(layer), base,
                            c.headDim(), c.firstAttended(pos), pos + 1, model.attentionScale, s.scores[worker],
                            s.widened[worker], s.att, at);
                }
            }
        }
    }

    /** Unmaps the weights; a forward pass after this throws {@link IllegalStateException}. Closing twice does nothing. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (source != null) {
            try {
                source.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing " + source, e);
            }
        }
    }
}
