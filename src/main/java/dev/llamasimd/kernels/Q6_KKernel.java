package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.B16;
import static dev.llamasimd.kernels.Vec.BL;
import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.I;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;
import static dev.llamasimd.kernels.Vec.PARTS;

import dev.llamasimd.tensor.Codec;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Q6_KCodec;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
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
 * {@link Q4_KKernel}); at 16 lanes each widened run of 16 qh bytes serves four vectors and each
 * of ql two, with the group scales converted once per super-block, and two rows take their
 * super-blocks in turn; at 8 lanes every vector widens its own bytes and two rows are
 * interleaved; below 8 lanes it widens the row and multiplies it as an array.
 */
final class Q6_KKernel implements TypeKernel {
    private static final Codec CODEC = new Q6_KCodec();

    @Override
    public GgmlType type() {
        return GgmlType.Q6_K;
    }

    @Override
    public Codec codec() {
        return CODEC;
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

    @Override
    public float dot(MemorySegment w, long row, int n, float[] x, int xOff, float[] buf) {
        if (BL == null) {
            decode(w, row, n, buf, 0);
            return Vec.dot(buf, 0, n, x, xOff);
        }
        Arrays.fill(buf, 0, 2 * L, 0f);
        for (int b = 0; b < n / 256; b++) {
            if (L == 16) {
                scales16(w, row + 210L * b, buf, 64);
                half16(w, row + 210L * b, 0, x, xOff + 256 * b, buf, 0, 64);
                half16(w, row + 210L * b, 1, x, xOff + 256 * b, buf, 0, 64);
            } else {
                half(w, row + 210L * b, 0, x, xOff + 256 * b, buf);
                half(w, row + 210L * b, 1, x, xOff + 256 * b, buf);
            }
        }
        return Vec.sumStored2(buf, 0);
    }

    @Override
    public void dot2(MemorySegment w, long a, long b, int n, float[] x, int xOff, float[] buf,
                     float[] y, int yA, int yB) {
        if (BL == null) {
            y[yA] = dot(w, a, n, x, xOff, buf);
            y[yB] = dot(w, b, n, x, xOff, buf);
            return;
        }
        Arrays.fill(buf, 0, 4 * L, 0f);
        for (int k = 0; k < n / 256; k++) {
            if (L == 16) {
                scales16(w, a + 210L * k, buf, 64);
                half16(w, a + 210L * k, 0, x, xOff + 256 * k, buf, 0, 64);
                half16(w, a + 210L * k, 1, x, xOff + 256 * k, buf, 0, 64);
                scales16(w, b + 210L * k, buf, 112);
                half16(w, b + 210L * k, 0, x, xOff + 256 * k, buf, 32, 112);
                half16(w, b + 210L * k, 1, x, xOff + 256 * k, buf, 32, 112);
            } else {
                half2(w, a + 210L * k, b + 210L * k, 0, x, xOff + 256 * k, buf);
                half2(w, a + 210L * k, b + 210L * k, 1, x, xOff + 256 * k, buf);
            }
        }
        y[yA] = Vec.sumStored2(buf, 0);
        y[yB] = Vec.sumStored2(buf, 2 * L);
    }

    /*
     * Half h (128 values) of a super-block per call: a small method, as Q4_KKernel.block (a whole
     * super-block of two rows was still large enough for C2 to box vectors in some runs). In
     * column order: the 32 columns of quarter k (nibble 4·(k/2) of ql bytes 64h + 32·(k%2) + l,
     * bits 2k of qh bytes 128 + 32h + l), in pairs of vectors: the first to a0, the second to a1.
     */
    private static void half(MemorySegment w, long blk, int h, float[] x, int col, float[] acc) {
        FloatVector a0 = FloatVector.fromArray(F, acc, 0);
        FloatVector a1 = FloatVector.fromArray(F, acc, L);
        float d = Vec.f16(w, blk + 208);
        for (int k = 0; k < 4; k++) {
            long ql = blk + 64L * h + 32L * (k & 1);
            long qh = blk + 128 + 32L * h;
            int nibble = 4 * (k >> 1);
            int high = 2 * k;
            for (int i = 0; i < 32; i += 2 * L) {
                int c = col + 128 * h + 32 * k + i;
                float s0 = d * w.get(ValueLayout.JAVA_BYTE, blk + 192 + 8 * h + 2 * k + i / 16);
                float s1 = d * w.get(ValueLayout.JAVA_BYTE, blk + 192 + 8 * h + 2 * k + (i + L) / 16);
                a0 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(BL, w, ql + i, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.LSHR, nibble).and(0x0f)
                        .or(((IntVector) ByteVector.fromMemorySegment(BL, w, qh + i, LE)
                                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0))
                                .lanewise(VectorOperators.LSHR, high).and(3).lanewise(VectorOperators.LSHL, 4))
                        .convert(VectorOperators.I2F, 0)).fma(s0, -32 * s0).fma(FloatVector.fromArray(F, x, c), a0);
                a1 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(BL, w, ql + i + L, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.LSHR, nibble).and(0x0f)
                        .or(((IntVector) ByteVector.fromMemorySegment(BL, w, qh + i + L, LE)
                                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0))
                                .lanewise(VectorOperators.LSHR, high).and(3).lanewise(VectorOperators.LSHL, 4))
                        .convert(VectorOperators.I2F, 0)).fma(s1, -32 * s1).fma(FloatVector.fromArray(F, x, c + L), a1);
            }
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, L);
    }

    /** {@link #half} of two rows at once (the second's accumulators in acc[2L..4L)), sharing the activations. */
    private static void half2(MemorySegment w, long ba, long bb, int h, float[] x, int col, float[] acc) {
        FloatVector a0 = FloatVector.fromArray(F, acc, 0);
        FloatVector a1 = FloatVector.fromArray(F, acc, L);
        FloatVector b0 = FloatVector.fromArray(F, acc, 2 * L);
        FloatVector b1 = FloatVector.fromArray(F, acc, 3 * L);
        float da = Vec.f16(w, ba + 208);
        float db = Vec.f16(w, bb + 208);
        for (int k = 0; k < 4; k++) {
            long ql = 64L * h + 32L * (k & 1);
            long qh = 128 + 32L * h;
            int nibble = 4 * (k >> 1);
            int high = 2 * k;
            for (int i = 0; i < 32; i += 2 * L) {
                int c = col + 128 * h + 32 * k + i;
                FloatVector x0 = FloatVector.fromArray(F, x, c);
                FloatVector x1 = FloatVector.fromArray(F, x, c + L);
                long s = 192 + 8 * h + 2 * k;
                float s0 = da * w.get(ValueLayout.JAVA_BYTE, ba + s + i / 16);
                float s1 = da * w.get(ValueLayout.JAVA_BYTE, ba + s + (i + L) / 16);
                a0 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(BL, w, ba + ql + i, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.LSHR, nibble).and(0x0f)
                        .or(((IntVector) ByteVector.fromMemorySegment(BL, w, ba + qh + i, LE)
                                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0))
                                .lanewise(VectorOperators.LSHR, high).and(3).lanewise(VectorOperators.LSHL, 4))
                        .convert(VectorOperators.I2F, 0)).fma(s0, -32 * s0).fma(x0, a0);
                a1 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(BL, w, ba + ql + i + L, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.LSHR, nibble).and(0x0f)
                        .or(((IntVector) ByteVector.fromMemorySegment(BL, w, ba + qh + i + L, LE)
                                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0))
                                .lanewise(VectorOperators.LSHR, high).and(3).lanewise(VectorOperators.LSHL, 4))
                        .convert(VectorOperators.I2F, 0)).fma(s1, -32 * s1).fma(x1, a1);
                s0 = db * w.get(ValueLayout.JAVA_BYTE, bb + s + i / 16);
                s1 = db * w.get(ValueLayout.JAVA_BYTE, bb + s + (i + L) / 16);
                b0 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(BL, w, bb + ql + i, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.LSHR, nibble).and(0x0f)
                        .or(((IntVector) ByteVector.fromMemorySegment(BL, w, bb + qh + i, LE)
                                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0))
                                .lanewise(VectorOperators.LSHR, high).and(3).lanewise(VectorOperators.LSHL, 4))
                        .convert(VectorOperators.I2F, 0)).fma(s0, -32 * s0).fma(x0, b0);
                b1 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(BL, w, bb + ql + i + L, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0)).lanewise(VectorOperators.LSHR, nibble).and(0x0f)
                        .or(((IntVector) ByteVector.fromMemorySegment(BL, w, bb + qh + i + L, LE)
                                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0))
                                .lanewise(VectorOperators.LSHR, high).and(3).lanewise(VectorOperators.LSHL, 4))
                        .convert(VectorOperators.I2F, 0)).fma(s1, -32 * s1).fma(x1, b1);
            }
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, L);
        b0.intoArray(acc, 2 * L);
        b1.intoArray(acc, 3 * L);
    }


    /**
     * The 16 group scales d·sc of a super-block to acc[at..at+16), −32 times them after, and a
     * sixteenth of them after that (for quants kept 16 times too large, see half16: d·sc/16 is
     * exact, as d is at least 2⁻²⁴ and so d·sc/16 never subnormal).
     */
    private static void scales16(MemorySegment w, long blk, float[] acc, int at) {
        FloatVector s = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B16, w, blk + 192, LE)
                .convertShape(VectorOperators.B2I, I, 0)).convert(VectorOperators.I2F, 0)).mul(Vec.f16(w, blk + 208));
        s.intoArray(acc, at);
        s.mul(-32f).intoArray(acc, at + 16);
        s.mul(0.0625f).intoArray(acc, at + 32);
    }

    /*
     * half at 16 lanes: 16 bytes of qh and the two runs of 16 ql bytes they pair with, each
     * widened once, give the four vectors at columns l, l + 32, l + 64 and l + 96 (l = 0 all go
     * to a0, l = 16 to a1, in column order). The high nibbles stay where they are, with qh's bits
     * moved up beside them: those quants are 16·q, multiplied by d·sc/16, which gives q·d·sc
     * exactly (two shifts per four vectors instead of five). Scales at acc[sc..), see scales16.
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
}
