package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.B16;
import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;
import static dev.llamasimd.kernels.Vec.PARTS;

import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Q5_0Codec;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q5_0 rows (blocks of 32 values in 22 bytes: F16 {@code d}, 32 high bits {@code qh}, 16 bytes of
 * nibbles; see {@link Q5_0Codec}): value {@code j} is the nibble with bit {@code j} of
 * {@code qh} as its fifth bit, minus 16, times {@code d}. The high bits reach their lanes by
 * {@link Vec#HIGH_BITS_LOW}/{@link Vec#HIGH_BITS_HIGH} (each byte of {@code qh} to eight lanes)
 * and a shift per lane.
 */
final class Q5_0Kernel extends WidenedKernel {

    Q5_0Kernel() {
        super(GgmlType.Q5_0, new Q5_0Codec());
    }

    @Override
    public void decode(MemorySegment w, long offset, int n, float[] out, int o) {
        for (int b = 0; b < n / 32; b++) {
            long blk = offset + 22L * b;
            float d = Vec.f16(w, blk);
            ByteVector qh = ByteVector.fromMemorySegment(B16, w, blk + 2, LE); // bytes 0..3 are qh
            ByteVector q = ByteVector.fromMemorySegment(B16, w, blk + 6, LE);
            ByteVector lo = q.and((byte) 0x0f).or(qh.rearrange(Vec.HIGH_BITS_LOW).lanewise(VectorOperators.LSHR, Vec.BIT_OF_LANE)
                    .and((byte) 1).lanewise(VectorOperators.LSHL, 4)).sub((byte) 16);
            ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).or(qh.rearrange(Vec.HIGH_BITS_HIGH)
                    .lanewise(VectorOperators.LSHR, Vec.BIT_OF_LANE).and((byte) 1).lanewise(VectorOperators.LSHL, 4)).sub((byte) 16);
            for (int part = 0; part < PARTS; part++) {
                ((FloatVector) lo.convertShape(VectorOperators.B2F, F, part)).mul(d).intoArray(out, o + 32 * b + L * part);
                ((FloatVector) hi.convertShape(VectorOperators.B2F, F, part)).mul(d).intoArray(out, o + 32 * b + 16 + L * part);
            }
        }
    }
}
