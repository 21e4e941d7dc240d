package dev.llamasimd.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Scalar encode/decode of one ggml type, bit-exact with ggml's reference code
 * ({@code dequantize_row_*}, {@code quantize_row_*_ref}): the definition every SIMD kernel of
 * the type is tested against, and what writes GGUF files. One implementation per type;
 * {@link Codecs#of} finds it.
 */
public interface Codec {
    /** The type this codec encodes. */
    GgmlType type();

    /**
     * Decodes {@code n} values starting at byte {@code offset} (a block start) into
     * {@code dst[dstOff..dstOff+n)}.
     *
     * @throws IllegalArgumentException if {@code n} is not a whole number of blocks
     */
    void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n);

    /**
     * Encodes {@code src[srcOff..srcOff+n)} into {@code dst} at byte {@code offset}, as ggml's
     * reference quantizer does (no importance matrix).
     *
     * @throws IllegalArgumentException if {@code n} is not a whole number of blocks
     */
    void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset);
}
