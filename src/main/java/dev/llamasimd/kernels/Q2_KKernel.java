package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.B16;
import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;
import static dev.llamasimd.kernels.Vec.PARTS;

import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Q2_KCodec;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q2_K rows (super-blocks of 256 values in 84 bytes; see {@link Q2_KCodec}): 2-bit quants, four
 * to a byte, each 16-value group with a 4-bit scale and a 4-bit min; a value is
 * {@code fma(q, d·sc, −dmin·m)}. Group {@code g} of a 128-value half takes bits
 * {@code 2·(g/2)} of 16 bytes of its 32. Sixteen values at a time are widened in
 * {@link Vec#PARTS} float vectors.
 */
final class Q2_KKernel extends WidenedKernel {

    Q2_KKernel() {
        super(GgmlType.Q2_K, new Q2_KCodec());
    }

    @Override
    public void decode(MemorySegment w, long offset, int n, float[] out, int o) {
        for (int b = 0; b < n / 256; b++) {
            long blk = offset + 84L * b;
            float d = Vec.f16(w, blk + 80);
            float dmin = Vec.f16(w, blk + 82);
            for (int g = 0; g < 16; g++) {
                int sc = KScales.u8(w, blk + g);
                float dl = d * (sc & 0xf);
                float ml = -(dmin * (sc >> 4));
                ByteVector q = ByteVector.fromMemorySegment(B16, w, blk + 16 + 32L * (g >> 3) + 16L * (g & 1), LE)
                        .lanewise(VectorOperators.LSHR, 2 * ((g & 7) >> 1)).and((byte) 3);
                for (int part = 0; part < PARTS; part++) {
                    ((FloatVector) q.convertShape(VectorOperators.B2F, F, part)).fma(dl, ml)
                            .intoArray(out, o + 256 * b + 16 * g + L * part);
                }
            }
        }
    }
}
