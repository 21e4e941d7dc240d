package dev.llamasimd.tensor;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** The scalar codec of every type llama-simd can encode and decode. */
public final class Codecs {
    private static final Map<GgmlType, Codec> BY_TYPE = new EnumMap<>(GgmlType.class);

    static {
        for (Codec c : List.<Codec>of(new F32Codec(), new F16Codec(), new BF16Codec(), new Q8_0Codec(),
                new Q4_0Codec(), new Q4_1Codec(), new Q5_0Codec(), new Q5_1Codec(), new Q2_KCodec(),
                new Q3_KCodec(), new Q4_KCodec(), new Q5_KCodec(), new Q6_KCodec(), new IQ4_NLCodec(),
                new IQ4_XSCodec())) {
            BY_TYPE.put(c.type(), c);
        }
    }

    private Codecs() {}

    /** The codec of {@code type}, or {@code null} if llama-simd cannot encode or decode it. */
    public static Codec find(GgmlType type) {
        return BY_TYPE.get(type);
    }

    /**
     * The codec of {@code type}.
     *
     * @throws UnsupportedOperationException naming the type and the supported ones
     */
    public static Codec of(GgmlType type) {
        Codec c = BY_TYPE.get(type);
        if (c == null) {
            throw new UnsupportedOperationException("cannot encode or decode " + type + " values (supported: "
                    + types() + ")");
        }
        return c;
    }

    /** The types with a codec, in ggml id order. */
    public static List<GgmlType> types() {
        return List.copyOf(BY_TYPE.keySet());
    }

    /** Throws unless {@code n} values are whole blocks of {@code type}. */
    static void checkBlocks(GgmlType type, int n) {
        if (n < 0 || n % type.blockSize != 0) {
            throw new IllegalArgumentException(n + " values are not whole " + type + " blocks of "
                    + type.blockSize);
        }
    }
}
