package dev.llamasimd.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Q3_K: super-blocks of 256 values in 110 bytes, 16 sub-blocks of 16 values, each with a signed
 * 6-bit scale; symmetric 3-bit quants in [−4, 3].
 *
 * <pre>
 * bytes   0..31   hmask   high bit of each quant: value i is bit i / 32 of hmask[i % 32]; a SET
 *                         bit means q = low2, a CLEAR bit means q = low2 − 4
 * bytes  32..95   qs      low 2 bits: for half h (values 128h..128h+127), byte 32 + 32h + l holds,
 *                         in bits 2k..2k+1, value 128h + 32k + l (l &lt; 32, k &lt; 4)
 * bytes  96..107  scales  12 bytes of 6-bit scales (stored + 32) for sub-blocks j = 0..15:
 *                         low 4 bits in lo(scales[j]) for j &lt; 8, hi(scales[j − 8]) for j ≥ 8;
 *                         high 2 bits in bits 2(j / 4)..2(j / 4)+1 of scales[8 + j % 4]
 * bytes 108..109  d       F16 super-block scale
 * </pre>
 *
 * Dequantization (ggml's {@code dequantize_row_q3_K}, bit-exact): for value i in sub-block
 * {@code j = i / 16}, {@code dl = d·(sc_j − 32)} (float), {@code x = dl·q}.
 *
 * <p>Quantization is ggml's {@code quantize_row_q3_K_ref}: {@code make_q3_quants} per sub-block
 * (nmax 4, with the rmse refinement), the scales quantized to 6 bits against the scale of
 * largest magnitude ({@code d = max_scale / −32}), then the quants recomputed as
 * {@code nearest_int(x / (d·sc))} clamped to [−4, 3].
 */
public final class Q3_KCodec implements Codec {
    private static final int QK_K = 256;
    private static final int BYTES = 110;
    private static final int HMASK = 0;
    private static final int QS = 32;
    private static final int SCALES = 96;
    private static final int D = 108;

    @Override
    public GgmlType type() {
        return GgmlType.Q3_K;
    }

    /** The unpacked 6-bit scale (still offset by 32) of sub-block {@code j} from the 12 scale bytes. */
    static int scale6(byte[] blk, int j) {
        int lo = j < 8 ? KQuants.u8(blk, SCALES + j) & 0xF : KQuants.u8(blk, SCALES + j - 8) >> 4;
        int hi = (KQuants.u8(blk, SCALES + 8 + j % 4) >> (2 * (j / 4))) & 3;
        return lo | hi << 4;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        KQuants.check(type(), n, dst, dstOff, src, offset);
        byte[] blk = new byte[BYTES];
        for (int b = 0; b < n / QK_K; b++) {
            KQuants.readBlock(src, offset, b, blk);
            float dAll = KQuants.f16(blk, D);
            int y = dstOff + QK_K * b;
            int is = 0;
            int q = QS;
            int m = 1;
            for (int half = 0; half < QK_K; half += 128) {
                for (int shift = 0; shift < 8; shift += 2) {
                    for (int part = 0; part < 32; part += 16) {
                        float dl = dAll * (scale6(blk, is++) - 32);
                        for (int l = 0; l < 16; l++) {
                            int low = (KQuants.u8(blk, q + part + l) >> shift) & 3;
                            int v = low - ((KQuants.u8(blk, HMASK + part + l) & m) != 0 ? 0 : 4);
                            dst[y++] = dl * v;
                        }
                    }
                    m <<= 1;
                }
                q += 32;
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        KQuants.check(type(), n, src, srcOff, dst, offset);
        byte[] blk = new byte[BYTES];
        byte[] L = new byte[QK_K];
        float[] scales = new float[QK_K / 16];
        for (int b = 0; b < n / QK_K; b++) {
            int x = srcOff + QK_K * b;
            Arrays.fill(blk, (byte) 0);
            float maxScale = 0;
            float amax = 0;
            for (int j = 0; j < QK_K / 16; ++j) {
                scales[j] = KQuants.makeQ3Quants(16, 4, src, x + 16 * j, L, 16 * j, true);
                float scale = Math.abs(scales[j]);
                if (scale > amax) {
                    amax = scale;
                    maxScale = scales[j];
                }
            }

            if (maxScale != 0) {
                float iscale = -32.f / maxScale;
                for (int j = 0; j < QK_K / 16; ++j) {
                    byte l = (byte) KQuants.nearestInt(iscale * scales[j]);
                    l = (byte) (Math.max(-32, Math.min(31, l)) + 32);
                    if (j < 8) {
                        blk[SCALES + j] = (byte) (l & 0xF);
                    } else {
                        blk[SCALES + j - 8] |= (byte) ((l & 0xF) << 4);
                    }
                    l >>= 4;
                    blk[SCALES + j % 4 + 8] |= (byte) (l << (2 * (j / 4)));
                }
                KQuants.putF16(blk, D, 1 / iscale);
            } else {
                KQuants.putF16(blk, D, 0.f);
            }

            float dAll = KQuants.f16(blk, D);
            for (int j = 0; j < QK_K / 16; ++j) {
                byte sc = (byte) (scale6(blk, j) - 32);
                float d = dAll * sc;
                if (d == 0) {
                    continue;
                }
                for (int ii = 0; ii < 16; ++ii) {
                    int l = KQuants.nearestInt(src[x + 16 * j + ii] / d);
                    l = Math.max(-4, Math.min(3, l));
                    L[16 * j + ii] = (byte) (l + 4);
                }
            }

            int m = 0;
            int hm = 1;
            for (int j = 0; j < QK_K; ++j) {
                if (L[j] > 3) {
                    blk[HMASK + m] |= (byte) hm;
                    L[j] -= 4;
                }
                if (++m == QK_K / 8) {
                    m = 0;
                    hm <<= 1;
                }
            }
            for (int j = 0; j < QK_K; j += 128) {
                for (int l = 0; l < 32; ++l) {
                    blk[QS + j / 4 + l] = (byte) (L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4)
                            | (L[j + l + 96] << 6));
                }
            }
            KQuants.writeBlock(blk, dst, offset, b);
        }
    }
}
