package dev.llamasimd.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Q5_K: super-blocks of 256 values in 176 bytes, 8 sub-blocks of 32 values, each with a 6-bit
 * scale and a 6-bit min.
 *
 * <pre>
 * bytes   0..1    d       F16 super-block scale of the scales
 * bytes   2..3    dmin    F16 super-block scale of the mins
 * bytes   4..15   scales  12 bytes of 6-bit scales and mins, packed as in Q4_K (get_scale_min_k4)
 * bytes  16..47   qh      5th bits: value 64p + l has its high bit in bit 2p of qh[l],
 *                         value 64p + 32 + l in bit 2p + 1 (p &lt; 4, l &lt; 32)
 * bytes  48..175  qs      low 4 bits: byte 48 + 32p + l holds value 64p + l in its low nibble
 *                         and value 64p + 32 + l in its high one
 * </pre>
 *
 * Dequantization: for value i in sub-block {@code j = i / 32}, {@code d1 = d·sc_j} and
 * {@code m1 = dmin·m_j} (float products, as ggml's {@code dequantize_row_q5_K}), then
 * {@code x = d1·q − m1} with the 5-bit {@code q}, evaluated as one fused
 * {@code Math.fma(q, d1, −m1)} (the llama-simd convention: the SIMD kernels use a vector FMA
 * there, and GCC contracts it too). {@code d1·q} (F16 × 6-bit × 5-bit) is exact in float, so
 * this is bit for bit ggml's separately rounded form.
 *
 * <p>Quantization is ggml's {@code quantize_row_q5_K_ref}: {@code make_qkx2_quants} per
 * sub-block (weights {@code sqrt(mean x²) + |x|}, nmax 31, 16 candidate scales), the scales and
 * mins quantized to 6 bits against their maxima, then the quants recomputed as
 * {@code nearest_int((x + dm)/d1)} clamped to [0, 31].
 */
public final class Q5_KCodec implements Codec {
    private static final int QK_K = 256;
    private static final int BYTES = 176;
    private static final int D = 0;
    private static final int DMIN = 2;
    private static final int SCALES = 4;
    private static final int QH = 16;
    private static final int QS = 48;

    @Override
    public GgmlType type() {
        return GgmlType.Q5_K;
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
            int ql = QS;
            int u1 = 1;
            int u2 = 2;
            for (int is = 0; is < 8; is += 2) {
                float d1 = d * KQuants.scaleK4(is, blk, SCALES);
                float m1 = min * KQuants.minK4(is, blk, SCALES);
                float d2 = d * KQuants.scaleK4(is + 1, blk, SCALES);
                float m2 = min * KQuants.minK4(is + 1, blk, SCALES);
                for (int l = 0; l < 32; l++) {
                    int q = (KQuants.u8(blk, ql + l) & 0xF) + ((KQuants.u8(blk, QH + l) & u1) != 0 ? 16 : 0);
                    dst[y++] = Math.fma((float) q, d1, -m1);
                }
                for (int l = 0; l < 32; l++) {
                    int q = (KQuants.u8(blk, ql + l) >> 4) + ((KQuants.u8(blk, QH + l) & u2) != 0 ? 16 : 0);
                    dst[y++] = Math.fma((float) q, d2, -m2);
                }
                ql += 32;
                u1 <<= 2;
                u2 <<= 2;
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        KQuants.check(type(), n, src, srcOff, dst, offset);
        byte[] blk = new byte[BYTES];
        byte[] L = new byte[QK_K];
        KQuants.K4Scratch scratch = new KQuants.K4Scratch();
        for (int b = 0; b < n / QK_K; b++) {
            int x = srcOff + QK_K * b;
            Arrays.fill(blk, (byte) 0);
            KQuants.quantizeScalesMinsK4(src, x, blk, L, 31, -0.5f, 15, scratch);

            int m1 = 1;
            int m2 = 2;
            for (int p = 0; p < QK_K; p += 64) {
                int ql = QS + p / 2;
                for (int j = 0; j < 32; ++j) {
                    int l1 = L[p + j];
                    if (l1 > 15) {
                        l1 -= 16;
                        blk[QH + j] |= (byte) m1;
                    }
                    int l2 = L[p + j + 32];
                    if (l2 > 15) {
                        l2 -= 16;
                        blk[QH + j] |= (byte) m2;
                    }
                    blk[ql + j] = (byte) (l1 | (l2 << 4));
                }
                m1 <<= 2;
                m2 <<= 2;
            }
            KQuants.writeBlock(blk, dst, offset, b);
        }
    }
}
