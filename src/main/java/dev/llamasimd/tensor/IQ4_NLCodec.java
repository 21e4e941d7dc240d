package dev.llamasimd.tensor;

import java.lang.foreign.MemorySegment;

/**
 * IQ4_NL: blocks of 32 values in 18 bytes, 4-bit indices into the 16 non-linear levels
 * {@code kvalues_iq4nl = {−127, −104, −83, −65, −49, −35, −22, −10, 1, 13, 25, 38, 53, 69, 89, 113}}.
 *
 * <pre>
 * bytes  0..1   d   F16 scale
 * bytes  2..17  qs  16 bytes of nibbles: value j (j &lt; 16) is lo(qs[j]), value j + 16 is hi(qs[j])
 * </pre>
 *
 * Dequantization (ggml's {@code dequantize_row_iq4_nl}, bit-exact): {@code x = d·kvalues[q]}.
 *
 * <p>Quantization is what llama-quantize runs without an importance matrix, ggml's
 * {@code quantize_iq4_nl} with {@code quant_weights = NULL}: {@code quantize_row_iq4_nl_impl}
 * with weights {@code x²} and {@code ntry = 7} (a search over 15 candidate scales around
 * {@code x_max / −127}, then the indices redone against the F16-unrounded best scale). Note this
 * is not {@code quantize_row_iq4_nl_ref}, which passes {@code ntry = −1}.
 */
public final class IQ4_NLCodec implements Codec {
    private static final int QK = 32;
    private static final int BYTES = 18;

    @Override
    public GgmlType type() {
        return GgmlType.IQ4_NL;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        KQuants.check(type(), n, dst, dstOff, src, offset);
        byte[] blk = new byte[BYTES];
        byte[] kv = KQuants.KVALUES_IQ4NL;
        for (int b = 0; b < n / QK; b++) {
            KQuants.readBlock(src, offset, b, blk);
            float d = KQuants.f16(blk, 0);
            int y = dstOff + QK * b;
            for (int j = 0; j < QK / 2; j++) {
                int q = KQuants.u8(blk, 2 + j);
                dst[y + j] = d * kv[q & 0xf];
                dst[y + j + QK / 2] = d * kv[q >> 4];
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        KQuants.check(type(), n, src, srcOff, dst, offset);
        byte[] blk = new byte[BYTES];
        for (int b = 0; b < n / QK; b++) {
            KQuants.quantizeIq4NlImpl(QK, src, srcOff + QK * b, blk, 0, 2, -1, -1, 7);
            KQuants.writeBlock(blk, dst, offset, b);
        }
    }
}
