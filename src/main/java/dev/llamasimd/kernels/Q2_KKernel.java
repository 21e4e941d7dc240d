package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.B16;
import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.I;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;
import static dev.llamasimd.kernels.Vec.PARTS;

import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Q2_KCodec;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q2_K rows (super-blocks of 256 values in 84 bytes; see {@link Q2_KCodec}): 2-bit quants, four
 * to a byte, each 16-value group with a 4-bit scale and a 4-bit min; a value is
 * {@code fma(q, d·sc, −dmin·m)}. Group {@code g} of a 128-value half takes bits
 * {@code 2·(g/2)} of 16 bytes of its 32. Sixteen values at a time are widened in
 * {@link Vec#PARTS} float vectors.
 *
 * <p>At 16 lanes decode multiplies the values with the activations as they come, as
 * {@link Q3_KKernel} does: each widened run of 16 {@code qs} bytes serves four vectors, and the
 * 16 scales and mins of a super-block are unpacked by one vector pass. Narrower vectors widen
 * the row and multiply it as an array.
 */
final class Q2_KKernel extends SuperBlockKernel {

    Q2_KKernel() {
        super(GgmlType.Q2_K, new Q2_KCodec(), 96);
    }

    @Override
    boolean fused() {
        return L == 16;
    }

    @Override
    public void decode(MemorySegment w, long offset, int n, float[] out, int o) {
        for (int b = 0; b < n / 256; b++) {
            long blk = offset + 84L * b;
            float d = Vec.f16(w, blk + 80);
            float dmin = Vec.f16(w, blk + 82);
            for (int g = 0; g < 16; g++) {
                int sc = KScales.u8(w, blk + g);
                float dl = d * (sc & 0xf);
                float ml = -(dmin * (sc >> 4));
                ByteVector q = ByteVector.fromMemorySegment(B16, w, blk + 16 + 32L * (g >> 3) + 16L * (g & 1), LE)
                        .lanewise(VectorOperators.LSHR, 2 * ((g & 7) >> 1)).and((byte) 3);
                for (int part = 0; part < PARTS; part++) {
                    ((FloatVector) q.convertShape(VectorOperators.B2F, F, part)).fma(dl, ml)
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
     * take (exact: d·sc is 0 or at least 2⁻²⁴), to acc[at..at+16), and the offsets −dmin·m to
     * acc[at+16..at+32).
     */
    private static void scales(MemorySegment w, long blk, float[] acc, int at) {
        float d = Vec.f16(w, blk + 80);
        float dmin = Vec.f16(w, blk + 82);
        IntVector packed = (IntVector) ByteVector.fromMemorySegment(B16, w, blk, LE)
                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
        ((FloatVector) packed.and(0xf).convert(VectorOperators.I2F, 0)).mul(d).mul(PAIR_SCALE).intoArray(acc, at);
        ((FloatVector) packed.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).mul(-dmin)
                .intoArray(acc, at + 16);
    }

    /*
     * Half h of a super-block at 16 lanes: for each run of 16 columns l (0 to a0, 16 to a1, in
     * column order), 16 bytes of qs, widened once, give the four vectors at columns l, l + 32,
     * l + 64 and l + 96 (bit pairs p = 0..3). The pair stays where it is in the byte: that quant
     * is 4^p·q, and fma(4^p·q, d·sc·4^−p, −dmin·m) is exactly fma(q, d·sc, −dmin·m), the widened
     * value.
     */
    private static void half16(MemorySegment w, long blk, int h, float[] x, int col, float[] acc, int at, int sc) {
        FloatVector a0 = FloatVector.fromArray(F, acc, at);
        FloatVector a1 = FloatVector.fromArray(F, acc, at + 16);
        for (int l = 0; l < 32; l += 16) {
            IntVector qs = (IntVector) ByteVector.fromMemorySegment(B16, w, blk + 16 + 32L * h + l, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            int c = col + 128 * h + l;
            int s = sc + 8 * h + l / 16;
            FloatVector acc0 = l == 0 ? a0 : a1;
            acc0 = ((FloatVector) qs.and(3).convert(VectorOperators.I2F, 0))
                    .fma(acc[s], acc[s + 16]).fma(FloatVector.fromArray(F, x, c), acc0);
            acc0 = ((FloatVector) qs.and(12).convert(VectorOperators.I2F, 0))
                    .fma(acc[s + 2], acc[s + 18]).fma(FloatVector.fromArray(F, x, c + 32), acc0);
            acc0 = ((FloatVector) qs.and(48).convert(VectorOperators.I2F, 0))
                    .fma(acc[s + 4], acc[s + 20]).fma(FloatVector.fromArray(F, x, c + 64), acc0);
            acc0 = ((FloatVector) qs.and(192).convert(VectorOperators.I2F, 0))
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
