package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.B16;
import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;
import static dev.llamasimd.kernels.Vec.PARTS;

import dev.llamasimd.tensor.Codec;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.IQ4_NLCodec;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * IQ4_NL rows (blocks of 32 values in 18 bytes: F16 {@code d}, 16 bytes of nibbles; see
 * {@link IQ4_NLCodec}): each nibble indexes the 16 non-linear levels, times {@code d}; values
 * 0..15 are the low nibbles, 16..31 the high ones. The levels are looked up with a byte shuffle.
 */
final class IQ4_NLKernel implements TypeKernel {
    private static final Codec CODEC = new IQ4_NLCodec();

    /** The 16 levels of IQ4_NL and IQ4_XS ({@code kvalues_iq4nl}). */
    static final byte[] LEVELS = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    private static final ByteVector TABLE = ByteVector.fromArray(B16, LEVELS, 0);

    @Override
    public GgmlType type() {
        return GgmlType.IQ4_NL;
    }

    @Override
    public Codec codec() {
        return CODEC;
    }

    @Override
    public void decode(MemorySegment w, long offset, int n, float[] out, int o) {
        for (int b = 0; b < n / 32; b++) {
            long blk = offset + 18L * b;
            float d = Vec.f16(w, blk);
            ByteVector q = ByteVector.fromMemorySegment(B16, w, blk + 2, LE);
            ByteVector lo = q.and((byte) 0x0f).selectFrom(TABLE);
            ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).selectFrom(TABLE);
            for (int part = 0; part < PARTS; part++) {
                ((FloatVector) lo.convertShape(VectorOperators.B2F, F, part)).mul(d).intoArray(out, o + 32 * b + L * part);
                ((FloatVector) hi.convertShape(VectorOperators.B2F, F, part)).mul(d).intoArray(out, o + 32 * b + 16 + L * part);
            }
        }
    }

    /**
     * Multiplies as it widens, the whole row in one loop with its two accumulators in registers
     * (as Q4_0): the low nibbles of a block are vector 0 (and 1 at 8 lanes), the high ones the next,
     * even vectors to a0 and odd ones to a1. Below 8 lanes that order needs four vectors per block
     * at once, so the row is widened and multiplied as an array.
     */
    @Override
    public float dot(MemorySegment w, long row, int n, float[] x, int xOff, float[] buf) {
        if (PARTS > 2) {
            decode(w, row, n, buf, 0);
            return Vec.dot(buf, 0, n, x, xOff);
        }
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        for (int b = 0; b < n / 32; b++) {
            long blk = row + 18L * b;
            float d = Vec.f16(w, blk);
            int xb = xOff + 32 * b;
            ByteVector q = ByteVector.fromMemorySegment(B16, w, blk + 2, LE);
            ByteVector lo = q.and((byte) 0x0f).selectFrom(TABLE);
            ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).selectFrom(TABLE);
            for (int p = 0; p < PARTS; p++) {
                FloatVector vl = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, p)).mul(d);
                FloatVector vh = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, p)).mul(d);
                FloatVector xl = FloatVector.fromArray(F, x, xb + L * p);
                FloatVector xh = FloatVector.fromArray(F, x, xb + 16 + L * p);
                if (PARTS == 1) {
                    a0 = vl.fma(xl, a0);
                    a1 = vh.fma(xh, a1);
                } else if (p == 0) {
                    a0 = vl.fma(xl, a0);
                    a0 = vh.fma(xh, a0);
                } else {
                    a1 = vl.fma(xl, a1);
                    a1 = vh.fma(xh, a1);
                }
            }
        }
        a0.add(a1).intoArray(buf, 0); // folded as stored lanes: see Vec.sumStored
        return Vec.sumStored(buf);
    }
}
