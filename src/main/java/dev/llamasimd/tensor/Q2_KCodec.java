package dev.llamasimd.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Q2_K: super-blocks of 256 values in 84 bytes, 16 sub-blocks of 16 values, each with a 4-bit
 * scale and a 4-bit min.
 *
 * <pre>
 * bytes  0..15   scales  byte s: lo nibble = scale of sub-block s, hi nibble = its min
 * bytes 16..79   qs      2-bit quants: for half h (values 128h..128h+127), byte 16 + 32h + l
 *                        holds, in bits 2k..2k+1, value 128h + 32k + l (l &lt; 32, k &lt; 4)
 * bytes 80..81   d       F16 super-block scale of the scales
 * bytes 82..83   dmin    F16 super-block scale of the mins
 * </pre>
 *
 * Dequantization: for value i in sub-block {@code s = i / 16}, {@code dl = d·(scales[s] & 0xF)}
 * and {@code ml = dmin·(scales[s] >> 4)} (float products, as ggml's {@code dequantize_row_q2_K}),
 * then {@code x = dl·q − ml} evaluated as one fused {@code Math.fma(q, dl, −ml)} (the llama-simd
 * convention: the SIMD kernels use a vector FMA there, and GCC contracts it too). {@code dl·q}
 * (F16 × 4-bit × 2-bit) is exact in float, so this is bit for bit ggml's separately rounded form.
 *
 * <p>Quantization is ggml's {@code quantize_row_q2_K_ref}: {@code make_qkx2_quants} per
 * sub-block (weights {@code |x|}, nmax 3, absolute-error search), the scales and mins quantized
 * to 4 bits against their maxima, then the quants recomputed as
 * {@code nearest_int((x + dm)/dl)} clamped to [0, 3].
 */
public final class Q2_KCodec implements Codec {
    private static final int QK_K = 256;
    private static final int BYTES = 84;
    private static final int QS = 16;
    private static final int D = 80;
    private static final int DMIN = 82;

    @Override
    public GgmlType type() {
        return GgmlType.Q2_K;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        KQuants.check(type(), n, dst, dstOff, src, offset);
        byte[] blk = new byte[BYTES];
        for (int b = 0; b < n / QK_K; b++) {
            KQuants.readBlock(src, offset, b, blk);
            float d = KQuants.f16(blk, D);
            float min = KQuants.f16(blk, DMIN);
            int y = dstOff + QK_K * b;
            int is = 0;
            int q = QS;
            for (int half = 0; half < QK_K; half += 128) {
                for (int shift = 0; shift < 8; shift += 2) {
                    for (int part = 0; part < 32; part += 16) {
                        int sc = KQuants.u8(blk, is++);
                        float dl = d * (sc & 0xF);
                        float ml = min * (sc >> 4);
                        for (int l = 0; l < 16; l++) {
                            int v = (KQuants.u8(blk, q + part + l) >> shift) & 3;
                            dst[y++] = Math.fma((float) v, dl, -ml);
                        }
                    }
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
        byte[] laux = new byte[16];
        float[] weights = new float[16];
        float[] mins = new float[QK_K / 16];
        float[] scales = new float[QK_K / 16];
        final float q4scale = 15.f;
        for (int b = 0; b < n / QK_K; b++) {
            int x = srcOff + QK_K * b;
            java.util.Arrays.fill(blk, (byte) 0);
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < QK_K / 16; ++j) {
                for (int l = 0; l < 16; ++l) {
                    weights[l] = Math.abs(src[x + 16 * j + l]);
                }
                scales[j] = KQuants.makeQkx2Quants(16, 3, src, x + 16 * j, weights, L, 16 * j, mins, j, laux,
                        -0.5f, 0.1f, 15, true);
                float scale = scales[j];
                if (scale > maxScale) {
                    maxScale = scale;
                }
                float min = mins[j];
                if (min > maxMin) {
                    maxMin = min;
                }
            }

            if (maxScale > 0) {
                float iscale = q4scale / maxScale;
                for (int j = 0; j < QK_K / 16; ++j) {
                    blk[j] = (byte) KQuants.nearestInt(iscale * scales[j]);
                }
                KQuants.putF16(blk, D, maxScale / q4scale);
            } else {
                for (int j = 0; j < QK_K / 16; ++j) {
                    blk[j] = 0;
                }
                KQuants.putF16(blk, D, 0.f);
            }
            if (maxMin > 0) {
                float iscale = q4scale / maxMin;
                for (int j = 0; j < QK_K / 16; ++j) {
                    int l = KQuants.nearestInt(iscale * mins[j]);
                    blk[j] |= (byte) (l << 4);
                }
                KQuants.putF16(blk, DMIN, maxMin / q4scale);
            } else {
                KQuants.putF16(blk, DMIN, 0.f);
            }
            float dAll = KQuants.f16(blk, D);
            float dminAll = KQuants.f16(blk, DMIN);
            for (int j = 0; j < QK_K / 16; ++j) {
                float d = dAll * (KQuants.u8(blk, j) & 0xF);
                if (d == 0) {
                    continue;
                }
                float dm = dminAll * (KQuants.u8(blk, j) >> 4);
                for (int ii = 0; ii < 16; ++ii) {
                    int l = KQuants.nearestInt((src[x + 16 * j + ii] + dm) / d);
                    l = Math.max(0, Math.min(3, l));
                    L[16 * j + ii] = (byte) l;
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
