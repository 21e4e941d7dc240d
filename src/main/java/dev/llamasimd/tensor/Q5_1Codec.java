package dev.llamasimd.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Q5_1: blocks of 32 values in 24 bytes.
 *
 * <pre>
 * bytes  0..1   d   F16 scale
 * bytes  2..3   m   F16 min (the block's smallest value)
 * bytes  4..7   qh  32-bit little-endian word: bit j is the 5th (high) bit of value j
 * bytes  8..23  qs  16 bytes of nibbles: low 4 bits of value j (j &lt; 16) in lo(qs[j]),
 *                   of value j + 16 in hi(qs[j])
 * </pre>
 *
 * Dequantization: {@code x = q·d + m} with the 5-bit {@code q = nibble | (qh bit) << 4},
 * evaluated as one fused {@code Math.fma(q, d, m)} (the llama-simd convention wherever ggml's
 * {@code dequantize_row_q5_1} computes {@code x0*d + m}: the SIMD kernels use a vector FMA there,
 * and GCC contracts it too). The product of an F16 {@code d} and a 5-bit {@code q} is exact in
 * float, so this is bit for bit what ggml's separately rounded {@code x0*d + m} gives.
 *
 * <p>Quantization is ggml's {@code quantize_row_q5_1_ref}: {@code d = (max − min) / 31},
 * {@code q = (uint8) ((x − min)·(1/d) + 0.5)}.
 */
public final class Q5_1Codec implements Codec {
    private static final int QK = 32;
    private static final int BYTES = 24;

    @Override
    public GgmlType type() {
        return GgmlType.Q5_1;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        KQuants.check(type(), n, dst, dstOff, src, offset);
        byte[] blk = new byte[BYTES];
        for (int b = 0; b < n / QK; b++) {
            KQuants.readBlock(src, offset, b, blk);
            float d = KQuants.f16(blk, 0);
            float m = KQuants.f16(blk, 2);
            int qh = KQuants.u8(blk, 4) | KQuants.u8(blk, 5) << 8 | KQuants.u8(blk, 6) << 16 | KQuants.u8(blk, 7) << 24;
            int y = dstOff + QK * b;
            for (int j = 0; j < QK / 2; j++) {
                int xh0 = ((qh >>> j) << 4) & 0x10;
                int xh1 = (qh >>> (j + 12)) & 0x10;
                int q = KQuants.u8(blk, 8 + j);
                int x0 = (q & 0x0F) | xh0;
                int x1 = (q >> 4) | xh1;
                dst[y + j] = Math.fma((float) x0, d, m);
                dst[y + j + QK / 2] = Math.fma((float) x1, d, m);
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        KQuants.check(type(), n, src, srcOff, dst, offset);
        byte[] blk = new byte[BYTES];
        for (int b = 0; b < n / QK; b++) {
            int x = srcOff + QK * b;
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (int j = 0; j < QK; j++) {
                float v = src[x + j];
                if (v < min) {
                    min = v;
                }
                if (v > max) {
                    max = v;
                }
            }
            float d = (max - min) / ((1 << 5) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            KQuants.putF16(blk, 0, d);
            KQuants.putF16(blk, 2, min);
            int qh = 0;
            for (int j = 0; j < QK / 2; j++) {
                float x0 = (src[x + j] - min) * id;
                float x1 = (src[x + QK / 2 + j] - min) * id;
                int xi0 = KQuants.truncToInt(x0 + 0.5f) & 0xff;
                int xi1 = KQuants.truncToInt(x1 + 0.5f) & 0xff;
                blk[8 + j] = (byte) ((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
                qh |= ((xi0 & 0x10) >>> 4) << j;
                qh |= ((xi1 & 0x10) >>> 4) << (j + QK / 2);
            }
            blk[4] = (byte) qh;
            blk[5] = (byte) (qh >>> 8);
            blk[6] = (byte) (qh >>> 16);
            blk[7] = (byte) (qh >>> 24);
            KQuants.writeBlock(blk, dst, offset, b);
        }
    }
}
