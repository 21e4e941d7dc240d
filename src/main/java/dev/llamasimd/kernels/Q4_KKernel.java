package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.B16;
import static dev.llamasimd.kernels.Vec.BL;
import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.I;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;
import static dev.llamasimd.kernels.Vec.PARTS;

import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Q4_KCodec;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_K rows (super-blocks of 256 values in 144 bytes; see {@link Q4_KCodec}): each 32 bytes of
 * nibbles hold two 32-value sub-blocks, the low nibbles one and the high nibbles the next; a
 * value is {@code fma(q, d·sc, −dmin·m)}. Quants are widened to int lanes (x86 has no byte
 * shifts), split into nibbles and converted; decode multiplies them with the activations as they
 * come, in column order, one super-block per call of a small method whose accumulators live in
 * the scratch array between calls (two rows take their super-blocks in turn; below 8 lanes it
 * widens the row and multiplies it as an array). Each quant byte is widened once for both its
 * sub-blocks; at 16 lanes the scales and mins are unpacked with vector lanes once per
 * super-block.
 */
final class Q4_KKernel extends SuperBlockKernel {

    /*
     * The 12 scale bytes b[0..11] of a super-block to 16 int lanes (scales16's constants): lane j < 8 the
     * 6-bit scale of sub-block j, lane 8 + j its min. Low bits: scales j < 4 are b[j] & 63, j >= 4
     * b[j + 4] & 15; mins j < 4 b[j + 4] & 63, j >= 4 b[j + 4] >> 4. High bits (j >= 4): b[j − 4] >> 6
     * for scales, b[j] >> 6 for mins, at bits 4-5.
     */
    private static final VectorSpecies<Integer> I512 = IntVector.SPECIES_512;
    private static final VectorShuffle<Integer> SIX_BITS =
            VectorShuffle.fromArray(I512, new int[] {0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11}, 0);
    private static final IntVector SIX_SHIFT =
            IntVector.fromArray(I512, new int[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4}, 0);
    private static final IntVector SIX_MASK =
            IntVector.fromArray(I512, new int[] {63, 63, 63, 63, 15, 15, 15, 15, 63, 63, 63, 63, 15, 15, 15, 15}, 0);
    private static final VectorShuffle<Integer> TWO_BITS =
            VectorShuffle.fromArray(I512, new int[] {0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 4, 5, 6, 7}, 0);
    private static final IntVector TWO_MASK =
            IntVector.fromArray(I512, new int[] {0, 0, 0, 0, 0x30, 0x30, 0x30, 0x30, 0, 0, 0, 0, 0x30, 0x30, 0x30, 0x30}, 0);
    /** Lanes 8..15: the mins. */
    private static final VectorMask<Float> MINS = VectorMask.fromLong(FloatVector.SPECIES_512, 0xff00L);

    Q4_KKernel() {
        super(GgmlType.Q4_K, new Q4_KCodec(), 0);
    }

    @Override
    boolean fused() {
        return BL != null;
    }

    @Override
    public void decode(MemorySegment w, long offset, int n, float[] out, int o) {
        for (int b = 0; b < n / 256; b++) {
            long blk = offset + 144L * b;
            float d = Vec.f16(w, blk);
            float dmin = Vec.f16(w, blk + 2);
            long sLo = KScales.low8(w, blk + 4);
            int sHi = KScales.high4(w, blk + 4);
            for (int p = 0; p < 4; p++) {
                float d1 = d * KScales.scaleK4(sLo, sHi, 2 * p);
                float m1 = -(dmin * KScales.minK4(sLo, sHi, 2 * p));
                float d2 = d * KScales.scaleK4(sLo, sHi, 2 * p + 1);
                float m2 = -(dmin * KScales.minK4(sLo, sHi, 2 * p + 1));
                for (int h = 0; h < 2; h++) {
                    ByteVector q = ByteVector.fromMemorySegment(B16, w, blk + 16 + 32L * p + 16L * h, LE);
                    int at = o + 256 * b + 64 * p + 16 * h;
                    for (int part = 0; part < PARTS; part++) {
                        IntVector v = (IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, part);
                        ((FloatVector) v.and(0x0f).convert(VectorOperators.I2F, 0)).fma(d1, m1).intoArray(out, at + L * part);
                        ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(d2, m2)
                                .intoArray(out, at + 32 + L * part);
                    }
                }
            }
        }
    }

    @Override
    void superBlock(MemorySegment w, long blk, float[] x, int col, float[] acc, int at, int sc) {
        block(w, blk, x, col, acc, at);
    }

    /*
     * One super-block per call, its accumulators kept in acc[at..at+2L) (even vectors of the row,
     * then odd ones): a call is a small method that C2 compiles whole, with every Vector API call
     * inlined, whether or not it inlines it into the row loop. (A kernel body grown too large
     * makes C2 stop inlining, and the calls it leaves box their vectors; two rows interleaved in
     * one body did, and measured slower than two calls.) Sub-block 2g is the low nibbles of 32
     * bytes, 2g + 1 their high nibbles; each vector is loaded at the byte its L columns need, so
     * no conversion takes a part number, and widened once for both sub-blocks.
     */
    private static void block(MemorySegment w, long blk, float[] x, int col, float[] acc, int at) {
        if (L == 16) {
            block16(w, blk, x, col, acc, at);
        } else {
            block8(w, blk, x, col, acc, at);
        }
    }

    /*
     * block at 8 lanes: a0 takes columns 64g + 16i + (0..8), a1 64g + 16i + (8..16); the four
     * runs of 8 bytes are widened once, their low nibbles taken, then their high ones.
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
            long q = blk + 16 + 32L * g;
            int c = col + 64 * g;
            IntVector v0 = (IntVector) ByteVector.fromMemorySegment(BL, w, q, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector v1 = (IntVector) ByteVector.fromMemorySegment(BL, w, q + 8, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector v2 = (IntVector) ByteVector.fromMemorySegment(BL, w, q + 16, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector v3 = (IntVector) ByteVector.fromMemorySegment(BL, w, q + 24, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            a0 = ((FloatVector) v0.and(0x0f).convert(VectorOperators.I2F, 0)).fma(dl, ml).fma(FloatVector.fromArray(F, x, c), a0);
            a1 = ((FloatVector) v1.and(0x0f).convert(VectorOperators.I2F, 0)).fma(dl, ml).fma(FloatVector.fromArray(F, x, c + 8), a1);
            a0 = ((FloatVector) v2.and(0x0f).convert(VectorOperators.I2F, 0)).fma(dl, ml).fma(FloatVector.fromArray(F, x, c + 16), a0);
            a1 = ((FloatVector) v3.and(0x0f).convert(VectorOperators.I2F, 0)).fma(dl, ml).fma(FloatVector.fromArray(F, x, c + 24), a1);
            a0 = ((FloatVector) v0.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(dh, mh)
                    .fma(FloatVector.fromArray(F, x, c + 32), a0);
            a1 = ((FloatVector) v1.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(dh, mh)
                    .fma(FloatVector.fromArray(F, x, c + 40), a1);
            a0 = ((FloatVector) v2.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(dh, mh)
                    .fma(FloatVector.fromArray(F, x, c + 48), a0);
            a1 = ((FloatVector) v3.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(dh, mh)
                    .fma(FloatVector.fromArray(F, x, c + 56), a1);
        }
        a0.intoArray(acc, at);
        a1.intoArray(acc, at + 8);
    }

    /**
     * At 16 lanes: the sub-block factors of the Q4_K/Q5_K super-block at {@code blk} (d, dmin, then
     * the 12 packed scale bytes) to acc[at..at+16): lane j < 8 is d·scale_j, lane 8 + j
     * −(dmin·min_j), as scaleK4/minK4 unpack them.
     */
    static void scales16(MemorySegment w, long blk, float[] acc, int at) {
        IntVector b = (IntVector) ByteVector.fromMemorySegment(B16, w, blk + 4, LE)
                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
        IntVector six = b.rearrange(SIX_BITS).lanewise(VectorOperators.LSHR, SIX_SHIFT).and(SIX_MASK);
        IntVector two = b.rearrange(TWO_BITS).lanewise(VectorOperators.LSHR, 2).and(TWO_MASK);
        ((FloatVector) six.or(two).convert(VectorOperators.I2F, 0))
                .mul(FloatVector.broadcast(F, Vec.f16(w, blk)).blend(-Vec.f16(w, blk + 2), MINS)).intoArray(acc, at);
    }

    /*
     * block at 16 lanes: the 32 bytes of sub-blocks 2g and 2g + 1 are two vectors, each widened
     * once and split into its low nibbles (columns 64g + 16i) and high ones (64g + 32 + 16i).
     * Vector 4g + i goes to a_i, then vector 4g + 2 + i: the order of block.
     */
    private static void block16(MemorySegment w, long blk, float[] x, int col, float[] acc, int at) {
        FloatVector a0 = FloatVector.fromArray(F, acc, at);
        FloatVector a1 = FloatVector.fromArray(F, acc, at + 16);
        scales16(w, blk, acc, at + 64);
        for (int g = 0; g < 4; g++) {
            float dl = acc[at + 64 + 2 * g];
            float ml = acc[at + 72 + 2 * g];
            float dh = acc[at + 65 + 2 * g];
            float mh = acc[at + 73 + 2 * g];
            long q = blk + 16 + 32L * g;
            int c = col + 64 * g;
            IntVector v0 = (IntVector) ByteVector.fromMemorySegment(BL, w, q, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector v1 = (IntVector) ByteVector.fromMemorySegment(BL, w, q + 16, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            a0 = ((FloatVector) v0.and(0x0f).convert(VectorOperators.I2F, 0)).fma(dl, ml)
                    .fma(FloatVector.fromArray(F, x, c), a0);
            a1 = ((FloatVector) v1.and(0x0f).convert(VectorOperators.I2F, 0)).fma(dl, ml)
                    .fma(FloatVector.fromArray(F, x, c + 16), a1);
            a0 = ((FloatVector) v0.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(dh, mh)
                    .fma(FloatVector.fromArray(F, x, c + 32), a0);
            a1 = ((FloatVector) v1.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).fma(dh, mh)
                    .fma(FloatVector.fromArray(F, x, c + 48), a1);
        }
        a0.intoArray(acc, at);
        a1.intoArray(acc, at + 16);
    }
}
