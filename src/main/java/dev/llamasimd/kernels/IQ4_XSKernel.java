package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.B16;
import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;
import static dev.llamasimd.kernels.Vec.PARTS;

import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.IQ4_XSCodec;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * IQ4_XS rows (super-blocks of 256 values in 136 bytes: F16 {@code d}, 6-bit scales split over
 * {@code scales_h} and {@code scales_l}, 128 bytes of nibbles; see {@link IQ4_XSCodec}): like
 * IQ4_NL per 32-value sub-block, with {@code d·(ls − 32)} as the sub-block scale.
 */
final class IQ4_XSKernel extends WidenedKernel {

    private static final ByteVector TABLE = ByteVector.fromArray(B16, IQ4_NLKernel.LEVELS, 0);

    IQ4_XSKernel() {
        super(GgmlType.IQ4_XS, new IQ4_XSCodec());
    }

    @Override
    public void decode(MemorySegment w, long offset, int n, float[] out, int o) {
        for (int b = 0; b < n / 256; b++) {
            long blk = offset + 136L * b;
            float d = Vec.f16(w, blk);
            int scalesH = KScales.u8(w, blk + 2) | KScales.u8(w, blk + 3) << 8;
            for (int j = 0; j < 8; j++) {
                int ls = ((KScales.u8(w, blk + 4 + j / 2) >> (4 * (j % 2))) & 0xf) | (((scalesH >> (2 * j)) & 3) << 4);
                float dl = d * (ls - 32);
                ByteVector q = ByteVector.fromMemorySegment(B16, w, blk + 8 + 16L * j, LE);
                ByteVector lo = q.and((byte) 0x0f).selectFrom(TABLE);
                ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).selectFrom(TABLE);
                int at = o + 256 * b + 32 * j;
                for (int part = 0; part < PARTS; part++) {
                    ((FloatVector) lo.convertShape(VectorOperators.B2F, F, part)).mul(dl).intoArray(out, at + L * part);
                    ((FloatVector) hi.convertShape(VectorOperators.B2F, F, part)).mul(dl).intoArray(out, at + 16 + L * part);
                }
            }
        }
    }
}
