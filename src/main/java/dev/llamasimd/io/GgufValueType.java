package dev.llamasimd.io;

/**
 * The types a GGUF metadata value can have, with the ids the file stores and the Java type
 * {@link GgufMetadata} hands out for each.
 *
 * <p>Signed integers keep their width ({@code Byte}, {@code Short}, {@code Integer}, {@code Long}).
 * Unsigned integers are widened to the next signed type so that every value is exact and
 * non-negative: UINT8 → {@code Short}, UINT16 → {@code Integer}, UINT32 → {@code Long}. UINT64 has
 * no wider type: it is a {@code Long} holding the 64 bits, so values from 2<sup>63</sup> up read as
 * negative (use {@link Long#toUnsignedString(long)}). Arrays hold the same representation in a
 * primitive array ({@link #arrayType}), e.g. a UINT32 array is a {@code long[]}.
 */
public enum GgufValueType {
    UINT8(0, 1, Short.class, short[].class),
    INT8(1, 1, Byte.class, byte[].class),
    UINT16(2, 2, Integer.class, int[].class),
    INT16(3, 2, Short.class, short[].class),
    UINT32(4, 4, Long.class, long[].class),
    INT32(5, 4, Integer.class, int[].class),
    FLOAT32(6, 4, Float.class, float[].class),
    BOOL(7, 1, Boolean.class, boolean[].class),
    STRING(8, 8, String.class, String[].class),
    ARRAY(9, 12, GgufArray.class, GgufArray[].class),
    UINT64(10, 8, Long.class, long[].class),
    INT64(11, 8, Long.class, long[].class),
    FLOAT64(12, 8, Double.class, double[].class);

    private static final GgufValueType[] BY_ID = new GgufValueType[13];

    static {
        for (GgufValueType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    /** The id GGUF stores for this type. */
    public final int id;
    /**
     * Encoded bytes of one value: exact for numbers and BOOL, the smallest possible (an empty
     * string: its u64 length; an empty array: element type and count) for STRING and ARRAY.
     */
    public final int minBytes;
    /** The Java class of a single value of this type. */
    public final Class<?> javaType;
    /** The Java array class that holds the elements of an array of this type. */
    public final Class<?> arrayType;

    GgufValueType(int id, int minBytes, Class<?> javaType, Class<?> arrayType) {
        this.id = id;
        this.minBytes = minBytes;
        this.javaType = javaType;
        this.arrayType = arrayType;
    }

    /** The type with this id, or {@code null} if GGUF defines no such type. */
    public static GgufValueType byId(long id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
    }

    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    /** Whether {@code v} is a value of this integer type (UINT64 takes any 64 bits). */
    boolean inRange(long v) {
        return switch (this) {
            case UINT8 -> v >= 0 && v <= 0xff;
            case INT8 -> v == (byte) v;
            case UINT16 -> v >= 0 && v <= 0xffff;
            case INT16 -> v == (short) v;
            case UINT32 -> v >>> 32 == 0;
            case INT32 -> v == (int) v;
            case UINT64, INT64 -> true;
            default -> false;
        };
    }
}
