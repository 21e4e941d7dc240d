package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.B16;
import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;
import static dev.llamasimd.kernels.Vec.PARTS;

import dev.llamasimd.tensor.Codec;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Q4_KCodec;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_K rows (super-blocks of 256 values in 144 bytes; see {@link Q4_KCodec}): each 32 bytes of
 * nibbles hold two 32-value sub-blocks, the low nibbles one and the high nibbles the next; a
 * value is {@code fma(q, d·sc, −dmin·m)}. Sixteen quants at a time are widened in
 * {@link Vec#PARTS} float vectors; decode multiplies them with the activations as they come, in
 * column order.
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
            for (int p = 0; p < 4; p++) {
                float d1 = d * KScales.scaleK4(w, blk + 4, 2 * p);
                float m1 = -(dmin * KScales.minK4(w, blk + 4, 2 * p));
                float d2 = d * KScales.scaleK4(w, blk + 4, 2 * p + 1);
                float m2 = -(dmin * KScales.minK4(w, blk + 4, 2 * p + 1));
                for (int h = 0; h < 2; h++) {
                    ByteVector q = ByteVector.fromMemorySegment(B16, w, blk + 16 + 32L * p + 16L * h, LE);
                    ByteVector lo = q.and((byte) 0x0f);
                    ByteVector hi = q.lanewise(VectorOperators.LSHR, 4);
                    int at = o + 256 * b + 64 * p + 16 * h;
                    for (int part = 0; part < PARTS; part++) {
                        ((FloatVector) lo.convertShape(VectorOperators.B2F, F, part)).fma(d1, m1)
                                .intoArray(out, at + L * part);
                        ((FloatVector) hi.convertShape(VectorOperators.B2F, F, part)).fma(d2, m2)
                                .intoArray(out, at + 32 + L * part);
                    }
                }
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long row, int n, float[] x, int xOff, float[] buf) {
        // Each sub-block is 32 values, two 16-byte units v0 and v1: with 16 lanes v0 is an even
        // vector of the row (to a0) and v1 an odd one (to a1); narrower vectors split each unit
        // into PARTS vectors, alternating a0, a1. No branch picks the accumulator (a vector chosen
        // by a branch merges into a phi that C2 may box).
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        for (int b = 0; b < n / 256; b++) {
            long blk = row + 144L * b;
            float d = Vec.f16(w, blk);
            float dmin = Vec.f16(w, blk + 2);
            for (int j = 0; j < 8; j++) {
                // sub-block j: the low (even j) or high (odd j) nibbles of bytes 32·(j/2) ..
                float dj = d * KScales.scaleK4(w, blk + 4, j);
                float mj = -(dmin * KScales.minK4(w, blk + 4, j));
                long q = blk + 16 + 32L * (j >> 1);
                int shift = 4 * (j & 1);
                ByteVector v0 = ByteVector.fromMemorySegment(B16, w, q, LE).lanewise(VectorOperators.LSHR, shift).and((byte) 0x0f);
                ByteVector v1 = ByteVector.fromMemorySegment(B16, w, q + 16, LE).lanewise(VectorOperators.LSHR, shift).and((byte) 0x0f);
                int col = xOff + 256 * b + 32 * j;
                if (PARTS == 1) {
                    a0 = ((FloatVector) v0.convertShape(VectorOperators.B2F, F, 0)).fma(dj, mj)
                            .fma(FloatVector.fromArray(F, x, col), a0);
                    a1 = ((FloatVector) v1.convertShape(VectorOperators.B2F, F, 0)).fma(dj, mj)
                            .fma(FloatVector.fromArray(F, x, col + 16), a1);
                    continue;
                }
                for (int part = 0; part < PARTS; part += 2) {
                    a0 = ((FloatVector) v0.convertShape(VectorOperators.B2F, F, part)).fma(dj, mj)
                            .fma(FloatVector.fromArray(F, x, col + L * part), a0);
                    a1 = ((FloatVector) v0.convertShape(VectorOperators.B2F, F, part + 1)).fma(dj, mj)
                            .fma(FloatVector.fromArray(F, x, col + L * (part + 1)), a1);
                }
                for (int part = 0; part < PARTS; part += 2) {
                    a0 = ((FloatVector) v1.convertShape(VectorOperators.B2F, F, part)).fma(dj, mj)
                            .fma(FloatVector.fromArray(F, x, col + 16 + L * part), a0);
                    a1 = ((FloatVector) v1.convertShape(VectorOperators.B2F, F, part + 1)).fma(dj, mj)
                            .fma(FloatVector.fromArray(F, x, col + 16 + L * (part + 1)), a1);
                }
            }
        }
        return Vec.sum(a0.add(a1));
    }
}
