package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.B16;
import static dev.llamasimd.kernels.Vec.BL;
import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.I;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;
import static dev.llamasimd.kernels.Vec.PARTS;

import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Q5_KCodec;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q5_K rows (super-blocks of 256 values in 176 bytes; see {@link Q5_KCodec}): like Q4_K, with a
 * fifth bit per value from {@code qh} (bit {@code j} of byte {@code l} for value {@code l} of
 * sub-block {@code j}); a value is {@code fma(q, d·sc, −dmin·m)}. Widening builds sixteen
 * values at a time in byte lanes and widens them in {@link Vec#PARTS} float vectors. Decode is
 * fused as {@link Q4_KKernel}'s: each quant byte and each qh byte is widened to int lanes once
 * for every vector it feeds, one super-block per call of a small method, two rows in turn; below
 * 8 lanes it widens the row and multiplies it as an array.
 */
final class Q5_KKernel extends SuperBlockKernel {

    Q5_KKernel() {
        super(GgmlType.Q5_K, new Q5_KCodec(), 0);
    }

    @Override
    boolean fused() {
        return BL != null;
    }

    @Override
    void superBlock(MemorySegment w, long blk, float[] x, int col, float[] acc, int at, int sc) {
        block(w, blk, x, col, acc, at);
    }

    /** Super-block {@code blk} into the accumulators at acc[at..at+2L) (even vectors, then odd ones). */
    private static void block(MemorySegment w, long blk, float[] x, int col, float[] acc, int at) {
        if (L == 16) {
            block16(w, blk, x, col, acc, at);
        } else {
            block8(w, blk, x, col, acc, at);
        }
    }

    /*
     * Sub-block j's fifth bit is bit j of its qh byte, moved to bit 4 (left by 4 − j or right by
     * j − 4; spelled out at each use, as no vector may be passed to a helper).
     *
     * At 16 lanes: the 32 qh bytes are two vectors of int lanes for the whole super-block; the
     * 32 quant bytes of sub-blocks 2g and 2g + 1 two more, whose low nibbles are sub-block 2g
     * (columns 64g + 16i, to a_i) and high nibbles sub-block 2g + 1 (64g + 32 + 16i, to a_i).
     */
    private static void block16(MemorySegment w, long blk, float[] x, int col, float[] acc, int at) {
        FloatVector a0 = FloatVector.fromArray(F, acc, at);
        FloatVector a1 = FloatVector.fromArray(F, acc, at + 16);
        Q4_KKernel.scales16(w, blk, acc, at + 64);
        IntVector h0 = (IntVector) ByteVector.fromMemorySegment(BL, w, blk + 16, LE)
                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
        IntVector h1 = (IntVector) ByteVector.fromMemorySegment(BL, w, blk + 32, LE)
                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
        for (int g = 0; g < 4; g++) {
            float dl = acc[at + 64 + 2 * g];
            float ml = acc[at + 72 + 2 * g];
            float dh = acc[at + 65 + 2 * g];
            float mh = acc[at + 73 + 2 * g];
            long q = blk + 48 + 32L * g;
            int c = col + 64 * g;
            IntVector v0 = (IntVector) ByteVector.fromMemorySegment(BL, w, q, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector v1 = (IntVector) ByteVector.fromMemorySegment(BL, w, q + 16, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            a0 = ((FloatVector) v0.and(0x0f).or((g < 3 ? h0.lanewise(VectorOperators.LSHL, 4 - 2 * g) : h0.lanewise(VectorOperators.LSHR, 2)).and(0x10)).convert(VectorOperators.I2F, 0)).fma(dl, ml)
                    .fma(FloatVector.fromArray(F, x, c), a0);
            a1 = ((FloatVector) v1.and(0x0f).or((g < 3 ? h1.lanewise(VectorOperators.LSHL, 4 - 2 * g) : h1.lanewise(VectorOperators.LSHR, 2)).and(0x10)).convert(VectorOperators.I2F, 0)).fma(dl, ml)
                    .fma(FloatVector.fromArray(F, x, c + 16), a1);
            a0 = ((FloatVector) v0.lanewise(VectorOperators.LSHR, 4).or((g < 2 ? h0.lanewise(VectorOperators.LSHL, 3 - 2 * g) : h0.lanewise(VectorOperators.LSHR, 2 * g - 3)).and(0x10)).convert(VectorOperators.I2F, 0))
                    .fma(dh, mh).fma(FloatVector.fromArray(F, x, c + 32), a0);
            a1 = ((FloatVector) v1.lanewise(VectorOperators.LSHR, 4).or((g < 2 ? h1.lanewise(VectorOperators.LSHL, 3 - 2 * g) : h1.lanewise(VectorOperators.LSHR, 2 * g - 3)).and(0x10)).convert(VectorOperators.I2F, 0))
                    .fma(dh, mh).fma(FloatVector.fromArray(F, x, c + 48), a1);
        }
        a0.intoArray(acc, at);
        a1.intoArray(acc, at + 16);
    }

    /*
     * At 8 lanes: a0 takes columns 64g + 16i + (0..8), a1 64g + 16i + (8..16); the four runs of 8
     * quant bytes and of 8 qh bytes are widened once per pair of sub-blocks.
     */
    private static void block8(MemorySegment w, long blk, float[] x, int col, float[] acc, int at) {
        FloatVector a0 = FloatVector.fromArray(F, acc, at);
        FloatVector a1 = FloatVector.fromArray(F, acc, at + 8);
        float d = Vec.f16(w, blk);
        float dmin = Vec.f16(w, blk + 2);
        long sLo = KScales.low8(w, blk + 4);
        int sHi = KScales.high4(w, blk + 4);
        for (int g = 0; g < 4; g++) {
            float dl = d * KScales.scaleK4(sLo, sHi, 2 * g);
            float ml = -(dmin * KScales.minK4(sLo, sHi, 2 * g));
            float dh = d * KScales.scaleK4(sLo, sHi, 2 * g + 1);
            float mh = -(dmin * KScales.minK4(sLo, sHi, 2 * g + 1));
            long q = blk + 48 + 32L * g;
            int c = col + 64 * g;
            for (int r = 0; r < 16; r += 8) {
                // runs r and r + 16: the columns of one accumulator, in order
                IntVector v0 = (IntVector) ByteVector.fromMemorySegment(BL, w, q + r, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector v1 = (IntVector) ByteVector.fromMemorySegment(BL, w, q + r + 16, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector h0 = (IntVector) ByteVector.fromMemorySegment(BL, w, blk + 16 + r, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                IntVector h1 = (IntVector) ByteVector.fromMemorySegment(BL, w, blk + 32 + r, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
                FloatVector acc0 = r == 0 ? a0 : a1;
                acc0 = ((FloatVector) v0.and(0x0f).or((g < 3 ? h0.lanewise(VectorOperators.LSHL, 4 - 2 * g) : h0.lanewise(VectorOperators.LSHR, 2)).and(0x10)).convert(VectorOperators.I2F, 0)).fma(dl, ml)
                        .fma(FloatVector.fromArray(F, x, c + r), acc0);
                acc0 = ((FloatVector) v1.and(0x0f).or((g < 3 ? h1.lanewise(VectorOperators.LSHL, 4 - 2 * g) : h1.lanewise(VectorOperators.LSHR, 2)).and(0x10)).convert(VectorOperators.I2F, 0)).fma(dl, ml)
                        .fma(FloatVector.fromArray(F, x, c + r + 16), acc0);
                acc0 = ((FloatVector) v0.lanewise(VectorOperators.LSHR, 4).or((g < 2 ? h0.lanewise(VectorOperators.LSHL, 3 - 2 * g) : h0.lanewise(VectorOperators.LSHR, 2 * g - 3)).and(0x10)).convert(VectorOperators.I2F, 0))
                        .fma(dh, mh).fma(FloatVector.fromArray(F, x, c + r + 32), acc0);
                acc0 = ((FloatVector) v1.lanewise(VectorOperators.LSHR, 4).or((g < 2 ? h1.lanewise(VectorOperators.LSHL, 3 - 2 * g) : h1.lanewise(VectorOperators.LSHR, 2 * g - 3)).and(0x10)).convert(VectorOperators.I2F, 0))
                        .fma(dh, mh).fma(FloatVector.fromArray(F, x, c + r + 48), acc0);
                if (r == 0) {
                    a0 = acc0;
                } else {
                    a1 = acc0;
                }
            }
        }
        a0.intoArray(acc, at);
        a1.intoArray(acc, at + 8);
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
