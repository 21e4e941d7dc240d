package dev.llamasimd.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Q5_0: blocks of 32 values in 22 bytes.
 *
 * <pre>
 * bytes  0..1   d   F16 scale
 * bytes  2..5   qh  32-bit little-endian word: bit j is the 5th (high) bit of value j
 * bytes  6..21  qs  16 bytes of nibbles: low 4 bits of value j (j &lt; 16) in lo(qs[j]),
 *                   of value j + 16 in hi(qs[j])
 * </pre>
 *
 * Dequantization (ggml's {@code dequantize_row_q5_0}, bit-exact): {@code x = (q − 16)·d} with
 * the 5-bit {@code q = nibble | (qh bit) << 4}.
 *
 * <p>Quantization is ggml's {@code quantize_row_q5_0_ref}: {@code d = x_max / −16} where
 * {@code x_max} is the value of largest magnitude, {@code q = min(31, (int8) (x·(1/d) + 16.5))}.
 */
public final class Q5_0Codec implements Codec {
    private static final int QK = 32;
    private static final int BYTES = 22;

    @Override
    public GgmlType type() {
        return GgmlType.Q5_0;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        KQuants.check(type(), n, dst, dstOff, src, offset);
        byte[] blk = new byte[BYTES];
        for (int b = 0; b < n / QK; b++) {
            KQuants.readBlock(src, offset, b, blk);
            float d = KQuants.f16(blk, 0);
            int qh = KQuants.u8(blk, 2) | KQuants.u8(blk, 3) << 8 | KQuants.u8(blk, 4) << 16 | KQuants.u8(blk, 5) << 24;
            int y = dstOff + QK * b;
            for (int j = 0; j < QK / 2; j++) {
                int xh0 = ((qh >>> j) << 4) & 0x10;
                int xh1 = (qh >>> (j + 12)) & 0x10;
                int q = KQuants.u8(blk, 6 + j);
                int x0 = ((q & 0x0F) | xh0) - 16;
                int x1 = ((q >> 4) | xh1) - 16;
                dst[y + j] = x0 * d;
                dst[y + j + QK / 2] = x1 * d;
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        KQuants.check(type(), n, src, srcOff, dst, offset);
        byte[] blk = new byte[BYTES];
        for (int b = 0; b < n / QK; b++) {
            int x = srcOff + QK * b;
            float amax = 0.0f;
            float max = 0.0f;
            for (int j = 0; j < QK; j++) {
                float v = src[x + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -16;
            float id = d != 0 ? 1.0f / d : 0.0f;
            KQuants.putF16(blk, 0, d);
            int qh = 0;
            for (int j = 0; j < QK / 2; j++) {
                float x0 = src[x + j] * id;
                float x1 = src[x + QK / 2 + j] * id;
                int xi0 = Math.min(31, (byte) KQuants.truncToInt(x0 + 16.5f)) & 0xff;
                int xi1 = Math.min(31, (byte) KQuants.truncToInt(x1 + 16.5f)) & 0xff;
                blk[6 + j] = (byte) ((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
                qh |= ((xi0 & 0x10) >>> 4) << j;
                qh |= ((xi1 & 0x10) >>> 4) << (j + QK / 2);
            }
            blk[2] = (byte) qh;
            blk[3] = (byte) (qh >>> 8);
            blk[4] = (byte) (qh >>> 16);
            blk[5] = (byte) (qh >>> 24);
            KQuants.writeBlock(blk, dst, offset, b);
        }
    }
}
