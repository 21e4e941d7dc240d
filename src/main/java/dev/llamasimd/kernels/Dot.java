package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;

import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Quant;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;

/**
 * One weight row (any supported type, read straight from the mapping) times one activation
 * vector: the decode-step kernel, with the weights widened in registers.
 *
 * <p>Every dot product in llama-simd has the same arithmetic, which {@link Matmul} uses too: the
 * row is taken in pairs of float vectors of {@link Vec#L} lanes; the first vector of each pair
 * accumulates (by FMA) into one accumulator, the second into another (two independent chains hide
 * the FMA latency); the two are added, the lanes summed in a fixed order ({@link Vec#sum}), and
 * what is left after the last whole pair is added by scalar FMAs. Quantised values are {@code q · d} exactly as
 * {@link Quant#dequantize} gives them. So a token's result does not depend on whether it was
 * computed here or in a batch.
 */
public final class Dot {
    private Dot() {}

    /** {@code Σ_j W[j] · x[xOff + j]} over the {@code n} values of the row at byte {@code offset}. */
    public static float dot(GgmlType type, MemorySegment w, long offset, int n, float[] x, int xOff) {
        return switch (type) {
            case F32 -> f32(w, offset, n, x, xOff);
            case F16 -> f16(w, offset, n, x, xOff);
            case BF16 -> bf16(w, offset, n, x, xOff);
            case Q8_0 -> q8_0(w, offset, n, x, xOff);
            case Q4_0 -> q4_0(w, offset, n, x, xOff);
            default -> throw new UnsupportedOperationException("no kernel for " + type);
        };
    }

    /** The canonical dot product of a widened row in {@code w[wOff..]} with {@code x[xOff..]}. */
    static float array(float[] w, int wOff, int n, float[] x, int xOff) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            a0 = FloatVector.fromArray(F, w, wOff + i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
            a1 = FloatVector.fromArray(F, w, wOff + i + L).fma(FloatVector.fromArray(F, x, xOff + i + L), a1);
        }
        float s = Vec.sum(a0.add(a1));
        for (; i < n; i++) {
            s = Math.fma(w[wOff + i], x[xOff + i], s);
        }
        return s;
    }

    private static float f32(MemorySegment w, long off, int n, float[] x, int xOff) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            a0 = FloatVector.fromMemorySegment(F, w, off + 4L * i, LE).fma(FloatVector.fromArray(F, x, xOff + i), a0);
            a1 = FloatVector.fromMemorySegment(F, w, off + 4L * (i + L), LE).fma(FloatVector.fromArray(F, x, xOff + i + L), a1);
        }
        float s = Vec.sum(a0.add(a1));
        for (; i < n; i++) {
            s = Math.fma(w.get(Quant.FLOAT_LE, off + 4L * i), x[xOff + i], s);
        }
        return s;
    }

    private static float f16(MemorySegment w, long off, int n, float[] x, int xOff) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            a0 = RowDecoder.f16(w, off + 2L * i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
            a1 = RowDecoder.f16(w, off + 2L * (i + L)).fma(FloatVector.fromArray(F, x, xOff + i + L), a1);
        }
        float s = Vec.sum(a0.add(a1));
        for (; i < n; i++) {
            s = Math.fma(Float.float16ToFloat(w.get(Quant.SHORT_LE, off + 2L * i)), x[xOff + i], s);
        }
        return s;
    }

    private static float bf16(MemorySegment w, long off, int n, float[] x, int xOff) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            a0 = RowDecoder.bf16(w, off + 2L * i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
            a1 = RowDecoder.bf16(w, off + 2L * (i + L)).fma(FloatVector.fromArray(F, x, xOff + i + L), a1);
        }
        float s = Vec.sum(a0.add(a1));
        for (; i < n; i++) {
            s = Math.fma(Quant.bf16ToFloat(w.get(Quant.SHORT_LE, off + 2L * i)), x[xOff + i], s);
        }
        return s;
    }

    /** Q8_0: 32 values per block are an even number of vectors, so no remainder or tail. */
    private static float q8_0(MemorySegment w, long off, int n, float[] x, int xOff) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        for (int b = 0; b < n / 32; b++) {
            long blk = off + 34L * b;
            FloatVector d = RowDecoder.scale(w, blk);
            int xb = xOff + 32 * b;
            ByteVector q0 = RowDecoder.q8Half(w, blk, 0);
            ByteVector q1 = RowDecoder.q8Half(w, blk, 1);
            if (RowDecoder.PARTS == 1) {
                a0 = RowDecoder.part(q0, 0, d).fma(FloatVector.fromArray(F, x, xb), a0);
                a1 = RowDecoder.part(q1, 0, d).fma(FloatVector.fromArray(F, x, xb + 16), a1);
            } else {
                for (int p = 0; p < RowDecoder.PARTS; p += 2) {
                    a0 = RowDecoder.part(q0, p, d).fma(FloatVector.fromArray(F, x, xb + L * p), a0);
                    a1 = RowDecoder.part(q0, p + 1, d).fma(FloatVector.fromArray(F, x, xb + L * (p + 1)), a1);
                }
                for (int p = 0; p < RowDecoder.PARTS; p += 2) {
                    a0 = RowDecoder.part(q1, p, d).fma(FloatVector.fromArray(F, x, xb + 16 + L * p), a0);
                    a1 = RowDecoder.part(q1, p + 1, d).fma(FloatVector.fromArray(F, x, xb + 16 + L * (p + 1)), a1);
                }
            }
        }
        return Vec.sum(a0.add(a1));
    }

    /** Q4_0: values 0..15 are the low nibbles, 16..31 the high ones. */
    private static float q4_0(MemorySegment w, long off, int n, float[] x, int xOff) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        for (int b = 0; b < n / 32; b++) {
            long blk = off + 18L * b;
            FloatVector d = RowDecoder.scale(w, blk);
            int xb = xOff + 32 * b;
            ByteVector q = RowDecoder.q4Quants(w, blk);
            ByteVector lo = RowDecoder.q4Low(q);
            ByteVector hi = RowDecoder.q4High(q);
            if (RowDecoder.PARTS == 1) {
                a0 = RowDecoder.part(lo, 0, d).fma(FloatVector.fromArray(F, x, xb), a0);
                a1 = RowDecoder.part(hi, 0, d).fma(FloatVector.fromArray(F, x, xb + 16), a1);
            } else {
                for (int p = 0; p < RowDecoder.PARTS; p += 2) {
                    a0 = RowDecoder.part(lo, p, d).fma(FloatVector.fromArray(F, x, xb + L * p), a0);
                    a1 = RowDecoder.part(lo, p + 1, d).fma(FloatVector.fromArray(F, x, xb + L * (p + 1)), a1);
                }
                for (int p = 0; p < RowDecoder.PARTS; p += 2) {
                    a0 = RowDecoder.part(hi, p, d).fma(FloatVector.fromArray(F, x, xb + 16 + L * p), a0);
                    a1 = RowDecoder.part(hi, p + 1, d).fma(FloatVector.fromArray(F, x, xb + 16 + L * (p + 1)), a1);
                }
            }
        }
        return Vec.sum(a0.add(a1));
    }
}
