package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.B16;
import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.I;
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
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q6_K rows (super-blocks of 256 values in 210 bytes; see {@link Q6_KCodec}): a value is a low
 * nibble from {@code ql} and two high bits from {@code qh}, minus 32, times {@code d·sc} of its
 * 16-value group. Group {@code g} of a 128-value half takes the low ({@code g < 4}) or high
 * nibbles of 16 bytes of its {@code ql}, and bits {@code 2·(g/2)} of 16 bytes of its {@code qh}.
 * Sixteen values at a time are built in int lanes (x86 has no byte shifts) and converted, in
 * {@link Vec#PARTS} vectors; decode multiplies them with the activations as they come, in column
 * order.
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
                int nibble = 4 * (quarter >> 1);
                int high = 2 * quarter;
                float s = d * w.get(ValueLayout.JAVA_BYTE, blk + 192 + u);
                for (int part = 0; part < PARTS; part++) {
                    IntVector lo = (IntVector) ql.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, part);
                    IntVector hi = (IntVector) qh.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, part);
                    ((FloatVector) lo.lanewise(VectorOperators.LSHR, nibble).and(0x0f)
                            .or(hi.lanewise(VectorOperators.LSHR, high).and(3).lanewise(VectorOperators.LSHL, 4))
                            .sub(32).convert(VectorOperators.I2F, 0)).mul(s)
                            .intoArray(out, o + 256 * b + 16 * u + L * part);
                }
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long row, int n, float[] x, int xOff, float[] buf) {
        return PARTS == 1 ? dot16(w, row, n, x, xOff, buf) : dotParts(w, row, n, x, xOff, buf);
    }

    /**
     * Vectors of fewer than 16 lanes: each 16-value unit in PARTS vectors, alternating a0, a1 in
     * column order (no branch picks the accumulator: a vector merged from two branches may be
     * boxed by C2). One unit per iteration keeps the body small, as in {@link #dot16}.
     */
    private static float dotParts(MemorySegment w, long row, int n, float[] x, int xOff, float[] buf) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        for (int b = 0; b < n / 256; b++) {
            long blk = row + 210L * b;
            float d = Vec.f16(w, blk + 208);
            for (int u = 0; u < 16; u++) {
                int half = u >> 3;
                int q = (u & 7) >> 1;
                int l0 = 16 * (u & 1);
                ByteVector lo = ByteVector.fromMemorySegment(B16, w, blk + 64L * half + 32L * (q & 1) + l0, LE);
                ByteVector hi = ByteVector.fromMemorySegment(B16, w, blk + 128 + 32L * half + l0, LE);
                int nibble = 4 * (q >> 1);
                int high = 2 * q;
                float s = d * w.get(ValueLayout.JAVA_BYTE, blk + 192 + u);
                int col = xOff + 256 * b + 16 * u;
                for (int part = 0; part < PARTS; part += 2) {
                    a0 = ((FloatVector) ((IntVector) lo.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, part))
                            .lanewise(VectorOperators.LSHR, nibble).and(0x0f)
                            .or(((IntVector) hi.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, part))
                                    .lanewise(VectorOperators.LSHR, high).and(3).lanewise(VectorOperators.LSHL, 4))
                            .convert(VectorOperators.I2F, 0)).fma(s, -32 * s).fma(FloatVector.fromArray(F, x, col + L * part), a0);
                    a1 = ((FloatVector) ((IntVector) lo.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, part + 1))
                            .lanewise(VectorOperators.LSHR, nibble).and(0x0f)
                            .or(((IntVector) hi.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, part + 1))
                                    .lanewise(VectorOperators.LSHR, high).and(3).lanewise(VectorOperators.LSHL, 4))
                            .convert(VectorOperators.I2F, 0)).fma(s, -32 * s)
                            .fma(FloatVector.fromArray(F, x, col + L * (part + 1)), a1);
                }
            }
        }
        a0.add(a1).intoArray(buf, 0);
        return Vec.sumStored(buf);
    }

    /**
     * 16 lanes: a unit of 16 values is one vector. Quarter {@code q} of a 128-value half is two
     * units: the low ({@code q < 2}) or high nibbles of 32 bytes of {@code ql} and bits
     * {@code 2q, 2q + 1} of the half's 32 bytes of {@code qh}; the first unit is an even vector of
     * the row (to a0), the second an odd one (to a1). A value {@code (q − 32)·s} is
     * {@code fma(q, s, −32·s)}: the same single rounding of the same exact product. The body is a
     * loop, not unrolled: C2 stops inlining Vector API calls in a method that has grown too large,
     * and the calls it leaves out box their vectors.
     */
    private static float dot16(MemorySegment w, long row, int n, float[] x, int xOff, float[] buf) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        for (int b = 0; b < n / 256; b++) {
            long blk = row + 210L * b;
            float d = Vec.f16(w, blk + 208);
            for (int g = 0; g < 8; g++) {
                int half = g >> 2;
                int q = g & 3;
                long ql = blk + 64L * half + 32L * (q & 1);
                long qh = blk + 128 + 32L * half;
                int nibble = 4 * (q >> 1);
                int high = 2 * q;
                float s0 = d * w.get(ValueLayout.JAVA_BYTE, blk + 192 + 2 * g);
                float s1 = d * w.get(ValueLayout.JAVA_BYTE, blk + 193 + 2 * g);
                int col = xOff + 256 * b + 32 * g;
                a0 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B16, w, ql, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.LSHR, nibble).and(0x0f)
                        .or(((IntVector) ByteVector.fromMemorySegment(B16, w, qh, LE)
                                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0))
                                .lanewise(VectorOperators.LSHR, high).and(3).lanewise(VectorOperators.LSHL, 4))
                        .convert(VectorOperators.I2F, 0)).fma(s0, -32 * s0).fma(FloatVector.fromArray(F, x, col), a0);
                a1 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B16, w, ql + 16, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.LSHR, nibble).and(0x0f)
                        .or(((IntVector) ByteVector.fromMemorySegment(B16, w, qh + 16, LE)
                                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0))
                                .lanewise(VectorOperators.LSHR, high).and(3).lanewise(VectorOperators.LSHL, 4))
                        .convert(VectorOperators.I2F, 0)).fma(s1, -32 * s1).fma(FloatVector.fromArray(F, x, col + 16), a1);
            }
        }
        a0.add(a1).intoArray(buf, 0);
        return Vec.sumStored(buf);
    }
}
