package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.B16;
import static dev.llamasimd.kernels.Vec.BL;
import static dev.llamasimd.kernels.Vec.F;
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
 * Values are built in int lanes (x86 has no byte shifts) and converted. Decode multiplies them
 * with the activations as they come, one half super-block per call of a small method (see
 * {@link Q4_KKernel}): each widened run of qh bytes serves four vectors and each of ql two, the
 * group scales are converted once per super-block, and two rows take their super-blocks in turn
 * (interleaving them in one body made C2 box vectors). Below 8 lanes it widens the row and
 * multiplies it as an array.
 */
final class Q6_KKernel extends SuperBlockKernel {

    Q6_KKernel() {
        super(GgmlType.Q6_K, new Q6_KCodec(), 112);
    }

    @Override
    boolean fused() {
        return BL != null;
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

    /**
     * Super-block {@code blk} of a row into the accumulators at acc[at..at+2L), its scales at
     * acc[sc..sc+48): one small method per half (a whole super-block in one body was large enough
     * for C2 to box vectors in some runs).
     */
    @Override
    void superBlock(MemorySegment w, long blk, float[] x, int col, float[] acc, int at, int sc) {
        scales(w, blk, acc, sc);
        if (L == 16) {
            half16(w, blk, 0, x, col, acc, at, sc);
            half16(w, blk, 1, x, col, acc, at, sc);
        } else {
            half8(w, blk, 0, x, col, acc, at, sc);
            half8(w, blk, 1, x, col, acc, at, sc);
        }
    }

    /**
     * The 16 group scales d·sc of a super-block to acc[at..at+16), −32 times them after, and a
     * sixteenth of them after that (for quants kept 16 times too large, see half16: d·sc/16 is
     * exact, as d is at least 2⁻²⁴ and so d·sc/16 never subnormal).
     */
    private static void scales(MemorySegment w, long blk, float[] acc, int at) {
        float d = Vec.f16(w, blk + 208);
        ByteVector sc = ByteVector.fromMemorySegment(B16, w, blk + 192, LE);
        for (int p = 0; p < PARTS; p++) {
            FloatVector s = ((FloatVector) ((IntVector) sc.convertShape(VectorOperators.B2I, I, p))
                    .convert(VectorOperators.I2F, 0)).mul(d);
            s.intoArray(acc, at + L * p);
            s.mul(-32f).intoArray(acc, at + 16 + L * p);
            s.mul(0.0625f).intoArray(acc, at + 32 + L * p);
        }
    }

    /*
     * half at 16 lanes: 16 bytes of qh and the two runs of 16 ql bytes they pair with, each
     * widened once, give the four vectors at columns l, l + 32, l + 64 and l + 96 (l = 0 all go
     * to a0, l = 16 to a1, in column order). The high nibbles stay where they are, with qh's bits
     * moved up beside them: those quants are 16·q, multiplied by d·sc/16, which gives q·d·sc
     * exactly (two shifts per four vectors instead of five). Scales at acc[sc..), see scales.
     */
    private static void half16(MemorySegment w, long blk, int h, float[] x, int col, float[] acc, int at, int sc) {
        FloatVector a0 = FloatVector.fromArray(F, acc, at);
        FloatVector a1 = FloatVector.fromArray(F, acc, at + 16);
        int g = sc + 8 * h;
        for (int l = 0; l < 32; l += 16) {
            long ql = blk + 64L * h + l;
            IntVector lo = (IntVector) ByteVector.fromMemorySegment(B16, w, ql, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector hi = (IntVector) ByteVector.fromMemorySegment(B16, w, ql + 32, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector qh = (IntVector) ByteVector.fromMemorySegment(B16, w, blk + 128 + 32L * h + l, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector up4 = qh.lanewise(VectorOperators.LSHL, 4);
            IntVector up2 = qh.lanewise(VectorOperators.LSHL, 2);
            int c = col + 128 * h + l;
            int s = g + l / 16;
            FloatVector acc0 = l == 0 ? a0 : a1;
            acc0 = ((FloatVector) lo.and(0x0f).or(up4.and(0x30)).convert(VectorOperators.I2F, 0))
                    .fma(acc[s], acc[s + 16]).fma(FloatVector.fromArray(F, x, c), acc0);
            acc0 = ((FloatVector) hi.and(0x0f).or(up2.and(0x30)).convert(VectorOperators.I2F, 0))
                    .fma(acc[s + 2], acc[s + 18]).fma(FloatVector.fromArray(F, x, c + 32), acc0);
            acc0 = ((FloatVector) lo.and(0xf0).or(up4.and(0x300)).convert(VectorOperators.I2F, 0))
                    .fma(acc[s + 36], acc[s + 20]).fma(FloatVector.fromArray(F, x, c + 64), acc0);
            acc0 = ((FloatVector) hi.and(0xf0).or(up2.and(0x300)).convert(VectorOperators.I2F, 0))
                    .fma(acc[s + 38], acc[s + 22]).fma(FloatVector.fromArray(F, x, c + 96), acc0);
            if (l == 0) {
                a0 = acc0;
            } else {
                a1 = acc0;
            }
        }
        a0.intoArray(acc, at);
        a1.intoArray(acc, at + 16);
    }

    /*
     * half16 at 8 lanes: a vector is 8 columns, so accumulator a0 takes the columns 16i + (0..8)
     * and a1 16i + (8..16); the runs at byte p and p + 16 (p = 0 for a0, 8 for a1) are widened
     * together and their eight vectors taken in column order.
     */
    private static void half8(MemorySegment w, long blk, int h, float[] x, int col, float[] acc, int at, int sc) {
        FloatVector a0 = FloatVector.fromArray(F, acc, at);
        FloatVector a1 = FloatVector.fromArray(F, acc, at + 8);
        int g = sc + 8 * h;
        for (int p = 0; p < 16; p += 8) {
            long ql = blk + 64L * h + p;
            long qh = blk + 128 + 32L * h + p;
            IntVector lo0 = (IntVector) ByteVector.fromMemorySegment(BL, w, ql, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector lo1 = (IntVector) ByteVector.fromMemorySegment(BL, w, ql + 16, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector hi0 = (IntVector) ByteVector.fromMemorySegment(BL, w, ql + 32, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector hi1 = (IntVector) ByteVector.fromMemorySegment(BL, w, ql + 48, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector qh0 = (IntVector) ByteVector.fromMemorySegment(BL, w, qh, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector qh1 = (IntVector) ByteVector.fromMemorySegment(BL, w, qh + 16, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            IntVector up40 = qh0.lanewise(VectorOperators.LSHL, 4);
            IntVector up41 = qh1.lanewise(VectorOperators.LSHL, 4);
            IntVector up20 = qh0.lanewise(VectorOperators.LSHL, 2);
            IntVector up21 = qh1.lanewise(VectorOperators.LSHL, 2);
            int c = col + 128 * h + p;
            FloatVector acc0 = p == 0 ? a0 : a1;
            acc0 = ((FloatVector) lo0.and(0x0f).or(up40.and(0x30)).convert(VectorOperators.I2F, 0))
                    .fma(acc[g], acc[g + 16]).fma(FloatVector.fromArray(F, x, c), acc0);
            acc0 = ((FloatVector) lo1.and(0x0f).or(up41.and(0x30)).convert(VectorOperators.I2F, 0))
                    .fma(acc[g + 1], acc[g + 17]).fma(FloatVector.fromArray(F, x, c + 16), acc0);
            acc0 = ((FloatVector) hi0.and(0x0f).or(up20.and(0x30)).convert(VectorOperators.I2F, 0))
                    .fma(acc[g + 2], acc[g + 18]).fma(FloatVector.fromArray(F, x, c + 32), acc0);
            acc0 = ((FloatVector) hi1.and(0x0f).or(up21.and(0x30)).convert(VectorOperators.I2F, 0))
                    .fma(acc[g + 3], acc[g + 19]).fma(FloatVector.fromArray(F, x, c + 48), acc0);
            acc0 = ((FloatVector) lo0.and(0xf0).or(up40.and(0x300)).convert(VectorOperators.I2F, 0))
                    .fma(acc[g + 36], acc[g + 20]).fma(FloatVector.fromArray(F, x, c + 64), acc0);
            acc0 = ((FloatVector) lo1.and(0xf0).or(up41.and(0x300)).convert(VectorOperators.I2F, 0))
                    .fma(acc[g + 37], acc[g + 21]).fma(FloatVector.fromArray(F, x, c + 80), acc0);
            acc0 = ((FloatVector) hi0.and(0xf0).or(up20.and(0x300)).convert(VectorOperators.I2F, 0))
                    .fma(acc[g + 38], acc[g + 22]).fma(FloatVector.fromArray(F, x, c + 96), acc0);
            acc0 = ((FloatVector) hi1.and(0xf0).or(up21.and(0x300)).convert(VectorOperators.I2F, 0))
                    .fma(acc[g + 39], acc[g + 23]).fma(FloatVector.fromArray(F, x, c + 112), acc0);
            if (p == 0) {
                a0 = acc0;
            } else {
                a1 = acc0;
            }
        }
        a0.intoArray(acc, at);
        a1.intoArray(acc, at + 8);
    }
}
