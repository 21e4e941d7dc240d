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
 * Weight rows (any supported type, read straight from the mapping) times one activation vector:
 * the decode-step kernels, with the weights widened in registers.
 *
 * <p>Each kernel takes two rows at once, far apart in the matrix ({@link Matmul#rows} pairs the
 * first half of its rows with the second), and interleaves them: two streams from memory
 * instead of one keep more of it in flight, which measured 30–50 % more bytes per second on one
 * core (BF16 6.9 → 10.6 GB/s, Q8_0 5.4 → 7.1). F16 rows are widened one after the other by the
 * CPU's conversion instead, and Q4_0 rows multiplied one after the other: its kernel is bound by
 * arithmetic, and interleaved it measured no faster while its larger body made C2 box vectors.
 *
 * <p>The two rows do not mix: each has the arithmetic of a single-token dot product. A row is
 * taken in pairs of float vectors of {@link Vec#L} lanes; the first vector of each pair accumulates (by FMA) into one accumulator, the second into
 * another (two independent chains hide the FMA latency); the two are added, the lanes summed in
 * a fixed order ({@link Vec#sum}), and what is left after the last whole pair is added by scalar
 * FMAs. Quantised values are {@code q · d} exactly as {@link Quant#dequantize} gives them. (A
 * batch sums in column order instead: see {@link Matmul}.)
 */
public final class Dot {
    private Dot() {}

    /**
     * {@code y[yA] = Σ_j A[j] · x[xOff + j]} and {@code y[yB] = Σ_j B[j] · x[xOff + j]} over the
     * {@code n} values of the rows at bytes {@code a} and {@code b} (which may be the same row).
     *
     * @param buf scratch of at least {@code n} floats: F16 rows are widened into it first (see
     *            {@link RowDecoder}), then multiplied as arrays
     */
    public static void dot2(GgmlType type, MemorySegment w, long a, long b, int n, float[] x, int xOff,
                            float[] buf, float[] y, int yA, int yB) {
        switch (type) {
            case F32 -> f32(w, a, b, n, x, xOff, y, yA, yB);
            case F16 -> f16(w, a, b, n, x, xOff, buf, y, yA, yB);
            case BF16 -> bf16(w, a, b, n, x, xOff, y, yA, yB);
            case Q8_0 -> q8_0(w, a, b, n, x, xOff, y, yA, yB);
            case Q4_0 -> {
                y[yA] = q4_0(w, a, n, x, xOff);
                y[yB] = q4_0(w, b, n, x, xOff);
            }
            default -> throw new UnsupportedOperationException("no kernel for " + type);
        }
    }

    /** The dot product of a widened row in {@code w[wOff..]} with {@code x[xOff..]}. */
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

    /** F16: each row widened by the CPU's conversion ({@link RowDecoder}), then multiplied as an array. */
    private static void f16(MemorySegment w, long a, long b, int n, float[] x, int xOff, float[] buf,
                            float[] y, int yA, int yB) {
        RowDecoder.decode(GgmlType.F16, w, a, n, buf, 0);
        y[yA] = array(buf, 0, n, x, xOff);
        RowDecoder.decode(GgmlType.F16, w, b, n, buf, 0);
        y[yB] = array(buf, 0, n, x, xOff);
    }

    private static void f32(MemorySegment w, long a, long b, int n, float[] x, int xOff, float[] y, int yA, int yB) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            FloatVector x0 = FloatVector.fromArray(F, x, xOff + i);
            FloatVector x1 = FloatVector.fromArray(F, x, xOff + i + L);
            a0 = FloatVector.fromMemorySegment(F, w, a + 4L * i, LE).fma(x0, a0);
            a1 = FloatVector.fromMemorySegment(F, w, a + 4L * (i + L), LE).fma(x1, a1);
            b0 = FloatVector.fromMemorySegment(F, w, b + 4L * i, LE).fma(x0, b0);
            b1 = FloatVector.fromMemorySegment(F, w, b + 4L * (i + L), LE).fma(x1, b1);
        }
        float sa = Vec.sum(a0.add(a1));
        float sb = Vec.sum(b0.add(b1));
        for (; i < n; i++) {
            sa = Math.fma(w.get(Quant.FLOAT_LE, a + 4L * i), x[xOff + i], sa);
            sb = Math.fma(w.get(Quant.FLOAT_LE, b + 4L * i), x[xOff + i], sb);
        }
        y[yA] = sa;
        y[yB] = sb;
    }

    private static void bf16(MemorySegment w, long a, long b, int n, float[] x, int xOff, float[] y, int yA, int yB) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            FloatVector x0 = FloatVector.fromArray(F, x, xOff + i);
            FloatVector x1 = FloatVector.fromArray(F, x, xOff + i + L);
            a0 = ((IntVector) ShortVector.fromMemorySegment(RowDecoder.S, w, a + 2L * i, LE)
                    .convertShape(VectorOperators.S2I, RowDecoder.I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x0, a0);
            a1 = ((IntVector) ShortVector.fromMemorySegment(RowDecoder.S, w, a + 2L * (i + L), LE)
                    .convertShape(VectorOperators.S2I, RowDecoder.I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x1, a1);
            b0 = ((IntVector) ShortVector.fromMemorySegment(RowDecoder.S, w, b + 2L * i, LE)
                    .convertShape(VectorOperators.S2I, RowDecoder.I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x0, b0);
            b1 = ((IntVector) ShortVector.fromMemorySegment(RowDecoder.S, w, b + 2L * (i + L), LE)
                    .convertShape(VectorOperators.S2I, RowDecoder.I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x1, b1);
        }
        float sa = Vec.sum(a0.add(a1));
        float sb = Vec.sum(b0.add(b1));
        for (; i < n; i++) {
            sa = Math.fma(Quant.bf16ToFloat(w.get(Quant.SHORT_LE, a + 2L * i)), x[xOff + i], sa);
            sb = Math.fma(Quant.bf16ToFloat(w.get(Quant.SHORT_LE, b + 2L * i)), x[xOff + i], sb);
        }
        y[yA] = sa;
        y[yB] = sb;
    }

    /**
     * Q8_0: 32 values per block are an even number of vectors, so no tail. With 16 lanes a block
     * half is one vector and the two rows are interleaved; narrower vectors take
     * {@link #q8_0Parts}, one row at a time.
     */
    private static void q8_0(MemorySegment w, long a, long b, int n, float[] x, int xOff, float[] y, int yA, int yB) {
        if (RowDecoder.PARTS != 1) {
            y[yA] = q8_0Parts(w, a, n, x, xOff);
            y[yB] = q8_0Parts(w, b, n, x, xOff);
            return;
        }
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        for (int k = 0; k < n / 32; k++) {
            long ka = a + 34L * k;
            long kb = b + 34L * k;
            float da = RowDecoder.scale(w, ka);
            float db = RowDecoder.scale(w, kb);
            int xb = xOff + 32 * k;
            // one vector per 16 quants: the first half to a0/b0, the second to a1/b1
            FloatVector x0 = FloatVector.fromArray(F, x, xb);
            FloatVector x1 = FloatVector.fromArray(F, x, xb + 16);
            a0 = ((FloatVector) ByteVector.fromMemorySegment(RowDecoder.B16, w, ka + 2, LE)
                    .convertShape(VectorOperators.B2F, F, 0)).mul(da).fma(x0, a0);
            a1 = ((FloatVector) ByteVector.fromMemorySegment(RowDecoder.B16, w, ka + 18, LE)
                    .convertShape(VectorOperators.B2F, F, 0)).mul(da).fma(x1, a1);
            b0 = ((FloatVector) ByteVector.fromMemorySegment(RowDecoder.B16, w, kb + 2, LE)
                    .convertShape(VectorOperators.B2F, F, 0)).mul(db).fma(x0, b0);
            b1 = ((FloatVector) ByteVector.fromMemorySegment(RowDecoder.B16, w, kb + 18, LE)
                    .convertShape(VectorOperators.B2F, F, 0)).mul(db).fma(x1, b1);
        }
        y[yA] = Vec.sum(a0.add(a1));
        y[yB] = Vec.sum(b0.add(b1));
    }

    /**
     * One Q8_0 row for vectors of fewer than 16 lanes: each block half in {@link RowDecoder#PARTS}
     * vectors. One row at a time: with two, C2 did not unroll the part loop and boxed vectors.
     */
    private static float q8_0Parts(MemorySegment w, long off, int n, float[] x, int xOff) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        for (int k = 0; k < n / 32; k++) {
            long blk = off + 34L * k;
            float d = RowDecoder.scale(w, blk);
            int xb = xOff + 32 * k;
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
