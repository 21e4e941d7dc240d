package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;

import dev.llamasimd.tensor.Quant;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;

/**
 * Scaled dot-product attention of one query head over a run of cached positions. Keys and
 * values are rows of {@code headDim} values, contiguous by position, in off-heap memory: float32
 * ({@link #head}) or F16/BF16 widened a chunk of positions at a time ({@link #headWidened}).
 *
 * <p>Arithmetic, the same in both: a score is one FMA chain per lane over the row, lanes by the
 * fixed fold of {@link Vec#FOLD_2} (sixteen positions' folds at once where the lanes allow, in
 * the same tree), scalar tail; an output value is one FMA chain over the positions in order.
 */
public final class Attention {
    /**
     * Positions widened at once by {@link #headWidened}: {@code CHUNK × headDim} floats of
     * scratch. 4 measured slower; 16, 32 and 64 alike (JMH {@code AttentionBenchmarks}).
     */
    public static final int CHUNK = 16;

    /*
     * Sixteen positions' lane sums at once (16 lanes): the fold of {@link Vec#FOLD_2} pairs lane i
     * with lane i + 8, then + 4, + 2, + 1. Here each step adds two positions' accumulators into
     * one vector, position A's pairs in the lanes whose bit d is clear, position B's in the others:
     * A.blend(B, bit d) + B.blend(A, bit d) swapped across bit d. After the four steps lane j
     * holds position j's sum, added in the fold's tree (some additions with their operands
     * swapped, which gives the same float): 60 vector operations where sixteen folds take 144.
     */
    private static final VectorMask<Float> BIT8 = VectorMask.fromLong(F, 0xFF00L);
    private static final VectorMask<Float> BIT4 = VectorMask.fromLong(F, 0xF0F0L);
    private static final VectorMask<Float> BIT2 = VectorMask.fromLong(F, 0xCCCCL);
    private static final VectorMask<Float> BIT1 = VectorMask.fromLong(F, 0xAAAAL);
    private static final VectorShuffle<Float> SWAP8 = VectorShuffle.fromOp(F, i -> (i ^ 8) & (L - 1));
    private static final VectorShuffle<Float> SWAP4 = VectorShuffle.fromOp(F, i -> (i ^ 4) & (L - 1));
    private static final VectorShuffle<Float> SWAP2 = VectorShuffle.fromOp(F, i -> (i ^ 2) & (L - 1));
    private static final VectorShuffle<Float> SWAP1 = VectorShuffle.fromOp(F, i -> (i ^ 1) & (L - 1));

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
     * half). At 16 lanes a full chunk's 16 scores are summed together ({@link #scores16}). Measured
     * on one thread (AVX-512, head of 64): F16 over 512 positions 17-20 µs, 4096 positions
     * 153-179 µs, where {@link #head} takes 17-21 and 198-213 (before the chunk's scores were
     * summed together: 22-25 and 182-190).
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
        if (L == 16 && n == 16) {
            scores16(q, qOff, rows, headDim, scale, scores, at);
            return;
        }
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

    /** {@link #scores} of 16 widened key rows at 16 lanes: bit for bit sixteen {@link #dot}s, lanes summed together. */
    private static void scores16(float[] q, int qOff, float[] rows, int headDim, float scale, float[] scores, int at) {
        int upper = Vec.loopBound(headDim);
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector a4 = a0;
        FloatVector a5 = a0;
        FloatVector a6 = a0;
        FloatVector a7 = a0;
        FloatVector a8 = a0;
        FloatVector a9 = a0;
        FloatVector a10 = a0;
        FloatVector a11 = a0;
        FloatVector a12 = a0;
        FloatVector a13 = a0;
        FloatVector a14 = a0;
        FloatVector a15 = a0;
        for (int i = 0; i < upper; i += L) {
            FloatVector x = FloatVector.fromArray(F, q, qOff + i);
            a0 = x.fma(FloatVector.fromArray(F, rows, i), a0);
            a1 = x.fma(FloatVector.fromArray(F, rows, 1 * headDim + i), a1);
            a2 = x.fma(FloatVector.fromArray(F, rows, 2 * headDim + i), a2);
            a3 = x.fma(FloatVector.fromArray(F, rows, 3 * headDim + i), a3);
            a4 = x.fma(FloatVector.fromArray(F, rows, 4 * headDim + i), a4);
            a5 = x.fma(FloatVector.fromArray(F, rows, 5 * headDim + i), a5);
            a6 = x.fma(FloatVector.fromArray(F, rows, 6 * headDim + i), a6);
            a7 = x.fma(FloatVector.fromArray(F, rows, 7 * headDim + i), a7);
            a8 = x.fma(FloatVector.fromArray(F, rows, 8 * headDim + i), a8);
            a9 = x.fma(FloatVector.fromArray(F, rows, 9 * headDim + i), a9);
            a10 = x.fma(FloatVector.fromArray(F, rows, 10 * headDim + i), a10);
            a11 = x.fma(FloatVector.fromArray(F, rows, 11 * headDim + i), a11);
            a12 = x.fma(FloatVector.fromArray(F, rows, 12 * headDim + i), a12);
            a13 = x.fma(FloatVector.fromArray(F, rows, 13 * headDim + i), a13);
            a14 = x.fma(FloatVector.fromArray(F, rows, 14 * headDim + i), a14);
            a15 = x.fma(FloatVector.fromArray(F, rows, 15 * headDim + i), a15);
        }
        FloatVector b0 = a0.blend(a8, BIT8).add(a8.blend(a0, BIT8).rearrange(SWAP8));
        FloatVector b1 = a1.blend(a9, BIT8).add(a9.blend(a1, BIT8).rearrange(SWAP8));
        FloatVector b2 = a2.blend(a10, BIT8).add(a10.blend(a2, BIT8).rearrange(SWAP8));
        FloatVector b3 = a3.blend(a11, BIT8).add(a11.blend(a3, BIT8).rearrange(SWAP8));
        FloatVector b4 = a4.blend(a12, BIT8).add(a12.blend(a4, BIT8).rearrange(SWAP8));
        FloatVector b5 = a5.blend(a13, BIT8).add(a13.blend(a5, BIT8).rearrange(SWAP8));
        FloatVector b6 = a6.blend(a14, BIT8).add(a14.blend(a6, BIT8).rearrange(SWAP8));
        FloatVector b7 = a7.blend(a15, BIT8).add(a15.blend(a7, BIT8).rearrange(SWAP8));
        FloatVector c0 = b0.blend(b4, BIT4).add(b4.blend(b0, BIT4).rearrange(SWAP4));
        FloatVector c1 = b1.blend(b5, BIT4).add(b5.blend(b1, BIT4).rearrange(SWAP4));
        FloatVector c2 = b2.blend(b6, BIT4).add(b6.blend(b2, BIT4).rearrange(SWAP4));
        FloatVector c3 = b3.blend(b7, BIT4).add(b7.blend(b3, BIT4).rearrange(SWAP4));
        FloatVector d0 = c0.blend(c2, BIT2).add(c2.blend(c0, BIT2).rearrange(SWAP2));
        FloatVector d1 = c1.blend(c3, BIT2).add(c3.blend(c1, BIT2).rearrange(SWAP2));
        FloatVector sums = d0.blend(d1, BIT1).add(d1.blend(d0, BIT1).rearrange(SWAP1));
        if (upper == headDim) {
            sums.mul(scale).intoArray(scores, at);
            return;
        }
        sums.intoArray(scores, at);
        for (int j = 0; j < 16; j++) {
            float s = scores[at + j];
            for (int i = upper; i < headDim; i++) {
                s = Math.fma(q[qOff + i], rows[j * headDim + i], s);
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
