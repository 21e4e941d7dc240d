package dev.llamasimd.generate;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The element type of a {@link KvCache}, fixed when the cache is made: keys and values are
 * rounded to it as they are stored, and attention reads them widened to float32. The 16-bit
 * types halve the cache's memory, and what attention reads per token, against F32.
 */
public enum CacheType {
    /** float32: keys and values exactly as computed. */
    F32(4),
    /**
     * IEEE binary16, rounded to nearest even ({@link Float#floatToFloat16}): 11 significant bits;
     * beyond ±65504 a value becomes infinite.
     */
    F16(2),
    /**
     * bfloat16, rounded to nearest even as ggml's {@code ggml_fp32_to_bf16} (NaN stays NaN):
     * 8 significant bits, float32's range.
     */
    BF16(2);

    private final int bytes;

    CacheType(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per stored value. */
    public int bytes() {
        return bytes;
    }

    /**
     * The type of this name, in any case.
     *
     * @throws IllegalArgumentException naming the known types
     */
    public static CacheType named(String name) {
        for (CacheType t : values()) {
            if (t.name().equalsIgnoreCase(name.strip())) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown KV cache type '" + name + "'; use one of " + names());
    }

    /** The type names, comma-separated: for messages and help texts. */
    public static String names() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }
}
