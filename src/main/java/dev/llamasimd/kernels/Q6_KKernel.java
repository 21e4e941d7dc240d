package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.B16;
import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;
import static dev.llamasimd.kernels.Vec.PARTS;

import dev.llamasimd.tensor.Codec;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Q6_KCodec;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q6_K rows (super-blocks of 256 values in 210 bytes; see {@link Q6_KCodec}): a value is a low
 * nibble from {@code ql} and two high bits from {@code qh}, minus 32, times {@code d·sc} of its
 * 16-value group. Group {@code g} of a 128-value half takes the low ({@code g < 4}) or high
 * nibbles of 16 bytes of its {@code ql}, and bits {@code 2·(g/2)} of 16 bytes of its {@code qh}.
 * Sixteen values at a time are built in byte lanes and widened in {@link Vec#PARTS} float vectors;
 * decode multiplies them with the activations as they come, in column order.
 */
final class Q6_KKernel implements TypeKernel {
    private static final Codec CODEC = new Q6_KCodec();

    @Override
    public GgmlType type() {
        return GgmlType.Q6_K;
    }

    @Override
    public Codec codec() {
        return CODEC;
    }

    @Override
    public void decode(MemorySegment w, long offset, int n, float[] out, int o) {
        for (int b = 0; b < n / 256; b++) {
            long blk = offset + 210L * b;
            float d = Vec.f16(w, blk + 208);
            for (int u = 0; u < 16; u++) {
                int half = u >> 3;
                int quarter = (u & 7) >> 1;
                int l0 = 16 * (u & 1);
                ByteVector ql = ByteVector.fromMemorySegment(B16, w, blk + 64L * half + 32L * (quarter & 1) + l0, LE);
                ByteVector qh = ByteVector.fromMemorySegment(B16, w, blk + 128 + 32L * half + l0, LE);
                ByteVector low = quarter < 2 ? ql.and((byte) 0x0f) : ql.lanewise(VectorOperators.LSHR, 4);
                ByteVector q = low.or(qh.lanewise(VectorOperators.LSHR, 2 * quarter).and((byte) 3)
                        .lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                float s = d * w.get(ValueLayout.JAVA_BYTE, blk + 192 + u);
                for (int part = 0; part < PARTS; part++) {
                    ((FloatVector) q.convertShape(VectorOperators.B2F, F, part)).mul(s)
                            .intoArray(out, o + 256 * b + 16 * u + L * part);
                }
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long row, int n, float[] x, int xOff, float[] buf) {
        // Groups g and g + 1 (g even) are 32 columns, two 16-byte units v0 and v1, accumulated as
        // in Q4_KKernel.dot: no branch picks the accumulator.
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        for (int b = 0; b < n / 256; b++) {
            long blk = row + 210L * b;
            float d = Vec.f16(w, blk + 208);
            for (int g = 0; g < 16; g += 2) {
                int half = g >> 3;
                int quarter = (g & 7) >> 1;
                long ql = blk + 64L * half + 32L * (quarter & 1);
                long qh = blk + 128 + 32L * half;
                int nibble = 4 * (quarter >> 1);
                int high = 2 * quarter;
                ByteVector v0 = ByteVector.fromMemorySegment(B16, w, ql, LE).lanewise(VectorOperators.LSHR, nibble)
                        .and((byte) 0x0f).or(ByteVector.fromMemorySegment(B16, w, qh, LE)
                                .lanewise(VectorOperators.LSHR, high).and((byte) 3).lanewise(VectorOperators.LSHL, 4))
                        .sub((byte) 32);
                ByteVector v1 = ByteVector.fromMemorySegment(B16, w, ql + 16, LE).lanewise(VectorOperators.LSHR, nibble)
                        .and((byte) 0x0f).or(ByteVector.fromMemorySegment(B16, w, qh + 16, LE)
                                .lanewise(VectorOperators.LSHR, high).and((byte) 3).lanewise(VectorOperators.LSHL, 4))
                        .sub((byte) 32);
                float s0 = d * w.get(ValueLayout.JAVA_BYTE, blk + 192 + g);
                float s1 = d * w.get(ValueLayout.JAVA_BYTE, blk + 192 + g + 1);
                int col = xOff + 256 * b + 16 * g;
                if (PARTS == 1) {
                    a0 = ((FloatVector) v0.convertShape(VectorOperators.B2F, F, 0)).mul(s0)
                            .fma(FloatVector.fromArray(F, x, col), a0);
                    a1 = ((FloatVector) v1.convertShape(VectorOperators.B2F, F, 0)).mul(s1)
                            .fma(FloatVector.fromArray(F, x, col + 16), a1);
                    continue;
                }
                for (int part = 0; part < PARTS; part += 2) {
                    a0 = ((FloatVector) v0.convertShape(VectorOperators.B2F, F, part)).mul(s0)
                            .fma(FloatVector.fromArray(F, x, col + L * part), a0);
                    a1 = ((FloatVector) v0.convertShape(VectorOperators.B2F, F, part + 1)).mul(s0)
                            .fma(FloatVector.fromArray(F, x, col + L * (part + 1)), a1);
                }
                for (int part = 0; part < PARTS; part += 2) {
                    a0 = ((FloatVector) v1.convertShape(VectorOperators.B2F, F, part)).mul(s1)
                            .fma(FloatVector.fromArray(F, x, col + 16 + L * part), a0);
                    a1 = ((FloatVector) v1.convertShape(VectorOperators.B2F, F, part + 1)).mul(s1)
                            .fma(FloatVector.fromArray(F, x, col + 16 + L * (part + 1)), a1);
                }
            }
        }
        return Vec.sum(a0.add(a1));
    }
}
