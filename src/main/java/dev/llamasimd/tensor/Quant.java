package dev.llamasimd.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Scalar encode/decode of the value types the runtime computes with, bit-exact with ggml's
 * reference code ({@code quantize_row_*_ref}, {@code dequantize_row_*}). Used to dequantize
 * embedding rows, to write GGUF files, and as the ground truth the SIMD kernels are tested against.
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

    /** Decodes {@code n} values of {@code type} starting at byte {@code offset} (a block start). */
    public static void dequantize(GgmlType type, MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        switch (type) {
            case F32 -> MemorySegment.copy(src, FLOAT_LE, offset, dst, dstOff, n);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    dst[dstOff + i] = Float.float16ToFloat(src.get(SHORT_LE, offset + 2L * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    dst[dstOff + i] = bf16ToFloat(src.get(SHORT_LE, offset + 2L * i));
                }
            }
            case Q8_0 -> {
                checkBlocks(type, n);
                for (int b = 0; b < n / 32; b++) {
                    long blk = offset + 34L * b;
                    float d = Float.float16ToFloat(src.get(SHORT_LE, blk));
                    for (int j = 0; j < 32; j++) {
                        dst[dstOff + 32 * b + j] = d * src.get(ValueLayout.JAVA_BYTE, blk + 2 + j);
                    }
                }
            }
            case Q4_0 -> {
                checkBlocks(type, n);
                for (int b = 0; b < n / 32; b++) {
                    long blk = offset + 18L * b;
                    float d = Float.float16ToFloat(src.get(SHORT_LE, blk));
                    for (int j = 0; j < 16; j++) {
                        int q = src.get(ValueLayout.JAVA_BYTE, blk + 2 + j) & 0xff;
                        dst[dstOff + 32 * b + j] = d * ((q & 0x0f) - 8);
                        dst[dstOff + 32 * b + j + 16] = d * ((q >>> 4) - 8);
                    }
                }
            }
            default -> throw new UnsupportedOperationException("cannot decode " + type + " values");
        }
    }

    /** Encodes {@code n} floats as {@code type} into {@code dst} at byte {@code offset}. */
    public static void quantize(GgmlType type, float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        switch (type) {
            case F32 -> MemorySegment.copy(src, srcOff, dst, FLOAT_LE, offset, n);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    dst.set(SHORT_LE, offset + 2L * i, Float.floatToFloat16(src[srcOff + i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    dst.set(SHORT_LE, offset + 2L * i, floatToBf16(src[srcOff + i]));
                }
            }
            case Q8_0 -> {
                checkBlocks(type, n);
                for (int b = 0; b < n / 32; b++) {
                    int s = srcOff + 32 * b;
                    long blk = offset + 34L * b;
                    float amax = 0;
                    for (int j = 0; j < 32; j++) {
                        amax = Math.max(amax, Math.abs(src[s + j]));
                    }
                    float d = amax / 127f;
                    float id = d != 0 ? 1f / d : 0f;
                    dst.set(SHORT_LE, blk, Float.floatToFloat16(d));
                    for (int j = 0; j < 32; j++) {
                        dst.set(ValueLayout.JAVA_BYTE, blk + 2 + j, (byte) roundHalfAway(src[s + j] * id));
                    }
                }
            }
            case Q4_0 -> {
                checkBlocks(type, n);
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
                    dst.set(SHORT_LE, blk, Float.floatToFloat16(d));
                    for (int j = 0; j < 16; j++) {
                        int x0 = Math.min(15, (byte) (src[s + j] * id + 8.5f));
                        int x1 = Math.min(15, (byte) (src[s + j + 16] * id + 8.5f));
                        dst.set(ValueLayout.JAVA_BYTE, blk + 2 + j, (byte) (x0 | (x1 << 4)));
                    }
                }
            }
            default -> throw new UnsupportedOperationException("cannot encode " + type + " values");
        }
    }

    /** C's {@code roundf}: halves away from zero. */
    static int roundHalfAway(float v) {
        double a = Math.floor(Math.abs((double) v) + 0.5);
        return (int) (v < 0 ? -a : a);
    }

    private static void checkBlocks(GgmlType type, int n) {
        if (n % type.blockSize != 0) {
            throw new IllegalArgumentException(n + " values are not whole " + type + " blocks");
        }
    }
}
