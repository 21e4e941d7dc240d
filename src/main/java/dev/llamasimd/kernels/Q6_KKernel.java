package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.B16;
import static dev.llamasimd.kernels.Vec.I;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;
import static dev.llamasimd.kernels.Vec.PARTS;

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
 * {@link Vec#PARTS} vectors. Decode widens the row and multiplies it as an array: a fused Q6_K
 * dot (twice as fast in cache) made C2 box vectors in some runs at 512 bits, its body too large
 * for C2 to inline every Vector API call.
 */
final class Q6_KKernel extends WidenedKernel {
    Q6_KKernel() {
        super(GgmlType.Q6_K, new Q6_KCodec());
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
}
