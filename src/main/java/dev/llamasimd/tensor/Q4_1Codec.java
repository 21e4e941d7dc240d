package dev.llamasimd.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Q4_1: blocks of 32 values in 20 bytes.
 *
 * <pre>
 * bytes  0..1   d   F16 scale
 * bytes  2..3   m   F16 min (the block's smallest value)
 * bytes  4..19  qs  16 bytes of nibbles: value j (j &lt; 16) is lo(qs[j]), value j + 16 is hi(qs[j])
 * </pre>
 *
 * Dequantization: {@code x = q·d + m}, evaluated as one fused {@code Math.fma(q, d, m)} (the
 * llama-simd convention wherever ggml's {@code dequantize_row_q4_1} computes {@code x0*d + m}:
 * the SIMD kernels use a vector FMA there, and GCC contracts it too). The product of an F16 {@code d} and a 4-bit {@code q} is exact in
 * float, so this is bit for bit what ggml's separately rounded {@code x0*d + m} gives.
 *
 * <p>Quantization is ggml's {@code quantize_row_q4_1_ref}: {@code d = (max − min) / 15},
 * {@code q = min(15, (int8) ((x − min)·(1/d) + 0.5))}.
 */
public final class Q4_1Codec implements Codec {
    private static final int QK = 32;
    private static final int BYTES = 20;

    @Override
    public GgmlType type() {
        return GgmlType.Q4_1;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        KQuants.check(type(), n, dst, dstOff, src, offset);
        byte[] blk = new byte[BYTES];
        for (int b = 0; b < n / QK; b++) {
            KQuants.readBlock(src, offset, b, blk);
            float d = KQuants.f16(blk, 0);
            float m = KQuants.f16(blk, 2);
            int y = dstOff + QK * b;
            for (int j = 0; j < QK / 2; j++) {
                int q = KQuants.u8(blk, 4 + j);
                dst[y + j] = Math.fma((float) (q & 0x0F), d, m);
                dst[y + j + QK / 2] = Math.fma((float) (q >> 4), d, m);
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
            float d = (max - min) / ((1 << 4) - 1);
            float id = d != 0 ? 1.0f / d : 0.0f;
            KQuants.putF16(blk, 0, d);
            KQuants.putF16(blk, 2, min);
            for (int j = 0; j < QK / 2; j++) {
                float x0 = (src[x + j] - min) * id;
                float x1 = (src[x + QK / 2 + j] - min) * id;
                int xi0 = Math.min(15, (byte) KQuants.truncToInt(x0 + 0.5f)) & 0xff;
                int xi1 = Math.min(15, (byte) KQuants.truncToInt(x1 + 0.5f)) & 0xff;
                blk[4 + j] = (byte) (xi0 | (xi1 << 4));
            }
            KQuants.writeBlock(blk, dst, offset, b);
        }
    }
}
