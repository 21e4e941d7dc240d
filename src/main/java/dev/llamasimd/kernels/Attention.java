package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;

import dev.llamasimd.tensor.Quant;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * Scaled dot-product attention of one query head over a run of cached positions. Keys and
 * values are rows of {@code headDim} values, contiguous by position, in off-heap memory: float32
 * ({@link #head}) or F16/BF16 widened a chunk of positions at a time ({@link #headWidened}).
 *
 * <p>Arithmetic, the same in both: a score is one FMA chain per lane over the row, lanes by the
 * fixed fold of {@link Vec#FOLD_2}, scalar tail; an output value is one FMA chain over the
 * positions in order.
 */
public final class Attention {
    /**
     * Positions widened at once by {@link #headWidened}: {@code CHUNK × headDim} floats of
     * scratch. 4 measured slower; 16, 32 and 64 alike (JMH {@code AttentionBenchmarks}).
     */
    public static final int CHUNK = 16;

    private Attention() {}

    /**
     * {@code out = softmax(q·Kᵀ · scale) V} over positions {@code [from, to)}.
     *
     * @param kBase byte offset of position 0's key row for this KV head ({@code vBase} likewise)
     * @param scores scratch of at least {@code to} floats
     */
    public static void head(float[] q, int qOff, MemorySegment k, long kBase, MemorySegment v, long vBase,
                            int headDim, int from, int to, float scale, float[] scores, float[] out, int outOff) {
        long rowBytes = 4L * headDim;
        for (int j = from; j < to; j++) {
            scores[j] = dot(q, qOff, k, kBase + j * rowBytes, headDim) * scale;
        }
        Ops.softmax(scores, from, to - from);
        int upper = Vec.loopBound(headDim);
        int d = 0;
        // four output vectors at a time: four independent FMA chains over the positions
        for (; d + 4 * L <= upper; d += 4 * L) {
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int j = from; j < to; j++) {
                long row = vBase + j * rowBytes + 4L * d;
                FloatVector p = FloatVector.broadcast(F, scores[j]);
                a0 = FloatVector.fromMemorySegment(F, v, row, LE).fma(p, a0);
                a1 = FloatVector.fromMemorySegment(F, v, row + 4L * L, LE).fma(p, a1);
                a2 = FloatVector.fromMemorySegment(F, v, row + 8L * L, LE).fma(p, a2);
                a3 = FloatVector.fromMemorySegment(F, v, row + 12L * L, LE).fma(p, a3);
            }
            a0.intoArray(out, outOff + d);
            a1.intoArray(out, outOff + d + L);
            a2.intoArray(out, outOff + d + 2 * L);
            a3.intoArray(out, outOff + d + 3 * L);
        }
        for (; d < upper; d += L) {
            FloatVector acc = FloatVector.zero(F);
            for (int j = from; j < to; j++) {
                acc = FloatVector.fromMemorySegment(F, v, vBase + j * rowBytes + 4L * d, LE)
                        .fma(FloatVector.broadcast(F, scores[j]), acc);
            }
            acc.intoArray(out, outOff + d);
        }
        for (; d < headDim; d++) {
            float acc = 0;
            for (int j = from; j < to; j++) {
                acc = Math.fma(v.get(Quant.FLOAT_LE, vBase + j * rowBytes + 4L * d), scores[j], acc);
            }
            out[outOff + d] = acc;
        }
    }

    /**
     * {@link #head} over keys and values stored in another type (F16, BF16), whose row kernel
     * {@code widen} widens them to float32, {@link #CHUNK} positions at a time into {@code rows}
     * (scratch of {@code CHUNK × headDim} floats, small enough to stay in the L1 cache). Bit for
     * bit what {@link #head} gives over the widened values: the same order of every sum. The
     * rows are widened by the type's own row kernel (F16: a plain {@link Float#float16ToFloat}
     * loop, which C2 compiles to {@code vcvtph2ps}; BF16: each value shifted into a float's upper
     * half). Measured against {@link #head} on one thread (AVX-512): 10-30 % slower while a head's
     * keys and values fit the L2 cache (1024 positions), as fast at 16384 positions of 64 and
     * 1.5× faster at 16384 of 128, where it reads half the bytes.
     *
     * @param kBase byte offset of position 0's key row for this KV head ({@code vBase} likewise)
     */
    public static void headWidened(TypeKernel widen, float[] q, int qOff, MemorySegment k, long kBase,
                                   MemorySegment v, long vBase, int headDim, int from, int to, float scale,
                                   float[] scores, float[] rows, float[] out, int outOff) {
        long rowBytes = widen.type().bytesFor(headDim);
        for (int j = from; j < to; j += CHUNK) {
            int n = Math.min(CHUNK, to - j);
            widen.decode(k, kBase + j * rowBytes, n * headDim, rows, 0);
            scores(q, qOff, rows, n, headDim, scale, scores, j);
        }
        Ops.softmax(scores, from, to - from);
        // out holds the sums between chunks: each lane's chain goes on where the last chunk left it
        Arrays.fill(out, outOff, outOff + headDim, 0f);
        for (int j = from; j < to; j += CHUNK) {
            int n = Math.min(CHUNK, to - j);
            widen.decode(v, vBase + j * rowBytes, n * headDim, rows, 0);
            accumulate(rows, n, headDim, scores, j, out, outOff);
        }
    }

    /** {@code scores[at + j] = q · rows[j] · scale} for the {@code n} widened key rows, in {@link #dot}'s order. */
    private static void scores(float[] q, int qOff, float[] rows, int n, int headDim, float scale, float[] scores, int at) {
        int upper = Vec.loopBound(headDim);
        for (int j = 0; j < n; j++) {
            int row = j * headDim;
            FloatVector acc = FloatVector.zero(F);
            for (int i = 0; i < upper; i += L) {
                acc = FloatVector.fromArray(F, q, qOff + i).fma(FloatVector.fromArray(F, rows, row + i), acc);
            }
            acc = acc.add(acc.rearrange(Vec.FOLD_2));
            acc = acc.add(acc.rearrange(Vec.FOLD_4));
            acc = L >= 8 ? acc.add(acc.rearrange(Vec.FOLD_8)) : acc;
            acc = L >= 16 ? acc.add(acc.rearrange(Vec.FOLD_16)) : acc;
            float s = acc.lane(0);
            for (int i = upper; i < headDim; i++) {
                s = Math.fma(q[qOff + i], rows[row + i], s);
            }
            scores[at + j] = s * scale;
        }
    }

    /** {@code out += Σ_j scores[at + j] · rows[j]} over the {@code n} widened value rows, in {@link #head}'s order. */
    private static void accumulate(float[] rows, int n, int headDim, float[] scores, int at, float[] out, int outOff) {
        int upper = Vec.loopBound(headDim);
        int d = 0;
        for (; d + 4 * L <= upper; d += 4 * L) {
            FloatVector a0 = FloatVector.fromArray(F, out, outOff + d);
            FloatVector a1 = FloatVector.fromArray(F, out, outOff + d + L);
            FloatVector a2 = FloatVector.fromArray(F, out, outOff + d + 2 * L);
            FloatVector a3 = FloatVector.fromArray(F, out, outOff + d + 3 * L);
            for (int j = 0; j < n; j++) {
                int row = j * headDim + d;
                FloatVector p = FloatVector.broadcast(F, scores[at + j]);
                a0 = FloatVector.fromArray(F, rows, row).fma(p, a0);
                a1 = FloatVector.fromArray(F, rows, row + L).fma(p, a1);
                a2 = FloatVector.fromArray(F, rows, row + 2 * L).fma(p, a2);
                a3 = FloatVector.fromArray(F, rows, row + 3 * L).fma(p, a3);
            }
            a0.intoArray(out, outOff + d);
            a1.intoArray(out, outOff + d + L);
            a2.intoArray(out, outOff + d + 2 * L);
            a3.intoArray(out, outOff + d + 3 * L);
        }
        for (; d < upper; d += L) {
            FloatVector acc = FloatVector.fromArray(F, out, outOff + d);
            for (int j = 0; j < n; j++) {
                acc = FloatVector.fromArray(F, rows, j * headDim + d).fma(FloatVector.broadcast(F, scores[at + j]), acc);
            }
            acc.intoArray(out, outOff + d);
        }
        for (; d < headDim; d++) {
            float acc = out[outOff + d];
            for (int j = 0; j < n; j++) {
                acc = Math.fma(rows[j * headDim + d], scores[at + j], acc);
            }
            out[outOff + d] = acc;
        }
    }

    /** {@code q[qOff..qOff+n) · row}, the row a mapped float32 vector at byte {@code offset}. */
    public static float dot(float[] q, int qOff, MemorySegment row, long offset, int n) {
        int upper = Vec.loopBound(n);
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < upper; i += L) {
            acc = FloatVector.fromArray(F, q, qOff + i).fma(FloatVector.fromMemorySegment(F, row, offset + 4L * i, LE), acc);
        }
        acc = acc.add(acc.rearrange(Vec.FOLD_2));
        acc = acc.add(acc.rearrange(Vec.FOLD_4));
        acc = L >= 8 ? acc.add(acc.rearrange(Vec.FOLD_8)) : acc;
        acc = L >= 16 ? acc.add(acc.rearrange(Vec.FOLD_16)) : acc;
        float s = acc.lane(0);
        for (int i = upper; i < n; i++) {
            s = Math.fma(q[qOff + i], row.get(Quant.FLOAT_LE, offset + 4L * i), s);
        }
        return s;
    }
}
