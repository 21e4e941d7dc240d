package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.B16;
import static dev.llamasimd.kernels.Vec.I;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;
import static dev.llamasimd.kernels.Vec.PARTS;

import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Q4_1Codec;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_1 rows (blocks of 32 values in 20 bytes: F16 {@code d} and {@code m}, 16 bytes of nibbles;
 * see {@link Q4_1Codec}): values 0..15 are the low nibbles, 16..31 the high ones, each
 * {@code fma(q, d, m)}.
 */
final class Q4_1Kernel extends WidenedKernel {

    Q4_1Kernel() {
        super(GgmlType.Q4_1, new Q4_1Codec());
    }

    @Override
    public void decode(MemorySegment w, long offset, int n, float[] out, int o) {
        for (int b = 0; b < n / 32; b++) {
            long blk = offset + 20L * b;
            float d = Vec.f16(w, blk);
            float m = Vec.f16(w, blk + 2);
            ByteVector q = ByteVector.fromMemorySegment(B16, w, blk + 4, LE);
            for (int part = 0; part < PARTS; part++) {
                IntVector packed = (IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, part);
                ((FloatVector) packed.and(0x0f).convert(VectorOperators.I2F, 0)).fma(d, m).intoArray(out, o + 32 * b + L * part);
                ((FloatVector) packed.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(d, m)
                        .intoArray(out, o + 32 * b + 16 + L * part);
            }
        }
    }
}
