package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;

import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Quant;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * One weight row (any supported type, read straight from the mapping) times one activation
 * vector: the decode-step kernel, with the weights widened in registers.
 *
 * <p>The arithmetic of every single-token dot product: the row is taken in pairs of float
 * vectors of {@link Vec#L} lanes; the first vector of each pair accumulates (by FMA) into one
 * accumulator, the second into another (two independent chains hide the FMA latency); the two
 * are added, the lanes summed in a fixed order ({@link Vec#sum}), and what is left after the last
 * whole pair is added by scalar FMAs. Quantised values are {@code q · d} exactly as
 * {@link Quant#dequantize} gives them. (A batch sums in column order instead: see {@link Matmul}.)
 */
public final class Dot {
    private Dot() {}

    /**
     * {@code Σ_j W[j] · x[xOff + j]} over the {@code n} values of the row at byte {@code offset}.
     *
     * @param buf scratch of at least {@code n} floats: F16 rows are widened into it first (see
     *            {@link RowDecoder}), then multiplied as an array
     */
    public static float dot(GgmlType type, MemorySegment w, long offset, int n, float[] x, int xOff, float[] buf) {
        return switch (type) {
            case F32 -> f32(w, offset, n, x, xOff);
            case F16 -> {
                RowDecoder.decode(type, w, offset, n, buf, 0);
                yield array(buf, 0, n, x, xOff);
            }
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

    private static float bf16(MemorySegment w, long off, int n, float[] x, int xOff) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            FloatVector v0 = ((IntVector) ShortVector.fromMemorySegment(RowDecoder.S, w, off + 2L * i, LE)
                    .convertShape(VectorOperators.S2I, RowDecoder.I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector v1 = ((IntVector) ShortVector.fromMemorySegment(RowDecoder.S, w, off + 2L * (i + L), LE)
                    .convertShape(VectorOperators.S2I, RowDecoder.I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a0 = v0.fma(FloatVector.fromArray(F, x, xOff + i), a0);
            a1 = v1.fma(FloatVector.fromArray(F, x, xOff + i + L), a1);
        }
        float s = Vec.sum(a0.add(a1));
        for (; i < n; i++) {
            s = Math.fma(Quant.bf16ToFloat(w.get(Quant.SHORT_LE, off + 2L * i)), x[xOff + i], s);
        }
        return s;
    }

    /** Q8_0: 32 values per block are an even number of vectors, so no tail. */
    private static float q8_0(MemorySegment w, long off, int n, float[] x, int xOff) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        for (int b = 0; b < n / 32; b++) {
            long blk = off + 34L * b;
            float d = RowDecoder.scale(w, blk);
            int xb = xOff + 32 * b;
            if (RowDecoder.PARTS == 1) {
                // one vector per 16 quants: the first half to a0, the second to a1
                a0 = ((FloatVector) ByteVector.fromMemorySegment(RowDecoder.B16, w, blk + 2, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).mul(d).fma(FloatVector.fromArray(F, x, xb), a0);
                a1 = ((FloatVector) ByteVector.fromMemorySegment(RowDecoder.B16, w, blk + 18, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).mul(d).fma(FloatVector.fromArray(F, x, xb + 16), a1);
                continue;
            }
            for (int half = 0; half < 2; half++) {
                ByteVector q = ByteVector.fromMemorySegment(RowDecoder.B16, w, blk + 2 + 16L * half, LE);
                for (int p = 0; p < RowDecoder.PARTS; p++) {
                    FloatVector v = ((FloatVector) q.convertShape(VectorOperators.B2F, F, p)).mul(d);
                    FloatVector xv = FloatVector.fromArray(F, x, xb + 16 * half + L * p);
                    // vector number (16·half + L·p)/L within the block: even ones to a0, odd to a1
                    if (((16 * half / L + p) & 1) == 0) {
                        a0 = v.fma(xv, a0);
                    } else {
                        a1 = v.fma(xv, a1);
                    }
                }
            }
        }
        return Vec.sum(a0.add(a1));
    }

    /** Q4_0: values 0..15 of a block are the low nibbles − 8, values 16..31 the high ones. */
    private static float q4_0(MemorySegment w, long off, int n, float[] x, int xOff) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        for (int b = 0; b < n / 32; b++) {
            long blk = off + 18L * b;
            float d = RowDecoder.scale(w, blk);
            int xb = xOff + 32 * b;
            ByteVector q = ByteVector.fromMemorySegment(RowDecoder.B16, w, blk + 2, LE);
            if (RowDecoder.PARTS == 1) {
                // one vector of 16 packed bytes: the low nibbles to a0, the high ones to a1
                IntVector packed = (IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, RowDecoder.I, 0);
                a0 = ((FloatVector) packed.and(0x0f).sub(8).convert(VectorOperators.I2F, 0)).mul(d)
                        .fma(FloatVector.fromArray(F, x, xb), a0);
                a1 = ((FloatVector) packed.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0)).mul(d)
                        .fma(FloatVector.fromArray(F, x, xb + 16), a1);
                continue;
            }
            for (int half = 0; half < 2; half++) {
                for (int p = 0; p < RowDecoder.PARTS; p++) {
                    IntVector packed = (IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, RowDecoder.I, p);
                    IntVector nibbles = half == 0 ? packed.and(0x0f) : packed.lanewise(VectorOperators.LSHR, 4);
                    FloatVector v = ((FloatVector) nibbles.sub(8).convert(VectorOperators.I2F, 0)).mul(d);
                    FloatVector xv = FloatVector.fromArray(F, x, xb + 16 * half + L * p);
                    if (((16 * half / L + p) & 1) == 0) {
                        a0 = v.fma(xv, a0);
                    } else {
                        a1 = v.fma(xv, a1);
                    }
                }
            }
        }
        return Vec.sum(a0.add(a1));
    }
}
