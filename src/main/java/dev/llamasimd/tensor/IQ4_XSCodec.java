package dev.llamasimd.tensor;

import java.lang.foreign.MemorySegment;

/**
 * IQ4_XS: super-blocks of 256 values in 136 bytes, 8 blocks of 32 values with a 6-bit scale each,
 * 4-bit indices into the IQ4_NL levels
 * {@code kvalues_iq4nl = {−127, −104, −83, −65, −49, −35, −22, −10, 1, 13, 25, 38, 53, 69, 89, 113}}.
 *
 * <pre>
 * bytes   0..1    d         F16 super-block scale
 * bytes   2..3    scales_h  16-bit little-endian: bits 2b..2b+1 are the high 2 bits of block b's scale
 * bytes   4..7    scales_l  low 4 bits of block b's scale in lo(scales_l[b / 2]) (b even) or hi (b odd)
 * bytes   8..135  qs        per block b, 16 bytes at 8 + 16b: value 32b + j (j &lt; 16) is lo(qs[j]),
 *                           value 32b + 16 + j is hi(qs[j])
 * </pre>
 *
 * Dequantization (ggml's {@code dequantize_row_iq4_xs}, bit-exact): {@code ls} is block b's
 * 6-bit scale, {@code dl = d·(ls − 32)} (float), {@code x = dl·kvalues[q]}.
 *
 * <p>Quantization is what llama-quantize runs without an importance matrix, ggml's
 * {@code quantize_iq4_xs} with {@code quant_weights = NULL}: {@code quantize_row_iq4_nl_impl}
 * with weights {@code x²} and {@code ntry = 7} per block, the block scales quantized to 6 bits
 * against {@code d = max_scale / −32}, then each block's indices redone against {@code d·l}.
 */
public final class IQ4_XSCodec implements Codec {
    private static final int QK_K = 256;
    private static final int BYTES = 136;
    private static final int D = 0;
    private static final int SCALES_H = 2;
    private static final int SCALES_L = 4;
    private static final int QS = 8;

    @Override
    public GgmlType type() {
        return GgmlType.IQ4_XS;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        KQuants.check(type(), n, dst, dstOff, src, offset);
        byte[] blk = new byte[BYTES];
        byte[] kv = KQuants.KVALUES_IQ4NL;
        for (int b = 0; b < n / QK_K; b++) {
            KQuants.readBlock(src, offset, b, blk);
            float d = KQuants.f16(blk, D);
            int scalesH = KQuants.u8(blk, SCALES_H) | KQuants.u8(blk, SCALES_H + 1) << 8;
            int y = dstOff + QK_K * b;
            for (int ib = 0; ib < QK_K / 32; ++ib) {
                int ls = ((KQuants.u8(blk, SCALES_L + ib / 2) >> 4 * (ib % 2)) & 0xf)
                        | (((scalesH >> 2 * ib) & 3) << 4);
                float dl = d * (ls - 32);
                int qs = QS + 16 * ib;
                for (int j = 0; j < 16; ++j) {
                    int q = KQuants.u8(blk, qs + j);
                    dst[y + j] = dl * kv[q & 0xf];
                    dst[y + j + 16] = dl * kv[q >> 4];
                }
                y += 32;
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        KQuants.check(type(), n, src, srcOff, dst, offset);
        byte[] blk = new byte[BYTES];
        for (int b = 0; b < n / QK_K; b++) {
            KQuants.quantizeIq4NlImpl(QK_K, src, srcOff + QK_K * b, blk, D, QS, SCALES_H, SCALES_L, 7);
            KQuants.writeBlock(blk, dst, offset, b);
        }
    }
}
