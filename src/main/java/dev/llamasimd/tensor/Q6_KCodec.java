package dev.llamasimd.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Q6_K: super-blocks of 256 values in 210 bytes, 16 sub-blocks of 16 values, each with a signed
 * 8-bit scale; symmetric 6-bit quants in [−32, 31].
 *
 * <pre>
 * bytes    0..127  ql      low 4 bits: for half h (values 128h..128h+127) and l &lt; 32, byte
 *                          64h + l holds value 128h + l (lo nibble) and 128h + 64 + l (hi nibble),
 *                          byte 64h + 32 + l holds 128h + 32 + l (lo) and 128h + 96 + l (hi)
 * bytes  128..191  qh      high 2 bits: byte 128 + 32h + l holds, in bits 2k..2k+1, value
 *                          128h + 32k + l (k &lt; 4)
 * bytes  192..207  scales  int8 scale of each 16-value sub-block
 * bytes  208..209  d       F16 super-block scale
 * </pre>
 *
 * Dequantization (ggml's {@code dequantize_row_q6_K}, bit-exact): for value i in sub-block
 * {@code s = i / 16}, {@code x = (d·scales[s])·(q − 32)}, evaluated left to right in float as ggml
 * writes {@code d * sc[is] * q}.
 *
 * <p>Quantization is ggml's {@code quantize_row_q6_K_ref}: {@code make_qx_quants} per sub-block
 * (nmax 32, rmse type 1), the scales quantized to int8 against the scale of largest magnitude
 * ({@code d = max_scale / −128}), then the quants recomputed as {@code nearest_int(x / (d·sc))}
 * clamped to [−32, 31]; a super-block whose scales are all below {@code GROUP_MAX_EPS} is all
 * zero bytes.
 */
public final class Q6_KCodec implements Codec {
    private static final int QK_K = 256;
    private static final int BYTES = 210;
    private static final int QL = 0;
    private static final int QH = 128;
    private static final int SCALES = 192;
    private static final int D = 208;

    @Override
    public GgmlType type() {
        return GgmlType.Q6_K;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        KQuants.check(type(), n, dst, dstOff, src, offset);
        byte[] blk = new byte[BYTES];
        for (int b = 0; b < n / QK_K; b++) {
            KQuants.readBlock(src, offset, b, blk);
            float d = KQuants.f16(blk, D);
            int y = dstOff + QK_K * b;
            int ql = QL;
            int qh = QH;
            int sc = SCALES;
            for (int half = 0; half < QK_K; half += 128) {
                for (int l = 0; l < 32; ++l) {
                    int is = l / 16;
                    int h = KQuants.u8(blk, qh + l);
                    int lo0 = KQuants.u8(blk, ql + l);
                    int lo1 = KQuants.u8(blk, ql + l + 32);
                    int q1 = ((lo0 & 0xF) | (((h >> 0) & 3) << 4)) - 32;
                    int q2 = ((lo1 & 0xF) | (((h >> 2) & 3) << 4)) - 32;
                    int q3 = ((lo0 >> 4) | (((h >> 4) & 3) << 4)) - 32;
                    int q4 = ((lo1 >> 4) | (((h >> 6) & 3) << 4)) - 32;
                    dst[y + l] = d * blk[sc + is] * q1;
                    dst[y + l + 32] = d * blk[sc + is + 2] * q2;
                    dst[y + l + 64] = d * blk[sc + is + 4] * q3;
                    dst[y + l + 96] = d * blk[sc + is + 6] * q4;
                }
                y += 128;
                ql += 64;
                qh += 32;
                sc += 8;
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
            float maxAbsScale = 0;
            for (int ib = 0; ib < QK_K / 16; ++ib) {
                float scale = KQuants.makeQxQuants(16, 32, src, x + 16 * ib, L, 16 * ib, 1);
                scales[ib] = scale;
                float absScale = Math.abs(scale);
                if (absScale > maxAbsScale) {
                    maxAbsScale = absScale;
                    maxScale = scale;
                }
            }

            if (maxAbsScale < KQuants.GROUP_MAX_EPS) {
                // all zero bytes (d = +0)
                KQuants.writeBlock(blk, dst, offset, b);
                continue;
            }

            float iscale = -128.f / maxScale;
            KQuants.putF16(blk, D, 1 / iscale);
            for (int ib = 0; ib < QK_K / 16; ++ib) {
                blk[SCALES + ib] = (byte) Math.min(127, KQuants.nearestInt(iscale * scales[ib]));
            }

            float dAll = KQuants.f16(blk, D);
            for (int j = 0; j < QK_K / 16; ++j) {
                float d = dAll * blk[SCALES + j];
                if (d == 0) {
                    continue;
                }
                for (int ii = 0; ii < 16; ++ii) {
                    int l = KQuants.nearestInt(src[x + 16 * j + ii] / d);
                    l = Math.max(-32, Math.min(31, l));
                    L[16 * j + ii] = (byte) (l + 32);
                }
            }

            int ql = QL;
            int qh = QH;
            for (int j = 0; j < QK_K; j += 128) {
                for (int l = 0; l < 32; ++l) {
                    int q1 = L[j + l] & 0xF;
                    int q2 = L[j + l + 32] & 0xF;
                    int q3 = L[j + l + 64] & 0xF;
                    int q4 = L[j + l + 96] & 0xF;
                    blk[ql + l] = (byte) (q1 | (q3 << 4));
                    blk[ql + l + 32] = (byte) (q2 | (q4 << 4));
                    blk[qh + l] = (byte) ((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2)
                            | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
                }
                ql += 64;
                qh += 32;
            }
            KQuants.writeBlock(blk, dst, offset, b);
        }
    }
}
