package dev.llamasimd.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Q4_K: super-blocks of 256 values in 144 bytes, 8 sub-blocks of 32 values, each with a 6-bit
 * scale and a 6-bit min.
 *
 * <pre>
 * bytes  0..1    d       F16 super-block scale of the scales
 * bytes  2..3    dmin    F16 super-block scale of the mins
 * bytes  4..15   scales  12 bytes of 6-bit scales sc_j and mins m_j (ggml's get_scale_min_k4):
 *                        j &lt; 4:  sc_j = s[j] &amp; 63, m_j = s[j + 4] &amp; 63
 *                        j ≥ 4:  sc_j = lo(s[j + 4]) | (s[j − 4] &gt;&gt; 6) &lt;&lt; 4,
 *                                m_j  = hi(s[j + 4]) | (s[j] &gt;&gt; 6) &lt;&lt; 4
 * bytes 16..143  qs      4-bit quants: for pair p (values 64p..64p+63), byte 16 + 32p + l holds
 *                        value 64p + l in its low nibble and value 64p + 32 + l in its high one
 * </pre>
 *
 * Dequantization: for value i in sub-block {@code j = i / 32}, {@code d1 = d·sc_j} and
 * {@code m1 = dmin·m_j} (float products, as ggml's {@code dequantize_row_q4_K}), then
 * {@code x = d1·q − m1} evaluated as one fused {@code Math.fma(q, d1, −m1)} (the llama-simd
 * convention: the SIMD kernels use a vector FMA there, and GCC contracts it too). {@code d1·q}
 * (F16 × 6-bit × 4-bit) is exact in float, so this is bit for bit ggml's separately rounded form.
 *
 * <p>Quantization is ggml's {@code quantize_row_q4_K_ref}: {@code make_qkx2_quants} per
 * sub-block (weights {@code sqrt(mean x²) + |x|}, nmax 15, 21 candidate scales), the scales and
 * mins quantized to 6 bits against their maxima, then the quants recomputed as
 * {@code nearest_int((x + dm)/d1)} clamped to [0, 15].
 */
public final class Q4_KCodec implements Codec {
    private static final int QK_K = 256;
    private static final int BYTES = 144;
    private static final int D = 0;
    private static final int DMIN = 2;
    private static final int SCALES = 4;
    private static final int QS = 16;

    @Override
    public GgmlType type() {
        return GgmlType.Q4_K;
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
            int q = QS;
            for (int is = 0; is < 8; is += 2) {
                float d1 = d * KQuants.scaleK4(is, blk, SCALES);
                float m1 = min * KQuants.minK4(is, blk, SCALES);
                float d2 = d * KQuants.scaleK4(is + 1, blk, SCALES);
                float m2 = min * KQuants.minK4(is + 1, blk, SCALES);
                for (int l = 0; l < 32; l++) {
                    dst[y++] = Math.fma((float) (KQuants.u8(blk, q + l) & 0xF), d1, -m1);
                }
                for (int l = 0; l < 32; l++) {
                    dst[y++] = Math.fma((float) (KQuants.u8(blk, q + l) >> 4), d2, -m2);
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
        KQuants.K4Scratch scratch = new KQuants.K4Scratch();
        for (int b = 0; b < n / QK_K; b++) {
            int x = srcOff + QK_K * b;
            Arrays.fill(blk, (byte) 0);
            KQuants.quantizeScalesMinsK4(src, x, blk, L, 15, -1.f, 20, scratch);

            for (int j = 0; j < QK_K; j += 64) {
                for (int l = 0; l < 32; ++l) {
                    blk[QS + j / 2 + l] = (byte) (L[j + l] | (L[j + l + 32] << 4));
                }
            }
            KQuants.writeBlock(blk, dst, offset, b);
        }
    }
}
