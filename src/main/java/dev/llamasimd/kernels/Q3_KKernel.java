package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.B16;
import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.I;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;
import static dev.llamasimd.kernels.Vec.PARTS;

import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Q3_KCodec;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Q3_K rows (super-blocks of 256 values in 110 bytes; see {@link Q3_KCodec}): 2 low bits from
 * {@code qs} and a high bit from {@code hmask} (a clear bit subtracts 4), times {@code d·sc} of
 * the 16-value group with its 6-bit signed scale. Group {@code g} of a 128-value half takes
 * bits {@code 2·(g/2)} of 16 bytes of its {@code qs} and bit {@code 4·half + g/2} of 16 bytes
 * of {@code hmask}. Sixteen values at a time are widened in {@link Vec#PARTS} float vectors.
 *
 * <p>At 16 lanes decode multiplies the values with the activations as they come, as
 * {@link Q6_KKernel} does: one half super-block per call of a small method, each widened run of
 * {@code qs} bytes serving four vectors and of {@code hmask} bytes four, the 16 group scales
 * unpacked by one vector pass per super-block, and two rows taking their super-blocks in turn.
 * Narrower vectors widen the row and multiply it as an array.
 */
final class Q3_KKernel extends SuperBlockKernel {

    /*
     * The scale unpacking at 16 lanes, lane g for group g: its low nibble is byte g % 8 of the
     * first 8 scale bytes (read as two ints), the low nibble for g < 8 and the high one after;
     * its high 2 bits are bits 2·(g/4) of byte 8 + g % 4.
     */
    private static final VectorMask<Integer> SECOND_WORD = L == 16 ? VectorMask.fromArray(I,
            new boolean[] {false, false, false, false, true, true, true, true, false, false, false, false, true, true, true, true},
            0) : null;
    private static final IntVector LOW_SHIFT = L == 16
            ? IntVector.fromArray(I, new int[] {0, 8, 16, 24, 0, 8, 16, 24, 4, 12, 20, 28, 4, 12, 20, 28}, 0) : null;
    private static final IntVector HIGH_SHIFT = L == 16
            ? IntVector.fromArray(I, new int[] {0, 8, 16, 24, 2, 10, 18, 26, 4, 12, 20, 28, 6, 14, 22, 30}, 0) : null;

    Q3_KKernel() {
        super(GgmlType.Q3_K, new Q3_KCodec(), 96);
    }

    @Override
    boolean fused() {
        return L == 16;
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

    /** Super-block {@code blk} of a row into the accumulators at acc[at..at+32), its scales at acc[sc..sc+32). */
    @Override
    void superBlock(MemorySegment w, long blk, float[] x, int col, float[] acc, int at, int sc) {
        scales(w, blk, acc, sc);
        half16(w, blk, 0, x, col, acc, at, sc);
        half16(w, blk, 1, x, col, acc, at, sc);
    }

    /**
     * The 16 group scales d·sc of a super-block, each times 4^−p for the bit pair p its quants
     * take (exact: d·sc is 0 or at least 2⁻²⁴, far from float's subnormals), to acc[at..at+16),
     * and −4·d·sc to acc[at+16..at+32).
     */
    private static void scales(MemorySegment w, long blk, float[] acc, int at) {
        float d = Vec.f16(w, blk + 108);
        long lo8 = KScales.low8(w, blk + 96);
        IntVector low = IntVector.broadcast(I, (int) lo8).blend((int) (lo8 >>> 32), SECOND_WORD)
                .lanewise(VectorOperators.LSHR, LOW_SHIFT).and(0xf);
        IntVector high = IntVector.broadcast(I, KScales.high4(w, blk + 96))
                .lanewise(VectorOperators.LSHR, HIGH_SHIFT).and(3);
        FloatVector dl = ((FloatVector) low.or(high.lanewise(VectorOperators.LSHL, 4)).sub(32)
                .convert(VectorOperators.I2F, 0)).mul(d);
        dl.mul(PAIR_SCALE).intoArray(acc, at);
        dl.mul(-4f).intoArray(acc, at + 16);
    }

    /*
     * Half h of a super-block at 16 lanes: for each run of 16 columns l (0 to a0, 16 to a1, in
     * column order), 16 bytes of qs and of hmask, each widened once, give the four vectors at
     * columns l, l + 32, l + 64 and l + 96 (bit pairs p = 0..3). The pair stays where it is in the
     * byte, with hmask's bit moved up beside it: that quant is 4^p·v, and
     * fma(4^p·v, d·sc·4^−p, −4·d·sc) is exactly d·sc·(v − 4), the widened value, rounded once.
     */
    private static void half16(MemorySegment w, long blk, int h, float[] x, int col, float[] acc, int at, int sc) {
        FloatVector a0 = FloatVector.fromArray(F, acc, at);
        FloatVector a1 = FloatVector.fromArray(F, acc, at + 16);
        for (int l = 0; l < 32; l += 16) {
            IntVector qs = (IntVector) ByteVector.fromMemorySegment(B16, w, blk + 32 + 32L * h + l, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector hm = (IntVector) ByteVector.fromMemorySegment(B16, w, blk + l, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            // bit 4h of hmask to bit 2, where pair 0's high bit goes; pair p's is p bits above
            IntVector up = h == 0 ? hm.lanewise(VectorOperators.LSHL, 2) : hm.lanewise(VectorOperators.LSHR, 2);
            int c = col + 128 * h + l;
            int s = sc + 8 * h + l / 16;
            FloatVector acc0 = l == 0 ? a0 : a1;
            acc0 = ((FloatVector) qs.and(3).or(up.and(4)).convert(VectorOperators.I2F, 0))
                    .fma(acc[s], acc[s + 16]).fma(FloatVector.fromArray(F, x, c), acc0);
            acc0 = ((FloatVector) qs.and(12).or(up.lanewise(VectorOperators.LSHL, 1).and(16)).convert(VectorOperators.I2F, 0))
                    .fma(acc[s + 2], acc[s + 18]).fma(FloatVector.fromArray(F, x, c + 32), acc0);
            acc0 = ((FloatVector) qs.and(48).or(up.lanewise(VectorOperators.LSHL, 2).and(64)).convert(VectorOperators.I2F, 0))
                    .fma(acc[s + 4], acc[s + 20]).fma(FloatVector.fromArray(F, x, c + 64), acc0);
            acc0 = ((FloatVector) qs.and(192).or(up.lanewise(VectorOperators.LSHL, 3).and(256)).convert(VectorOperators.I2F, 0))
                    .fma(acc[s + 6], acc[s + 22]).fma(FloatVector.fromArray(F, x, c + 96), acc0);
            if (l == 0) {
                a0 = acc0;
            } else {
                a1 = acc0;
            }
        }
        a0.intoArray(acc, at);
        a1.intoArray(acc, at + 16);
    }
}
