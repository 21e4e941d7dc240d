package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.B16;
import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.I;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;
import static dev.llamasimd.kernels.Vec.PARTS;

import dev.llamasimd.tensor.Codec;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Q4_KCodec;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_K rows (super-blocks of 256 values in 144 bytes; see {@link Q4_KCodec}): each 32 bytes of
 * nibbles hold two 32-value sub-blocks, the low nibbles one and the high nibbles the next; a
 * value is {@code fma(q, d·sc, −dmin·m)}. Sixteen quants at a time are widened to int lanes
 * (x86 has no byte shifts), split into nibbles and converted, in {@link Vec#PARTS} vectors; decode
 * multiplies them with the activations as they come, in column order.
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
        return PARTS == 1 ? dot16(w, row, n, x, xOff, buf) : dotParts(w, row, n, x, xOff, buf);
    }

    /**
     * 16 lanes. Kept apart from {@link #dotParts}, and a loop rather than unrolled: C2 stops
     * inlining Vector API calls in a method that has grown too large, and the calls it leaves out
     * box their vectors.
     */
    private static float dot16(MemorySegment w, long row, int n, float[] x, int xOff, float[] buf) {
        // Each 32 bytes of nibbles are two 16-byte units u0, u1, widened to int lanes (x86 has no
        // byte shifts); their low nibbles are sub-block 2p, the high ones 2p + 1. A unit is one
        // vector: u0's go to a0 and u1's to a1 (even and odd vectors of the row).
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        for (int b = 0; b < n / 256; b++) {
            long blk = row + 144L * b;
            float d = Vec.f16(w, blk);
            float dmin = Vec.f16(w, blk + 2);
            long sLo = KScales.low8(w, blk + 4);
            int sHi = KScales.high4(w, blk + 4);
            for (int p = 0; p < 4; p++) {
                float d1 = d * KScales.scaleK4(sLo, sHi, 2 * p);
                float m1 = -(dmin * KScales.minK4(sLo, sHi, 2 * p));
                float d2 = d * KScales.scaleK4(sLo, sHi, 2 * p + 1);
                float m2 = -(dmin * KScales.minK4(sLo, sHi, 2 * p + 1));
                ByteVector u0 = ByteVector.fromMemorySegment(B16, w, blk + 16 + 32L * p, LE);
                ByteVector u1 = ByteVector.fromMemorySegment(B16, w, blk + 32 + 32L * p, LE);
                int col = xOff + 256 * b + 64 * p;
                IntVector i0 = (IntVector) u0.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector i1 = (IntVector) u1.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                a0 = ((FloatVector) i0.and(0x0f).convert(VectorOperators.I2F, 0)).fma(d1, m1)
                        .fma(FloatVector.fromArray(F, x, col), a0);
                a1 = ((FloatVector) i1.and(0x0f).convert(VectorOperators.I2F, 0)).fma(d1, m1)
                        .fma(FloatVector.fromArray(F, x, col + 16), a1);
                a0 = ((FloatVector) i0.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(d2, m2)
                        .fma(FloatVector.fromArray(F, x, col + 32), a0);
                a1 = ((FloatVector) i1.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(d2, m2)
                        .fma(FloatVector.fromArray(F, x, col + 48), a1);
            }
        }
        a0.add(a1).intoArray(buf, 0);
        return Vec.sumStored(buf);
    }

    /** Vectors of fewer than 16 lanes: each unit in PARTS vectors, alternating a0, a1. */
    private static float dotParts(MemorySegment w, long row, int n, float[] x, int xOff, float[] buf) {
        // As dot16, with each unit split into PARTS vectors, alternating a0, a1 in column order;
        // no branch picks the accumulator (a vector merged from two branches may be boxed by C2).
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        for (int b = 0; b < n / 256; b++) {
            long blk = row + 144L * b;
            float d = Vec.f16(w, blk);
            float dmin = Vec.f16(w, blk + 2);
            long sLo = KScales.low8(w, blk + 4);
            int sHi = KScales.high4(w, blk + 4);
            for (int p = 0; p < 4; p++) {
                float d1 = d * KScales.scaleK4(sLo, sHi, 2 * p);
                float m1 = -(dmin * KScales.minK4(sLo, sHi, 2 * p));
                float d2 = d * KScales.scaleK4(sLo, sHi, 2 * p + 1);
                float m2 = -(dmin * KScales.minK4(sLo, sHi, 2 * p + 1));
                ByteVector u0 = ByteVector.fromMemorySegment(B16, w, blk + 16 + 32L * p, LE);
                ByteVector u1 = ByteVector.fromMemorySegment(B16, w, blk + 32 + 32L * p, LE);
                int col = xOff + 256 * b + 64 * p;
                for (int half = 0; half < 2; half++) {
                    float dh = half == 0 ? d1 : d2;
                    float mh = half == 0 ? m1 : m2;
                    int shift = 4 * half;
                    int c = col + 32 * half;
                    for (int part = 0; part < PARTS; part += 2) {
                        a0 = ((FloatVector) ((IntVector) u0.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, part))
                                .lanewise(VectorOperators.LSHR, shift).and(0x0f).convert(VectorOperators.I2F, 0))
                                .fma(dh, mh).fma(FloatVector.fromArray(F, x, c + L * part), a0);
                        a1 = ((FloatVector) ((IntVector) u0.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, part + 1))
                                .lanewise(VectorOperators.LSHR, shift).and(0x0f).convert(VectorOperators.I2F, 0))
                                .fma(dh, mh).fma(FloatVector.fromArray(F, x, c + L * (part + 1)), a1);
                    }
                    for (int part = 0; part < PARTS; part += 2) {
                        a0 = ((FloatVector) ((IntVector) u1.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, part))
                                .lanewise(VectorOperators.LSHR, shift).and(0x0f).convert(VectorOperators.I2F, 0))
                                .fma(dh, mh).fma(FloatVector.fromArray(F, x, c + 16 + L * part), a0);
                        a1 = ((FloatVector) ((IntVector) u1.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, part + 1))
                                .lanewise(VectorOperators.LSHR, shift).and(0x0f).convert(VectorOperators.I2F, 0))
                                .fma(dh, mh).fma(FloatVector.fromArray(F, x, c + 16 + L * (part + 1)), a1);
                    }
                }
            }
        }
        a0.add(a1).intoArray(buf, 0);
        return Vec.sumStored(buf);
    }
}
