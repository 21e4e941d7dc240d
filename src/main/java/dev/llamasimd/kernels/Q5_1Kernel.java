package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.B16;
import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;
import static dev.llamasimd.kernels.Vec.PARTS;

import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Q5_1Codec;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q5_1 rows (blocks of 32 values in 24 bytes: F16 {@code d} and {@code m}, 32 high bits
 * {@code qh}, 16 bytes of nibbles; see {@link Q5_1Codec}): value {@code j} is the nibble with bit
 * {@code j} of {@code qh} as its fifth bit, {@code fma(q, d, m)}. The high bits reach their lanes
 * as in {@link Q5_0Kernel}.
 */
final class Q5_1Kernel extends WidenedKernel {

    Q5_1Kernel() {
        super(GgmlType.Q5_1, new Q5_1Codec());
    }

    @Override
    public void decode(MemorySegment w, long offset, int n, float[] out, int o) {
        for (int b = 0; b < n / 32; b++) {
            long blk = offset + 24L * b;
            float d = Vec.f16(w, blk);
            float m = Vec.f16(w, blk + 2);
            ByteVector qh = ByteVector.fromMemorySegment(B16, w, blk + 4, LE); // bytes 0..3 are qh
            ByteVector q = ByteVector.fromMemorySegment(B16, w, blk + 8, LE);
            ByteVector lo = q.and((byte) 0x0f).or(qh.rearrange(Vec.HIGH_BITS_LOW).lanewise(VectorOperators.LSHR, Vec.BIT_OF_LANE)
                    .and((byte) 1).lanewise(VectorOperators.LSHL, 4));
            ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).or(qh.rearrange(Vec.HIGH_BITS_HIGH)
                    .lanewise(VectorOperators.LSHR, Vec.BIT_OF_LANE).and((byte) 1).lanewise(VectorOperators.LSHL, 4));
            for (int part = 0; part < PARTS; part++) {
                ((FloatVector) lo.convertShape(VectorOperators.B2F, F, part)).fma(d, m).intoArray(out, o + 32 * b + L * part);
                ((FloatVector) hi.convertShape(VectorOperators.B2F, F, part)).fma(d, m).intoArray(out, o + 32 * b + 16 + L * part);
            }
        }
    }
}
