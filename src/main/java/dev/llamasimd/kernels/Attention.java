package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;

import dev.llamasimd.tensor.Quant;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * Scaled dot-product attention of one query head over a run of cached positions. Keys and
 * values are float32 rows of {@code headDim} values, contiguous by position, in off-heap memory.
 */
public final class Attention {
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

    /** {@code q[qOff..qOff+n) · row}, the row a mapped float32 vector at byte {@code offset}. */
    public static float dot(float[] q, int qOff, MemorySegment row, long offset, int n) {
        int upper = Vec.loopBound(n);
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < upper; i += L) {
            acc = FloatVector.fromArray(F, q, qOff + i).fma(FloatVector.fromMemorySegment(F, row, offset + 4L * i, LE), acc);
        }
        float s = Vec.sum(acc);
        for (int i = upper; i < n; i++) {
            s = Math.fma(q[qOff + i], row.get(Quant.FLOAT_LE, offset + 4L * i), s);
        }
        return s;
    }
}
