package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.L;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * {@code Y = X Wᵀ} for a range of weight rows: {@code W} is a mapped matrix of any supported type
 * ({@code rows × cols}, row-major), {@code X} holds {@code T} token vectors of length {@code cols}.
 *
 * <p>One token (decode) takes each row straight from the mapping, two rows at a time
 * ({@link TypeKernel#dot2}).
 *
 * <p>A batch (prefill) is a tiled matrix product with the tokens in the vector lanes. The input
 * is first {@linkplain #pack packed}: tokens in groups of {@link #GROUP} (four vectors; one or two
 * for a batch that fits in them), column by column, so that one column of a group is four vector
 * loads. A worker widens a block of
 * {@value #BLOCK_ROWS} rows, {@value #PANEL} columns at a time, into its scratch (it stays in
 * L2), and multiplies it with each token group in register tiles of 4 rows × 4 vectors: each
 * weight is one broadcast feeding four FMAs, each activation vector feeds four, and a group's
 * {@value #KC}-column slice stays in L1 while every row of the block passes over it. The partial
 * sums wait in a row-major scratch between slices. Each weight row is read from memory once per
 * batch.
 *
 * <p>Arithmetic: a batched result is {@code fma(w[k], x[k], s)} from {@code s = 0} over
 * {@code k = 0, 1, …, cols − 1} in order, whatever the block, panel, group, lane or thread split,
 * so a token's result does not depend on the batch it is in (of two or more tokens) nor on the
 * thread count, bit for bit. A single token uses {@link TypeKernel#dot}'s order, which agrees with it to
 * rounding.
 */
public final class Matmul {
    /** Tokens per packed group of a batch of more than 2·{@link Vec#L} tokens: four vectors of lanes. */
    public static final int GROUP = 4 * L;
    /** Columns widened at once (a multiple of 256, so a quantised row splits at block and super-block boundaries). */
    static final int PANEL = 2048;
    /** Rows widened at once. */
    static final int BLOCK_ROWS = 64;
    /** Columns of a token group multiplied per pass over the block's rows: 128 × 64 floats = 32 KiB at 16 lanes. */
    static final int KC = 128;

    private Matmul() {}

    /**
     * Tokens per packed group for a batch of {@code T}: {@link #GROUP}, or one or two vectors of
     * lanes when {@code T} fits in them (a short batch would otherwise pay for 4·L tokens).
     */
    static int group(int T) {
        return T <= L ? L : T <= 2 * L ? 2 * L : GROUP;
    }

    /** Token groups of a batch of {@code T}. */
    public static int groups(int T) {
        int g = group(T);
        return (T + g - 1) / g;
    }

    /** Floats {@link #pack} needs for {@code T} tokens of {@code cols} values. */
    public static int packedSize(int T, int cols) {
        return Math.multiplyExact(groups(T) * group(T), cols);
    }

    /** Floats of per-worker scratch {@link #batch} needs for batches of up to {@code T} tokens. */
    public static int scratchSize(int T) {
        return BLOCK_ROWS * PANEL + BLOCK_ROWS * groups(T) * group(T);
    }

    /**
     * Packs token groups {@code [g0, g1)} of {@code x} ({@code T} rows of {@code cols} from
     * {@code xOff}) into {@code xT}: with {@code G} = {@link #group}{@code (T)}, value {@code k}
     * of token {@code g·G + i} goes to {@code xT[g·G·cols + k·G + i]}; lanes past the last token
     * are zero.
     */
    public static void pack(float[] x, int xOff, int T, int cols, float[] xT, int g0, int g1) {
        int G = group(T);
        for (int g = g0; g < g1; g++) {
            int base = g * G * cols;
            for (int i = 0; i < G; i++) {
                int t = g * G + i;
                if (t >= T) {
                    for (int k = 0; k < cols; k++) {
                        xT[base + k * G + i] = 0f;
                    }
                    continue;
                }
                int src = xOff + t * cols;
                for (int k = 0; k < cols; k++) {
                    xT[base + k * G + i] = x[src + k];
                }
            }
        }
    }

    /**
     * Computes rows {@code [r0, r1)} of every token:
     * {@code y[yOff + t*yStride + r] = Σ_j W[r][j] · x[xOff + t*cols + j]} for {@code t < T}.
     * One token runs {@link TypeKernel#dot2} (with {@code buf} of at least {@code cols} floats); a batch
     * packs its input into a fresh array and runs {@link #batch} (the model's forward pass packs
     * once into its own buffers instead, and allocates nothing).
     */
    public static void rows(TypeKernel kernel, MemorySegment w, int cols, float[] x, int xOff, int T,
                            float[] y, int yOff, int yStride, int r0, int r1, float[] buf) {
        if (T == 1) {
            each(kernel, w, cols, x, xOff, 1, y, yOff, yStride, r0, r1, buf);
            return;
        }
        float[] xT = new float[packedSize(T, cols)];
        pack(x, xOff, T, cols, xT, 0, groups(T));
        batch(kernel, w, cols, xT, T, y, yOff, yStride, r0, r1, new float[scratchSize(T)]);
    }

    /**
     * Rows {@code [r0, r1)} of each of {@code T} tokens in the single-token order of
     * {@link TypeKernel#dot}, whatever {@code T} is (the decode rows of a batch across
     * sequences): {@code y[yOff + t*yStride + r]}. Up to {@link #WIDEN_FROM} tokens take each
     * row straight from the mapping, two rows at a time ({@link TypeKernel#dot2}); more widen
     * each row once into {@code buf} (at least {@link #eachScratch}{@code (cols, T)} floats) and
     * multiply it with every token from there, bit for bit as {@code dot} would (the kernels'
     * dots equal {@link Vec#dot} over the widened row).
     */
    public static void each(TypeKernel kernel, MemorySegment w, int cols, float[] x, int xOff, int T,
                            float[] y, int yOff, int yStride, int r0, int r1, float[] buf) {
        // two methods, so that each compiles on its own (a body that inlines both the kernel's
        // fused dot and the widening may exhaust C2's inlining budget and box vectors)
        if (T < WIDEN_FROM) {
            single(kernel, w, cols, x, xOff, T, y, yOff, yStride, r0, r1, buf);
        } else {
            widened(kernel, w, cols, x, xOff, T, y, yOff, yStride, r0, r1, buf);
        }
    }

    /**
     * {@link #each} of a few tokens: each pair of rows, row r0 + i with row mid + i (two streams
     * from memory, see {@link TypeKernel#dot2}), through the fused dot once per token (the rows
     * stay in L1 for the tokens after the first).
     */
    private static void single(TypeKernel kernel, MemorySegment w, int cols, float[] x, int xOff, int T,
                               float[] y, int yOff, int yStride, int r0, int r1, float[] buf) {
        long rowBytes = kernel.type().bytesFor(cols);
        int half = (r1 - r0) / 2;
        int mid = r0 + half;
        for (int i = 0; i < half; i++) {
            for (int t = 0; t < T; t++) {
                kernel.dot2(w, (r0 + i) * rowBytes, (mid + i) * rowBytes, cols, x, xOff + t * cols, buf, y,
                        yOff + t * yStride + r0 + i, yOff + t * yStride + mid + i);
            }
        }
        if ((r1 - r0) % 2 != 0) {
            int r = r1 - 1;
            for (int t = 0; t < T; t++) {
                y[yOff + t * yStride + r] = kernel.dot(w, r * rowBytes, cols, x, xOff + t * cols, buf);
            }
        }
    }

    /**
     * {@link #each} of {@link #WIDEN_FROM} or more tokens: blocks of {@value #EACH_ROWS} rows
     * widened {@value #PANEL} columns at a time into {@code buf}, then multiplied with every
     * token {@value #EACH_KC} columns at a time (the tokens' slice stays in L1 while the block's
     * rows pass over it), in register tiles of up to two rows by four tokens. Each (row, token) pair keeps
     * {@link Vec#dot}'s two accumulators in {@code buf} between slices and ends with its fold and
     * scalar tail, so every result is bit for bit {@code dot}'s.
     */
    private static void widened(TypeKernel kernel, MemorySegment w, int cols, float[] x, int xOff, int T,
                                float[] y, int yOff, int yStride, int r0, int r1, float[] buf) {
        long rowBytes = kernel.type().bytesFor(cols);
        int main = cols - cols % (2 * L);
        int acc = EACH_ROWS * (Math.min(PANEL, cols) + PAD);
        int last = (cols - 1) / PANEL * PANEL;
        for (int rb = r0; rb < r1; rb += EACH_ROWS) {
            int n = Math.min(EACH_ROWS, r1 - rb);
            Arrays.fill(buf, acc, acc + n * T * 2 * L, 0f);
            for (int p0 = 0; p0 < cols; p0 += PANEL) {
                int pc = Math.min(PANEL, cols - p0);
                int ws = pc + PAD; // the widened rows' stride: a panel and a cache line, so that they fall in different cache sets
                for (int k = 0; k < n; k++) {
                    kernel.decode(w, (rb + k) * rowBytes + kernel.type().bytesFor(p0), pc, buf, k * ws);
                }
                int end = Math.min(p0 + pc, main);
                for (int c0 = p0; c0 < end; c0 += EACH_KC) {
                    tiles(buf, ws, p0, n, x, xOff, cols, T, c0, Math.min(end, c0 + EACH_KC), acc);
                }
            }
            // the last panel is still widened: each dot's fold, then its scalar tail
            int ws = cols - last + PAD;
            for (int k = 0; k < n; k++) {
                for (int t = 0; t < T; t++) {
                    float s = Vec.sumStored2(buf, acc + (k * T + t) * 2 * L);
                    int xt = xOff + t * cols;
                    for (int i = main; i < cols; i++) {
                        s = Math.fma(buf[k * ws + i - last], x[xt + i], s);
                    }
                    y[yOff + t * yStride + rb + k] = s;
                }
            }
        }
    }

    /**
     * Every (row, token) pair of a widened block over columns {@code [c0, c1)}: two rows by four
     * tokens at 16 lanes, one row by four tokens at fewer, then what is left.
     */
    private static void tiles(float[] wr, int ws, int p0, int n, float[] x, int xOff, int cols, int T,
                              int c0, int c1, int acc) {
        int k = 0;
        // two rows by four tokens hold 16 accumulators and 6 operands: for AVX-512's 32 registers, not AVX2's 16
        for (; L >= 16 && k + 2 <= n; k += 2) {
            int t = 0;
            for (; t + 4 <= T; t += 4) {
                tile2x4(wr, k * ws - p0, ws, x, xOff + t * cols, cols, c0, c1, wr, acc + (k * T + t) * 2 * L, T * 2 * L);
            }
            for (; t < T; t++) {
                tile1x1(wr, k * ws - p0, x, xOff + t * cols, c0, c1, wr, acc + (k * T + t) * 2 * L);
                tile1x1(wr, (k + 1) * ws - p0, x, xOff + t * cols, c0, c1, wr, acc + ((k + 1) * T + t) * 2 * L);
            }
        }
        for (; k < n; k++) {
            int t = 0;
            for (; t + 4 <= T; t += 4) {
                tile1x4(wr, k * ws - p0, x, xOff + t * cols, cols, c0, c1, wr, acc + (k * T + t) * 2 * L);
            }
            for (; t < T; t++) {
                tile1x1(wr, k * ws - p0, x, xOff + t * cols, c0, c1, wr, acc + (k * T + t) * 2 * L);
            }
        }
    }

    /**
     * Two widened rows ({@code wr[w + j]} and {@code wr[w + ws + j]} for column {@code j}) times
     * four tokens ({@code x[x0 + t·cols + j]}) over columns {@code [c0, c1)}: {@link Vec#dot}'s
     * accumulator pair of each of the eight (row, token) pairs, loaded from and stored back to
     * {@code s[sp + row·rowStride + t·2L ..]}.
     */
    private static void tile2x4(float[] wr, int w, int ws, float[] x, int x0, int cols, int c0, int c1,
                                float[] s, int sp, int rowStride) {
        int w1 = w + ws;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        int s1 = sp + rowStride;
        FloatVector a00 = FloatVector.fromArray(F, s, sp);
        FloatVector b00 = FloatVector.fromArray(F, s, sp + L);
        FloatVector a01 = FloatVector.fromArray(F, s, sp + 2 * L);
        FloatVector b01 = FloatVector.fromArray(F, s, sp + 3 * L);
        FloatVector a02 = FloatVector.fromArray(F, s, sp + 4 * L);
        FloatVector b02 = FloatVector.fromArray(F, s, sp + 5 * L);
        FloatVector a03 = FloatVector.fromArray(F, s, sp + 6 * L);
        FloatVector b03 = FloatVector.fromArray(F, s, sp + 7 * L);
        FloatVector a10 = FloatVector.fromArray(F, s, s1);
        FloatVector b10 = FloatVector.fromArray(F, s, s1 + L);
        FloatVector a11 = FloatVector.fromArray(F, s, s1 + 2 * L);
        FloatVector b11 = FloatVector.fromArray(F, s, s1 + 3 * L);
        FloatVector a12 = FloatVector.fromArray(F, s, s1 + 4 * L);
        FloatVector b12 = FloatVector.fromArray(F, s, s1 + 5 * L);
        FloatVector a13 = FloatVector.fromArray(F, s, s1 + 6 * L);
        FloatVector b13 = FloatVector.fromArray(F, s, s1 + 7 * L);
        for (int j = c0; j < c1; j += 2 * L) {
            FloatVector u0 = FloatVector.fromArray(F, wr, w + j);
            FloatVector v0 = FloatVector.fromArray(F, wr, w + j + L);
            FloatVector u1 = FloatVector.fromArray(F, wr, w1 + j);
            FloatVector v1 = FloatVector.fromArray(F, wr, w1 + j + L);
            FloatVector p = FloatVector.fromArray(F, x, x0 + j);
            FloatVector q = FloatVector.fromArray(F, x, x0 + j + L);
            a00 = u0.fma(p, a00);
            b00 = v0.fma(q, b00);
            a10 = u1.fma(p, a10);
            b10 = v1.fma(q, b10);
            p = FloatVector.fromArray(F, x, x1 + j);
            q = FloatVector.fromArray(F, x, x1 + j + L);
            a01 = u0.fma(p, a01);
            b01 = v0.fma(q, b01);
            a11 = u1.fma(p, a11);
            b11 = v1.fma(q, b11);
            p = FloatVector.fromArray(F, x, x2 + j);
            q = FloatVector.fromArray(F, x, x2 + j + L);
            a02 = u0.fma(p, a02);
            b02 = v0.fma(q, b02);
            a12 = u1.fma(p, a12);
            b12 = v1.fma(q, b12);
            p = FloatVector.fromArray(F, x, x3 + j);
            q = FloatVector.fromArray(F, x, x3 + j + L);
            a03 = u0.fma(p, a03);
            b03 = v0.fma(q, b03);
            a13 = u1.fma(p, a13);
            b13 = v1.fma(q, b13);
        }
        a00.intoArray(s, sp);
        b00.intoArray(s, sp + L);
        a01.intoArray(s, sp + 2 * L);
        b01.intoArray(s, sp + 3 * L);
        a02.intoArray(s, sp + 4 * L);
        b02.intoArray(s, sp + 5 * L);
        a03.intoArray(s, sp + 6 * L);
        b03.intoArray(s, sp + 7 * L);
        a10.intoArray(s, s1);
        b10.intoArray(s, s1 + L);
        a11.intoArray(s, s1 + 2 * L);
        b11.intoArray(s, s1 + 3 * L);
        a12.intoArray(s, s1 + 4 * L);
        b12.intoArray(s, s1 + 5 * L);
        a13.intoArray(s, s1 + 6 * L);
        b13.intoArray(s, s1 + 7 * L);
    }

    /** One widened row times four tokens over columns {@code [c0, c1)} (see {@link #tile2x4}). */
    private static void tile1x4(float[] wr, int w, float[] x, int x0, int cols, int c0, int c1, float[] s, int sp) {
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        FloatVector a0 = FloatVector.fromArray(F, s, sp);
        FloatVector b0 = FloatVector.fromArray(F, s, sp + L);
        FloatVector a1 = FloatVector.fromArray(F, s, sp + 2 * L);
        FloatVector b1 = FloatVector.fromArray(F, s, sp + 3 * L);
        FloatVector a2 = FloatVector.fromArray(F, s, sp + 4 * L);
        FloatVector b2 = FloatVector.fromArray(F, s, sp + 5 * L);
        FloatVector a3 = FloatVector.fromArray(F, s, sp + 6 * L);
        FloatVector b3 = FloatVector.fromArray(F, s, sp + 7 * L);
        for (int j = c0; j < c1; j += 2 * L) {
            FloatVector u = FloatVector.fromArray(F, wr, w + j);
            FloatVector v = FloatVector.fromArray(F, wr, w + j + L);
            a0 = u.fma(FloatVector.fromArray(F, x, x0 + j), a0);
            b0 = v.fma(FloatVector.fromArray(F, x, x0 + j + L), b0);
            a1 = u.fma(FloatVector.fromArray(F, x, x1 + j), a1);
            b1 = v.fma(FloatVector.fromArray(F, x, x1 + j + L), b1);
            a2 = u.fma(FloatVector.fromArray(F, x, x2 + j), a2);
            b2 = v.fma(FloatVector.fromArray(F, x, x2 + j + L), b2);
            a3 = u.fma(FloatVector.fromArray(F, x, x3 + j), a3);
            b3 = v.fma(FloatVector.fromArray(F, x, x3 + j + L), b3);
        }
        a0.intoArray(s, sp);
        b0.intoArray(s, sp + L);
        a1.intoArray(s, sp + 2 * L);
        b1.intoArray(s, sp + 3 * L);
        a2.intoArray(s, sp + 4 * L);
        b2.intoArray(s, sp + 5 * L);
        a3.intoArray(s, sp + 6 * L);
        b3.intoArray(s, sp + 7 * L);
    }

    /** One widened row times one token over columns {@code [c0, c1)} (see {@link #tile2x4}). */
    private static void tile1x1(float[] wr, int w, float[] x, int x0, int c0, int c1, float[] s, int sp) {
        FloatVector a = FloatVector.fromArray(F, s, sp);
        FloatVector b = FloatVector.fromArray(F, s, sp + L);
        for (int j = c0; j < c1; j += 2 * L) {
            a = FloatVector.fromArray(F, wr, w + j).fma(FloatVector.fromArray(F, x, x0 + j), a);
            b = FloatVector.fromArray(F, wr, w + j + L).fma(FloatVector.fromArray(F, x, x0 + j + L), b);
        }
        a.intoArray(s, sp);
        b.intoArray(s, sp + L);
    }

    /**
     * Tokens from which {@link #each} widens rows once for all of them instead of running the
     * fused dot per token (measured on synthetic llama-3.2-1b Q4_0, 2 threads, AVX2: 2 tokens
     * 7.5 vs 10.4 tokens/s, 4 tokens 15.7 vs 10.6).
     */
    static final int WIDEN_FROM = 4;
    /** Rows {@link #each} widens at once. */
    static final int EACH_ROWS = 16;
    /** Columns of the tokens {@link #each} multiplies per pass over a widened block: 2 KiB a token. */
    static final int EACH_KC = 512;
    /** Floats between {@link #each}'s widened rows: a cache line. */
    private static final int PAD = 16;

    /** Floats of scratch {@link #each} needs for rows of {@code cols} and up to {@code T} tokens. */
    public static int eachScratch(int cols, int T) {
        return Math.max(cols + 4 * L, EACH_ROWS * (Math.min(PANEL, cols) + PAD) + EACH_ROWS * T * 2 * L);
    }

    /**
     * Rows {@code [r0, r1)} of a batch of {@code T} tokens packed in {@code xT} (see {@link #pack}):
     * {@code y[yOff + t*yStride + r]}. {@code scratch} holds at least {@link #scratchSize}{@code (T)}
     * floats and belongs to the calling thread.
     */
    public static void batch(TypeKernel kernel, MemorySegment w, int cols, float[] xT, int T,
                             float[] y, int yOff, int yStride, int r0, int r1, float[] scratch) {
        int G = group(T);
        int groups = groups(T);
        int stride = groups * G; // of a row of partial sums
        int sums = BLOCK_ROWS * PANEL; // where they start in scratch
        long rowBytes = kernel.type().bytesFor(cols);
        for (int rb = r0; rb < r1; rb += BLOCK_ROWS) {
            int n = Math.min(BLOCK_ROWS, r1 - rb);
            Arrays.fill(scratch, sums, sums + n * stride, 0f);
            for (int p0 = 0; p0 < cols; p0 += PANEL) {
                int pc = Math.min(PANEL, cols - p0);
                for (int k = 0; k < n; k++) {
                    kernel.decode(w, (rb + k) * rowBytes + kernel.type().bytesFor(p0), pc, scratch, k * pc);
                }
                for (int g = 0; g < groups; g++) {
                    int xg = g * G * cols + p0 * G;
                    for (int c0 = 0; c0 < pc; c0 += KC) {
                        int c1 = Math.min(pc, c0 + KC);
                        int k = 0;
                        if (G == GROUP) {
                            for (; k + 4 <= n; k += 4) {
                                tile4(scratch, k * pc, pc, xT, xg, c0, c1, scratch, sums + k * stride + g * G, stride);
                            }
                            for (; k < n; k++) {
                                tile1(scratch, k * pc, xT, xg, c0, c1, scratch, sums + k * stride + g * G);
                            }
                        } else if (G == 2 * L) {
                            for (; k + 4 <= n; k += 4) {
                                half4(scratch, k * pc, pc, xT, xg, c0, c1, scratch, sums + k * stride + g * G, stride);
                            }
                            for (; k < n; k++) {
                                half1(scratch, k * pc, xT, xg, c0, c1, scratch, sums + k * stride + g * G);
                            }
                        } else {
                            for (; k + 4 <= n; k += 4) {
                                narrow4(scratch, k * pc, pc, xT, xg, c0, c1, scratch, sums + k * stride + g * G, stride);
                            }
                            for (; k < n; k++) {
                                narrow1(scratch, k * pc, xT, xg, c0, c1, scratch, sums + k * stride + g * G);
                            }
                        }
                    }
                }
            }
            for (int t = 0; t < T; t++) {
                int to = yOff + t * yStride + rb;
                for (int k = 0; k < n; k++) {
                    y[to + k] = scratch[sums + k * stride + t];
                }
            }
        }
    }

    /**
     * Rows {@code wr[w..]}, {@code wr[w+pc..]}, … (four, {@code pc} apart) times one token group
     * over columns {@code [c0, c1)}: 16 accumulators (4 rows × 4 vectors of tokens), loaded from
     * and stored back to the partial sums at {@code s[sp + row*stride ..]}.
     */
    private static void tile4(float[] wr, int w, int pc, float[] xT, int xg, int c0, int c1,
                              float[] s, int sp, int stride) {
        int w1 = w + pc;
        int w2 = w1 + pc;
        int w3 = w2 + pc;
        int s1 = sp + stride;
        int s2 = s1 + stride;
        int s3 = s2 + stride;
        FloatVector a00 = FloatVector.fromArray(F, s, sp);
        FloatVector a01 = FloatVector.fromArray(F, s, sp + L);
        FloatVector a02 = FloatVector.fromArray(F, s, sp + 2 * L);
        FloatVector a03 = FloatVector.fromArray(F, s, sp + 3 * L);
        FloatVector a10 = FloatVector.fromArray(F, s, s1);
        FloatVector a11 = FloatVector.fromArray(F, s, s1 + L);
        FloatVector a12 = FloatVector.fromArray(F, s, s1 + 2 * L);
        FloatVector a13 = FloatVector.fromArray(F, s, s1 + 3 * L);
        FloatVector a20 = FloatVector.fromArray(F, s, s2);
        FloatVector a21 = FloatVector.fromArray(F, s, s2 + L);
        FloatVector a22 = FloatVector.fromArray(F, s, s2 + 2 * L);
        FloatVector a23 = FloatVector.fromArray(F, s, s2 + 3 * L);
        FloatVector a30 = FloatVector.fromArray(F, s, s3);
        FloatVector a31 = FloatVector.fromArray(F, s, s3 + L);
        FloatVector a32 = FloatVector.fromArray(F, s, s3 + 2 * L);
        FloatVector a33 = FloatVector.fromArray(F, s, s3 + 3 * L);
        for (int c = c0; c < c1; c++) {
            int xo = xg + c * GROUP;
            FloatVector x0 = FloatVector.fromArray(F, xT, xo);
            FloatVector x1 = FloatVector.fromArray(F, xT, xo + L);
            FloatVector x2 = FloatVector.fromArray(F, xT, xo + 2 * L);
            FloatVector x3 = FloatVector.fromArray(F, xT, xo + 3 * L);
            FloatVector b = FloatVector.broadcast(F, wr[w + c]);
            a00 = x0.fma(b, a00);
            a01 = x1.fma(b, a01);
            a02 = x2.fma(b, a02);
            a03 = x3.fma(b, a03);
            b = FloatVector.broadcast(F, wr[w1 + c]);
            a10 = x0.fma(b, a10);
            a11 = x1.fma(b, a11);
            a12 = x2.fma(b, a12);
            a13 = x3.fma(b, a13);
            b = FloatVector.broadcast(F, wr[w2 + c]);
            a20 = x0.fma(b, a20);
            a21 = x1.fma(b, a21);
            a22 = x2.fma(b, a22);
            a23 = x3.fma(b, a23);
            b = FloatVector.broadcast(F, wr[w3 + c]);
            a30 = x0.fma(b, a30);
            a31 = x1.fma(b, a31);
            a32 = x2.fma(b, a32);
            a33 = x3.fma(b, a33);
        }
        a00.intoArray(s, sp);
        a01.intoArray(s, sp + L);
        a02.intoArray(s, sp + 2 * L);
        a03.intoArray(s, sp + 3 * L);
        a10.intoArray(s, s1);
        a11.intoArray(s, s1 + L);
        a12.intoArray(s, s1 + 2 * L);
        a13.intoArray(s, s1 + 3 * L);
        a20.intoArray(s, s2);
        a21.intoArray(s, s2 + L);
        a22.intoArray(s, s2 + 2 * L);
        a23.intoArray(s, s2 + 3 * L);
        a30.intoArray(s, s3);
        a31.intoArray(s, s3 + L);
        a32.intoArray(s, s3 + 2 * L);
        a33.intoArray(s, s3 + 3 * L);
    }

    /** One row times one token group over columns {@code [c0, c1)} (the rows left over by {@link #tile4}). */
    private static void tile1(float[] wr, int w, float[] xT, int xg, int c0, int c1, float[] s, int sp) {
        FloatVector a0 = FloatVector.fromArray(F, s, sp);
        FloatVector a1 = FloatVector.fromArray(F, s, sp + L);
        FloatVector a2 = FloatVector.fromArray(F, s, sp + 2 * L);
        FloatVector a3 = FloatVector.fromArray(F, s, sp + 3 * L);
        for (int c = c0; c < c1; c++) {
            int xo = xg + c * GROUP;
            FloatVector b = FloatVector.broadcast(F, wr[w + c]);
            a0 = FloatVector.fromArray(F, xT, xo).fma(b, a0);
            a1 = FloatVector.fromArray(F, xT, xo + L).fma(b, a1);
            a2 = FloatVector.fromArray(F, xT, xo + 2 * L).fma(b, a2);
            a3 = FloatVector.fromArray(F, xT, xo + 3 * L).fma(b, a3);
        }
        a0.intoArray(s, sp);
        a1.intoArray(s, sp + L);
        a2.intoArray(s, sp + 2 * L);
        a3.intoArray(s, sp + 3 * L);
    }

    /**
     * Four rows ({@code pc} apart) times a group of one vector of tokens (a batch of at most
     * {@link Vec#L}) over columns {@code [c0, c1)}: four FMA chains, column by column.
     */
    private static void narrow4(float[] wr, int w, int pc, float[] xT, int xg, int c0, int c1,
                                float[] s, int sp, int stride) {
        int w1 = w + pc;
        int w2 = w1 + pc;
        int w3 = w2 + pc;
        FloatVector a0 = FloatVector.fromArray(F, s, sp);
        FloatVector a1 = FloatVector.fromArray(F, s, sp + stride);
        FloatVector a2 = FloatVector.fromArray(F, s, sp + 2 * stride);
        FloatVector a3 = FloatVector.fromArray(F, s, sp + 3 * stride);
        for (int c = c0; c < c1; c++) {
            FloatVector x = FloatVector.fromArray(F, xT, xg + c * L);
            a0 = x.fma(FloatVector.broadcast(F, wr[w + c]), a0);
            a1 = x.fma(FloatVector.broadcast(F, wr[w1 + c]), a1);
            a2 = x.fma(FloatVector.broadcast(F, wr[w2 + c]), a2);
            a3 = x.fma(FloatVector.broadcast(F, wr[w3 + c]), a3);
        }
        a0.intoArray(s, sp);
        a1.intoArray(s, sp + stride);
        a2.intoArray(s, sp + 2 * stride);
        a3.intoArray(s, sp + 3 * stride);
    }

    /** One row times a group of one vector of tokens over columns {@code [c0, c1)} (the rows {@link #narrow4} leaves). */
    private static void narrow1(float[] wr, int w, float[] xT, int xg, int c0, int c1, float[] s, int sp) {
        FloatVector a = FloatVector.fromArray(F, s, sp);
        for (int c = c0; c < c1; c++) {
            a = FloatVector.fromArray(F, xT, xg + c * L).fma(FloatVector.broadcast(F, wr[w + c]), a);
        }
        a.intoArray(s, sp);
    }

    /** Four rows ({@code pc} apart) times a group of two vectors of tokens over columns {@code [c0, c1)}: eight FMA chains. */
    private static void half4(float[] wr, int w, int pc, float[] xT, int xg, int c0, int c1,
                              float[] s, int sp, int stride) {
        int w1 = w + pc;
        int w2 = w1 + pc;
        int w3 = w2 + pc;
        int s1 = sp + stride;
        int s2 = s1 + stride;
        int s3 = s2 + stride;
        FloatVector a00 = FloatVector.fromArray(F, s, sp);
        FloatVector a01 = FloatVector.fromArray(F, s, sp + L);
        FloatVector a10 = FloatVector.fromArray(F, s, s1);
        FloatVector a11 = FloatVector.fromArray(F, s, s1 + L);
        FloatVector a20 = FloatVector.fromArray(F, s, s2);
        FloatVector a21 = FloatVector.fromArray(F, s, s2 + L);
        FloatVector a30 = FloatVector.fromArray(F, s, s3);
        FloatVector a31 = FloatVector.fromArray(F, s, s3 + L);
        for (int c = c0; c < c1; c++) {
            int xo = xg + c * 2 * L;
            FloatVector x0 = FloatVector.fromArray(F, xT, xo);
            FloatVector x1 = FloatVector.fromArray(F, xT, xo + L);
            FloatVector b = FloatVector.broadcast(F, wr[w + c]);
            a00 = x0.fma(b, a00);
            a01 = x1.fma(b, a01);
            b = FloatVector.broadcast(F, wr[w1 + c]);
            a10 = x0.fma(b, a10);
            a11 = x1.fma(b, a11);
            b = FloatVector.broadcast(F, wr[w2 + c]);
            a20 = x0.fma(b, a20);
            a21 = x1.fma(b, a21);
            b = FloatVector.broadcast(F, wr[w3 + c]);
            a30 = x0.fma(b, a30);
            a31 = x1.fma(b, a31);
        }
        a00.intoArray(s, sp);
        a01.intoArray(s, sp + L);
        a10.intoArray(s, s1);
        a11.intoArray(s, s1 + L);
        a20.intoArray(s, s2);
        a21.intoArray(s, s2 + L);
        a30.intoArray(s, s3);
        a31.intoArray(s, s3 + L);
    }

    /** One row times a group of two vectors of tokens over columns {@code [c0, c1)} (the rows {@link #half4} leaves). */
    private static void half1(float[] wr, int w, float[] xT, int xg, int c0, int c1, float[] s, int sp) {
        FloatVector a0 = FloatVector.fromArray(F, s, sp);
        FloatVector a1 = FloatVector.fromArray(F, s, sp + L);
        for (int c = c0; c < c1; c++) {
            int xo = xg + c * 2 * L;
            FloatVector b = FloatVector.broadcast(F, wr[w + c]);
            a0 = FloatVector.fromArray(F, xT, xo).fma(b, a0);
            a1 = FloatVector.fromArray(F, xT, xo + L).fma(b, a1);
        }
        a0.intoArray(s, sp);
        a1.intoArray(s, sp + L);
    }
}
