package dev.llamasimd.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q8_0: blocks of 32 values in 34 bytes, an F16 scale {@code d} then 32 signed bytes {@code q};
 * value {@code j} is {@code d · q[j]}. Encoded as ggml's {@code quantize_row_q8_0_ref}:
 * {@code d = max|x| / 127}, {@code q = roundf(x / d)} stored as C on x86 stores it (a block of
 * subnormals, whose {@code 1/d} overflows, gets the low byte of x86's "integer indefinite", 0).
 */
public final class Q8_0Codec implements Codec {
    @Override
    public GgmlType type() {
        return GgmlType.Q8_0;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        Codecs.checkBlocks(type(), n);
        for (int b = 0; b < n / 32; b++) {
            long blk = offset + 34L * b;
            float d = Float.float16ToFloat(src.get(Quant.SHORT_LE, blk));
            for (int j = 0; j < 32; j++) {
                dst[dstOff + 32 * b + j] = d * src.get(ValueLayout.JAVA_BYTE, blk + 2 + j);
            }
        }
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        Codecs.checkBlocks(type(), n);
        for (int b = 0; b < n / 32; b++) {
            int s = srcOff + 32 * b;
            long blk = offset + 34L * b;
            float amax = 0;
            for (int j = 0; j < 32; j++) {
                amax = Math.max(amax, Math.abs(src[s + j]));
            }
            float d = amax / 127f;
            float id = d != 0 ? 1f / d : 0f;
            dst.set(Quant.SHORT_LE, blk, Float.floatToFloat16(d));
            for (int j = 0; j < 32; j++) {
                dst.set(ValueLayout.JAVA_BYTE, blk + 2 + j, (byte) KQuants.truncToInt(Quant.roundf(src[s + j] * id)));
            }
        }
    }
}
