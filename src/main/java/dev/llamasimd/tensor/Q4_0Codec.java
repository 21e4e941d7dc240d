package dev.llamasimd.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q4_0: blocks of 32 values in 18 bytes, an F16 scale {@code d} then 16 bytes of nibbles; value
 * {@code j < 16} is {@code d · (lo(q[j]) − 8)}, value {@code j + 16} is {@code d · (hi(q[j]) − 8)}.
 * Encoded as ggml's {@code quantize_row_q4_0_ref}: {@code d = x_max / −8} where {@code x_max} is
 * the value of largest magnitude, {@code q = min(15, (int8) (x / d + 8.5))} with C's conversion as
 * x86 executes it ({@link KQuants#truncToInt}).
 */
public final class Q4_0Codec implements Codec {
    @Override
    public GgmlType type() {
        return GgmlType.Q4_0;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        Codecs.checkBlocks(type(), n);
        for (int b = 0; b < n / 32; b++) {
            long blk = offset + 18L * b;
            float d = Float.float16ToFloat(src.get(Quant.SHORT_LE, blk));
            for (int j = 0; j < 16; j++) {
                int q = src.get(ValueLayout.JAVA_BYTE, blk + 2 + j) & 0xff;
                dst[dstOff + 32 * b + j] = d * ((q & 0x0f) - 8);
                dst[dstOff + 32 * b + j + 16] = d * ((q >>> 4) - 8);
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        Codecs.checkBlocks(type(), n);
        for (int b = 0; b < n / 32; b++) {
            int s = srcOff + 32 * b;
            long blk = offset + 18L * b;
            float amax = 0;
            float max = 0;
            for (int j = 0; j < 32; j++) {
                float v = src[s + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8f;
            float id = d != 0 ? 1f / d : 0f;
            dst.set(Quant.SHORT_LE, blk, Float.floatToFloat16(d));
            for (int j = 0; j < 16; j++) {
                int x0 = Math.min(15, (byte) KQuants.truncToInt(src[s + j] * id + 8.5f));
                int x1 = Math.min(15, (byte) KQuants.truncToInt(src[s + j + 16] * id + 8.5f));
                dst.set(ValueLayout.JAVA_BYTE, blk + 2 + j, (byte) (x0 | (x1 << 4)));
            }
        }
    }
}
