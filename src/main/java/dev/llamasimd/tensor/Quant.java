package dev.llamasimd.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Helpers shared by the scalar {@link Codec}s (little-endian layouts, bfloat16 and C rounding),
 * and encode/decode by type through {@link Codecs}.
 */
public final class Quant {
    public static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfFloat FLOAT_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Quant() {}

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** float → bfloat16, round to nearest even (NaN stays NaN), as ggml's {@code ggml_fp32_to_bf16}. */
    public static short floatToBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fffffff) > 0x7f800000) {
            return (short) ((u >>> 16) | 64);
        }
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }

    /** Decodes {@code n} values of {@code type} starting at byte {@code offset} (a block start): {@link Codecs#of}'s codec. */
    public static void dequantize(GgmlType type, MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        Codecs.of(type).dequantize(src, offset, dst, dstOff, n);
    }

    /** Encodes {@code n} floats as {@code type} into {@code dst} at byte {@code offset}: {@link Codecs#of}'s codec. */
    public static void quantize(GgmlType type, float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        Codecs.of(type).quantize(src, srcOff, n, dst, offset);
    }

    /** C's {@code roundf}: to the nearest integer, halves away from zero (infinities and NaN unchanged). */
    static float roundf(float v) {
        return Math.copySign((float) Math.floor(Math.abs((double) v) + 0.5), v);
    }
}
