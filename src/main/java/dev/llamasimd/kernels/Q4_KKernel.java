package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.B16;
import static dev.llamasimd.kernels.Vec.BL;
import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.I;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;
import static dev.llamasimd.kernels.Vec.PARTS;

import dev.llamasimd.tensor.Codec;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Q4_KCodec;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_K rows (super-blocks of 256 values in 144 bytes; see {@link Q4_KCodec}): each 32 bytes of
 * nibbles hold two 32-value sub-blocks, the low nibbles one and the high nibbles the next; a
 * value is {@code fma(q, d·sc, −dmin·m)}. Quants are widened to int lanes (x86 has no byte
 * shifts), split into nibbles and converted; decode multiplies them with the activations as they
 * come, in column order, one super-block per call of a small method whose accumulators live in
 * the scratch array between calls (one or two rows; below 8 lanes it widens the row and
 * multiplies it as an array).
 */
final class Q4_KKernel implements TypeKernel {
    private static final Codec CODEC = new Q4_KCodec();

    @Override
    public GgmlType type() {
        return GgmlType.Q4_K;
    }

    @Override
    public Codec codec() {
        return CODEC;
    }

    @Override
    public void decode(MemorySegment w, long offset, int n, float[] out, int o) {
        for (int b = 0; b < n / 256; b++) {
            long blk = offset + 144L * b;
            float d = Vec.f16(w, blk);
            float dmin = Vec.f16(w, blk + 2);
            long sLo = KScales.low8(w, blk + 4);
            int sHi = KScales.high4(w, blk + 4);
            for (int p = 0; p < 4; p++) {
                float d1 = d * KScales.scaleK4(sLo, sHi, 2 * p);
                float m1 = -(dmin * KScales.minK4(sLo, sHi, 2 * p));
                float d2 = d * KScales.scaleK4(sLo, sHi, 2 * p + 1);
                float m2 = -(dmin * KScales.minK4(sLo, sHi, 2 * p + 1));
                for (int h = 0; h < 2; h++) {
                    ByteVector q = ByteVector.fromMemorySegment(B16, w, blk + 16 + 32L * p + 16L * h, LE);
                    int at = o + 256 * b + 64 * p + 16 * h;
                    for (int part = 0; part < PARTS; part++) {
                        IntVector v = (IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, part);
                        ((FloatVector) v.and(0x0f).convert(VectorOperators.I2F, 0)).fma(d1, m1).intoArray(out, at + L * part);
                        ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(d2, m2)
                                .intoArray(out, at + 32 + L * part);
                    }
                }
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long row, int n, float[] x, int xOff, float[] buf) {
        if (BL == null) {
            decode(w, row, n, buf, 0);
            return Vec.dot(buf, 0, n, x, xOff);
        }
        Arrays.fill(buf, 0, 2 * L, 0f);
        for (int b = 0; b < n / 256; b++) {
            block(w, row + 144L * b, x, xOff + 256 * b, buf);
        }
        return Vec.sumStored2(buf, 0);
    }

    @Override
    public void dot2(MemorySegment w, long a, long b, int n, float[] x, int xOff, float[] buf,
                     float[] y, int yA, int yB) {
        if (BL == null) {
            y[yA] = dot(w, a, n, x, xOff, buf);
            y[yB] = dot(w, b, n, x, xOff, buf);
            return;
        }
        Arrays.fill(buf, 0, 4 * L, 0f);
        for (int k = 0; k < n / 256; k++) {
            block2(w, a + 144L * k, b + 144L * k, x, xOff + 256 * k, buf);
        }
        y[yA] = Vec.sumStored2(buf, 0);
        y[yB] = Vec.sumStored2(buf, 2 * L);
    }

    /*
     * One super-block per call, its accumulators kept in acc (even vectors of the row in
     * acc[0..L), odd ones in acc[L..2L)): a call is a small method that C2 compiles whole, with
     * every Vector API call inlined, whether or not it inlines it into the row loop. (A kernel
     * body grown too large makes C2 stop inlining, and the calls it leaves box their vectors.)
     * Sub-block 2g is the low nibbles of 32 bytes, 2g + 1 their high nibbles; each vector is
     * loaded at the byte its L columns need, so no conversion takes a part number.
     */
    private static void block(MemorySegment w, long blk, float[] x, int col, float[] acc) {
        FloatVector a0 = FloatVector.fromArray(F, acc, 0);
        FloatVector a1 = FloatVector.fromArray(F, acc, L);
        float d = Vec.f16(w, blk);
        float dmin = Vec.f16(w, blk + 2);
        long sLo = KScales.low8(w, blk + 4);
        int sHi = KScales.high4(w, blk + 4);
        for (int g = 0; g < 4; g++) {
            for (int j = 0; j < 2; j++) {
                float ds = d * KScales.scaleK4(sLo, sHi, 2 * g + j);
                float ms = -(dmin * KScales.minK4(sLo, sHi, 2 * g + j));
                int shift = 4 * j;
                for (int i = 0; i < 32; i += 2 * L) {
                    long q = blk + 16 + 32L * g + i;
                    int c = col + 64 * g + 32 * j + i;
                    a0 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(BL, w, q, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0))
                            .lanewise(VectorOperators.LSHR, shift).and(0x0f).convert(VectorOperators.I2F, 0))
                            .fma(ds, ms).fma(FloatVector.fromArray(F, x, c), a0);
                    a1 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(BL, w, q + L, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0))
                            .lanewise(VectorOperators.LSHR, shift).and(0x0f).convert(VectorOperators.I2F, 0))
                            .fma(ds, ms).fma(FloatVector.fromArray(F, x, c + L), a1);
                }
            }
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, L);
    }

    /** {@link #block} of two rows at once (the second's accumulators in acc[2L..4L)), sharing the activations. */
    private static void block2(MemorySegment w, long ba, long bb, float[] x, int col, float[] acc) {
        FloatVector a0 = FloatVector.fromArray(F, acc, 0);
        FloatVector a1 = FloatVector.fromArray(F, acc, L);
        FloatVector b0 = FloatVector.fromArray(F, acc, 2 * L);
        FloatVector b1 = FloatVector.fromArray(F, acc, 3 * L);
        float da = Vec.f16(w, ba);
        float dminA = Vec.f16(w, ba + 2);
        long loA = KScales.low8(w, ba + 4);
        int hiA = KScales.high4(w, ba + 4);
        float db = Vec.f16(w, bb);
        float dminB = Vec.f16(w, bb + 2);
        long loB = KScales.low8(w, bb + 4);
        int hiB = KScales.high4(w, bb + 4);
        for (int g = 0; g < 4; g++) {
            for (int j = 0; j < 2; j++) {
                float dsA = da * KScales.scaleK4(loA, hiA, 2 * g + j);
                float msA = -(dminA * KScales.minK4(loA, hiA, 2 * g + j));
                float dsB = db * KScales.scaleK4(loB, hiB, 2 * g + j);
                float msB = -(dminB * KScales.minK4(loB, hiB, 2 * g + j));
                int shift = 4 * j;
                for (int i = 0; i < 32; i += 2 * L) {
                    long q = 16 + 32L * g + i;
                    int c = col + 64 * g + 32 * j + i;
                    FloatVector x0 = FloatVector.fromArray(F, x, c);
                    FloatVector x1 = FloatVector.fromArray(F, x, c + L);
                    a0 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(BL, w, ba + q, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0))
                            .lanewise(VectorOperators.LSHR, shift).and(0x0f).convert(VectorOperators.I2F, 0))
                            .fma(dsA, msA).fma(x0, a0);
                    a1 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(BL, w, ba + q + L, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0))
                            .lanewise(VectorOperators.LSHR, shift).and(0x0f).convert(VectorOperators.I2F, 0))
                            .fma(dsA, msA).fma(x1, a1);
                    b0 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(BL, w, bb + q, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0))
                            .lanewise(VectorOperators.LSHR, shift).and(0x0f).convert(VectorOperators.I2F, 0))
                            .fma(dsB, msB).fma(x0, b0);
                    b1 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(BL, w, bb + q + L, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0))
                            .lanewise(VectorOperators.LSHR, shift).and(0x0f).convert(VectorOperators.I2F, 0))
                            .fma(dsB, msB).fma(x1, b1);
                }
            }
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, L);
        b0.intoArray(acc, 2 * L);
        b1.intoArray(acc, 3 * L);
    }
}
