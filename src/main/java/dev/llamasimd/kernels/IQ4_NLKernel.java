package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.B16;
import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;
import static dev.llamasimd.kernels.Vec.PARTS;

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
final class IQ4_NLKernel extends WidenedKernel {

    /** The 16 levels of IQ4_NL and IQ4_XS ({@code kvalues_iq4nl}). */
    static final byte[] LEVELS = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    private static final ByteVector TABLE = ByteVector.fromArray(B16, LEVELS, 0);

    IQ4_NLKernel() {
        super(GgmlType.IQ4_NL, new IQ4_NLCodec());
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
}
