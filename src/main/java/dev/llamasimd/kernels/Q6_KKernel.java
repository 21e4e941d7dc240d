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
import jdk.incubator.vector.VectorSpecies;

/**
 * Q6_K rows (super-blocks of 256 values in 210 bytes; see {@link Q6_KCodec}): a value is a low
 * nibble from {@code ql} and two high bits from {@code qh}, minus 32, times {@code d·sc} of its
 * 16-value group. Group {@code g} of a 128-value half takes the low ({@code g < 4}) or high
 * nibbles of 16 bytes of its {@code ql}, and bits {@code 2·(g/2)} of 16 bytes of its {@code qh}.
 * Values are built in int lanes (x86 has no byte shifts) and converted. Decode multiplies them
 * with the activations as they come, two rows taking their super-blocks in turn (interleaving
 * them in one body made C2 box vectors), the group scales converted once per super-block. At 16
 * lanes a super-block's quants are unpacked as bytes first, 64 per vector operation, and each
 * run of 16 widened from there (unpack16, columns16); at 8 lanes half a super-block per call of
 * a small method (see {@link Q4_KKernel}), each widened run of qh bytes serving four vectors and
 * each of ql two. Below 8 lanes it widens the row and multiplies it as an array.
 */
final class Q6_KKernel extends SuperBlockKernel {
    /** Where in the scratch buffer unpack16 leaves a super-block's quants (after both rows' scales). */
    private static final int QUANTS = 160;
    /*
     * Constant species for the reinterpretations: reinterpretAsBytes() computes its species at
     * run time, which C2 does not always fold, and then cannot bind the next call statically
     * (and boxes; DecodeAllocationTest).
     */
    private static final VectorSpecies<Float> F4 = FloatVector.SPECIES_128;
    private static final VectorSpecies<Byte> B64 = I.withLanes(byte.class);
    /** For selectFrom(first, second): the first 32 bytes of each of two vectors, and the last 32. */
    private static final IntVector FIRST_HALVES = L == 16
            ? IntVector.fromArray(I, new int[] {0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23}, 0) : null;
    private static final IntVector SECOND_HALVES = L == 16
            ? IntVector.fromArray(I, new int[] {8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31}, 0) : null;

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
     * acc[sc..sc+48) (16 of them at 16 lanes, with its quants at acc[QUANTS..QUANTS+64)): in small
     * methods (a whole super-block in one body was large enough for C2 to box vectors in some
     * runs).
     */
    @Override
    void superBlock(MemorySegment w, long blk, float[] x, int col, float[] acc, int at, int sc) {
        if (L == 16) {
            scales16(w, blk, acc, sc);
            unpack16(w, blk, acc, QUANTS);
            columns16(x, col, acc, at, sc, QUANTS);
        } else {
            scales(w, blk, acc, sc);
            half8(w, blk, 0, x, col, acc, at, sc);
            half8(w, blk, 1, x, col, acc, at, sc);
        }
    }

    /**
     * The 16 group scales d·sc of a super-block to acc[at..at+16), −32 times them after, and a
     * sixteenth of them after that (for quants kept 16 times too large, see half8: d·sc/16 is
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
     * At 16 lanes the super-block's 16 group scales d·sc go to acc[sc..sc+16) (scales16) and its
     * 256 quants, minus 32, as bytes to acc[q..q+64) (unpack16); columns16 then widens each 16 of
     * them once, from there. The quants are unpacked 64 to an int vector (int lanes, as x86 has no
     * byte shifts; the masks drop what a shift brings in from the next byte). A half h of the
     * super-block keeps the low bits of column l (l < 32) in the low nibble of ql[64h + l], of
     * column 32 + l in that of ql[64h + 32 + l], of 64 + l and 96 + l in their high nibbles, and
     * the two high bits of column 32i + l in bits 2i of qh[32h + l]. Pairing the first 32 ql bytes
     * of both halves (and the last 32) puts them beside the 64 qh bytes, so that one vector of each
     * serves both halves: vector i of the stored four holds columns [32i, 32i + 32) of half 0, then
     * the same of half 1. 23 vector operations for 256 quants (19 as C2 merges and-or pairs), where
     * widening each run of 16 bytes to ints before unpacking took 29 per 64. (q − 32)·d·sc is the
     * codec's value, rounded once as before.
     */
    private static void scales16(MemorySegment w, long blk, float[] acc, int sc) {
        ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B16, w, blk + 192, LE)
                .convertShape(VectorOperators.B2I, I, 0)).convert(VectorOperators.I2F, 0))
                .mul(Vec.f16(w, blk + 208)).intoArray(acc, sc);
    }

    private static void unpack16(MemorySegment w, long blk, float[] acc, int q) {
        IntVector first = IntVector.fromMemorySegment(I, w, blk, LE);
        IntVector second = IntVector.fromMemorySegment(I, w, blk + 64, LE);
        IntVector qh = IntVector.fromMemorySegment(I, w, blk + 128, LE);
        IntVector low = FIRST_HALVES.selectFrom(first, second);
        IntVector high = SECOND_HALVES.selectFrom(first, second);
        ((FloatVector) ((ByteVector) low.and(0x0f0f0f0f).or(qh.lanewise(VectorOperators.LSHL, 4).and(0x30303030))
                .reinterpretShape(B64, 0)).sub((byte) 32).reinterpretShape(F, 0)).intoArray(acc, q);
        ((FloatVector) ((ByteVector) high.and(0x0f0f0f0f).or(qh.lanewise(VectorOperators.LSHL, 2).and(0x30303030))
                .reinterpretShape(B64, 0)).sub((byte) 32).reinterpretShape(F, 0)).intoArray(acc, q + 16);
        ((FloatVector) ((ByteVector) low.lanewise(VectorOperators.LSHR, 4).and(0x0f0f0f0f).or(qh.and(0x30303030))
                .reinterpretShape(B64, 0)).sub((byte) 32).reinterpretShape(F, 0)).intoArray(acc, q + 32);
        ((FloatVector) ((ByteVector) high.lanewise(VectorOperators.LSHR, 4).and(0x0f0f0f0f)
                .or(qh.lanewise(VectorOperators.LSHR, 2).and(0x30303030))
                .reinterpretShape(B64, 0)).sub((byte) 32).reinterpretShape(F, 0)).intoArray(acc, q + 48);
    }

    /*
     * The 16 column vectors of a super-block unpacked by unpack16, in column order: even ones to
     * a0, odd ones to a1. Column vector k of half h is bytes 32h + 16·(k mod 2) of stored vector
     * k / 2, so at acc[q + 8h + 16·(k / 2) + 4·(k mod 2)]; its scale at acc[sc + 8h + k]. The
     * eight of a half are written out (as a loop C2 kept the index arithmetic and range checks of
     * every step, 15 % slower), the halves a loop: with all 16 written out (7 % faster end to end)
     * C2 left a Vector API call of the last columns to the Java fallback in some runs, which boxes
     * (DecodeAllocationTest: about one JVM in three, with B2I and I2F as two conversions or with
     * B2F as one). B2F converts in one call (the same vpmovsxbd and vcvtdq2ps); with the scale as
     * the multiply's first operand C2 broadcasts it straight from memory (the other way round it
     * loaded most scales into a register and broadcast them on the shuffle port).
     */
    private static void columns16(float[] x, int col, float[] acc, int at, int sc, int q) {
        FloatVector a0 = FloatVector.fromArray(F, acc, at);
        FloatVector a1 = FloatVector.fromArray(F, acc, at + 16);
        for (int h = 0; h < 2; h++) {
            int c = col + 128 * h;
            int s = sc + 8 * h;
            int b = q + 8 * h;
            a0 = FloatVector.broadcast(F, acc[s + 0]).mul(FloatVector.fromArray(F4, acc, b + 0).reinterpretShape(B16, 0)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, c + 0), a0);
            a1 = FloatVector.broadcast(F, acc[s + 1]).mul(FloatVector.fromArray(F4, acc, b + 4).reinterpretShape(B16, 0)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, c + 16), a1);
            a0 = FloatVector.broadcast(F, acc[s + 2]).mul(FloatVector.fromArray(F4, acc, b + 16).reinterpretShape(B16, 0)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, c + 32), a0);
            a1 = FloatVector.broadcast(F, acc[s + 3]).mul(FloatVector.fromArray(F4, acc, b + 20).reinterpretShape(B16, 0)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, c + 48), a1);
            a0 = FloatVector.broadcast(F, acc[s + 4]).mul(FloatVector.fromArray(F4, acc, b + 32).reinterpretShape(B16, 0)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, c + 64), a0);
            a1 = FloatVector.broadcast(F, acc[s + 5]).mul(FloatVector.fromArray(F4, acc, b + 36).reinterpretShape(B16, 0)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, c + 80), a1);
            a0 = FloatVector.broadcast(F, acc[s + 6]).mul(FloatVector.fromArray(F4, acc, b + 48).reinterpretShape(B16, 0)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, c + 96), a0);
            a1 = FloatVector.broadcast(F, acc[s + 7]).mul(FloatVector.fromArray(F4, acc, b + 52).reinterpretShape(B16, 0)
                    .convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, c + 112), a1);
        }
        a0.intoArray(acc, at);
        a1.intoArray(acc, at + 16);
    }

    /*
     * Half h of a super-block at 8 lanes: a vector is 8 columns, so accumulator a0 takes the
     * columns 16i + (0..8) and a1 16i + (8..16). Each run of 8 ql or qh bytes is widened to ints
     * once: the runs at byte p and p + 16 (p = 0 for a0, 8 for a1) give columns p, p + 16, ...,
     * p + 112, taken in column order. The high nibbles stay where they are, with qh's bits moved
     * up beside them: those quants are 16·q, multiplied by d·sc/16, which gives (q − 32)·d·sc
     * exactly (two shifts per four vectors instead of five). Scales at acc[sc..), see scales.
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
