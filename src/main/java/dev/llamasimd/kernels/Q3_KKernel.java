package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.B16;
import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;
import static dev.llamasimd.kernels.Vec.PARTS;

import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Q3_KCodec;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q3_K rows (super-blocks of 256 values in 110 bytes; see {@link Q3_KCodec}): 2 low bits from
 * {@code qs} and a high bit from {@code hmask} (a clear bit subtracts 4), times {@code d·sc} of
 * the 16-value group with its 6-bit signed scale. Group {@code g} of a 128-value half takes
 * bits {@code 2·(g/2)} of 16 bytes of its {@code qs} and bit {@code 4·half + g/2} of 16 bytes
 * of {@code hmask}. Sixteen values at a time are widened in {@link Vec#PARTS} float vectors.
 */
final class Q3_KKernel extends WidenedKernel {

    Q3_KKernel() {
        super(GgmlType.Q3_K, new Q3_KCodec());
    }

    @Override
    public void decode(MemorySegment w, long offset, int n, float[] out, int o) {
        for (int b = 0; b < n / 256; b++) {
            long blk = offset + 110L * b;
            float d = Vec.f16(w, blk + 108);
            for (int g = 0; g < 16; g++) {
                int half = g >> 3;
                int pair = (g & 7) >> 1;
                float dl = d * KScales.scaleQ3(w, blk + 96, g);
                ByteVector lo = ByteVector.fromMemorySegment(B16, w, blk + 32 + 32L * half + 16L * (g & 1), LE)
                        .lanewise(VectorOperators.LSHR, 2 * pair).and((byte) 3);
                ByteVector hi = ByteVector.fromMemorySegment(B16, w, blk + 16L * (g & 1), LE)
                        .lanewise(VectorOperators.LSHR, 4 * half + pair).and((byte) 1);
                // lo − (high bit set ? 0 : 4) = (lo | high bit · 4) − 4
                ByteVector q = lo.or(hi.lanewise(VectorOperators.LSHL, 2)).sub((byte) 4);
                for (int part = 0; part < PARTS; part++) {
                    ((FloatVector) q.convertShape(VectorOperators.B2F, F, part)).mul(dl)
                            .intoArray(out, o + 256 * b + 16 * g + L * part);
                }
            }
        }
    }
}
