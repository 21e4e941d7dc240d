package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.B16;
import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;
import static dev.llamasimd.kernels.Vec.PARTS;

import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Q5_KCodec;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q5_K rows (super-blocks of 256 values in 176 bytes; see {@link Q5_KCodec}): like Q4_K, with a
 * fifth bit per value from {@code qh} (bit {@code j} of byte {@code l} for value {@code l} of
 * sub-block {@code j}); a value is {@code fma(q, d·sc, −dmin·m)}. Sixteen values at a time are
 * built in byte lanes and widened in {@link Vec#PARTS} float vectors.
 */
final class Q5_KKernel extends WidenedKernel {

    Q5_KKernel() {
        super(GgmlType.Q5_K, new Q5_KCodec());
    }

    @Override
    public void decode(MemorySegment w, long offset, int n, float[] out, int o) {
        for (int b = 0; b < n / 256; b++) {
            long blk = offset + 176L * b;
            float d = Vec.f16(w, blk);
            float dmin = Vec.f16(w, blk + 2);
            long sLo = KScales.low8(w, blk + 4);
            int sHi = KScales.high4(w, blk + 4);
            for (int j = 0; j < 8; j++) {
                float dj = d * KScales.scaleK4(sLo, sHi, j);
                float mj = -(dmin * KScales.minK4(sLo, sHi, j));
                for (int h = 0; h < 2; h++) {
                    ByteVector ql = ByteVector.fromMemorySegment(B16, w, blk + 48 + 32L * (j >> 1) + 16L * h, LE);
                    ByteVector qh = ByteVector.fromMemorySegment(B16, w, blk + 16 + 16L * h, LE);
                    ByteVector low = (j & 1) == 0 ? ql.and((byte) 0x0f) : ql.lanewise(VectorOperators.LSHR, 4);
                    ByteVector q = low.or(qh.lanewise(VectorOperators.LSHR, j).and((byte) 1).lanewise(VectorOperators.LSHL, 4));
                    int at = o + 256 * b + 32 * j + 16 * h;
                    for (int part = 0; part < PARTS; part++) {
                        ((FloatVector) q.convertShape(VectorOperators.B2F, F, part)).fma(dj, mj).intoArray(out, at + L * part);
                    }
                }
            }
        }
    }
}
