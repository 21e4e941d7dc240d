package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.B16;
import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.I;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;
import static dev.llamasimd.kernels.Vec.PARTS;

import dev.llamasimd.tensor.Codec;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Q4_0Codec;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q4_0 rows (blocks of an F16 scale and 16 bytes of nibbles): values 0..15 of a block are the low
 * nibbles − 8, values 16..31 the high ones. Decode takes one row at a time: the kernel is bound by
 * arithmetic, and interleaved it measured no faster while its larger body made C2 box vectors.
 */
final class Q4_0Kernel implements TypeKernel {
    private static final Codec CODEC = new Q4_0Codec();

    @Override
    public GgmlType type() {
        return GgmlType.Q4_0;
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
            for (int p = 0; p < PARTS; p++) {
                IntVector packed = (IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, p);
                ((FloatVector) packed.and(0x0f).sub(8).convert(VectorOperators.I2F, 0)).mul(d)
                        .intoArray(out, o + 32 * b + L * p);
                ((FloatVector) packed.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0)).mul(d)
                        .intoArray(out, o + 32 * b + 16 + L * p);
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long row, int n, float[] x, int xOff, float[] buf) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        for (int b = 0; b < n / 32; b++) {
            long blk = row + 18L * b;
            float d = Vec.f16(w, blk);
            int xb = xOff + 32 * b;
            ByteVector q = ByteVector.fromMemorySegment(B16, w, blk + 2, LE);
            if (PARTS == 1) {
                // one vector of 16 packed bytes: the low nibbles to a0, the high ones to a1
                IntVector packed = (IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                a0 = ((FloatVector) packed.and(0x0f).sub(8).convert(VectorOperators.I2F, 0)).mul(d)
                        .fma(FloatVector.fromArray(F, x, xb), a0);
                a1 = ((FloatVector) packed.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0)).mul(d)
                        .fma(FloatVector.fromArray(F, x, xb + 16), a1);
                continue;
            }
            for (int half = 0; half < 2; half++) {
                for (int p = 0; p < PARTS; p++) {
                    IntVector packed = (IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, p);
                    IntVector nibbles = half == 0 ? packed.and(0x0f) : packed.lanewise(VectorOperators.LSHR, 4);
                    FloatVector v = ((FloatVector) nibbles.sub(8).convert(VectorOperators.I2F, 0)).mul(d);
                    FloatVector xv = FloatVector.fromArray(F, x, xb + 16 * half + L * p);
                    if (((16 * half / L + p) & 1) == 0) {
                        a0 = v.fma(xv, a0);
                    } else {
                        a1 = v.fma(xv, a1);
                    }
                }
            }
        }
        a0.add(a1).intoArray(buf, 0); // folded as stored lanes: see Vec.sumStored
        return Vec.sumStored(buf);
    }
}
