package dev.llamasimd.io;

import java.lang.reflect.Array;
import java.util.Arrays;
import java.util.Objects;
import java.util.StringJoiner;

/**
 * A GGUF array value: the element type and the elements, held in the Java array that
 * {@link GgufValueType#arrayType} names ({@code String[]} for STRING, {@code long[]} for UINT32,
 * {@code GgufArray[]} for an array of arrays, whose elements may each have their own element type).
 * The Java array is shared, not copied: treat it as read-only. Equality compares the elements.
 *
 * @param elementType the type of every element
 * @param values the elements, an instance of {@code elementType.arrayType}
 */
public record GgufArray(GgufValueType elementType, Object values) {

    /** The deepest nesting of arrays a file may have (an array of scalars has depth 1). */
    public static final int MAX_DEPTH = 8;

    private static final int PREVIEW = 8;

    /**
     * @throws IllegalArgumentException if {@code values} is not an {@code elementType.arrayType},
     *     holds a null, or holds an unsigned value out of range (e.g. 256 in a UINT8 array)
     */
    public GgufArray {
        Objects.requireNonNull(elementType, "elementType");
        if (!elementType.arrayType.isInstance(values)) {
            throw new IllegalArgumentException("a " + elementType + " array holds a " + elementType.arrayType.getSimpleName()
                    + ", not " + (values == null ? "null" : "a " + values.getClass().getSimpleName()));
        }
        switch (values) {
            case short[] a -> {
                for (short v : a) {
                    requireInRange(elementType, v);
                }
            }
            case int[] a -> {
                for (int v : a) {
                    requireInRange(elementType, v);
                }
            }
            case long[] a -> {
                for (long v : a) {
                    requireInRange(elementType, v);
                }
            }
            case Object[] a -> {
                if (Arrays.asList(a).contains(null)) {
                    throw new IllegalArgumentException("null element in a " + elementType + " array");
                }
            }
            default -> { } // byte[], float[], double[], boolean[]: every value is valid
        }
    }

    private static void requireInRange(GgufValueType type, long v) {
        if (!type.inRange(v)) {
            throw new IllegalArgumentException(v + " is not a " + type + " value");
        }
    }

    public int length() {
        return Array.getLength(values);
    }

    /** Levels of arrays: 1 for an array of scalars or strings, 1 + the deepest element for an array of arrays. */
    public int depth() {
        int deepest = 0;
        if (values instanceof GgufArray[] arrays) {
            for (GgufArray a : arrays) {
                deepest = Math.max(deepest, a.depth());
            }
        }
        return 1 + deepest;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufArray a && a.elementType == elementType
                && Arrays.deepEquals(new Object[] {values}, new Object[] {a.values});
    }

    @Override
    public int hashCode() {
        return 31 * elementType.hashCode() + Arrays.deepHashCode(new Object[] {values});
    }

    /** The type, length and the first few elements, e.g. {@code STRING[32000]{<unk>, <s>, </s>, ...}}. */
    @Override
    public String toString() {
        int n = length();
        StringJoiner s = new StringJoiner(", ", elementType + "[" + n + "]{", "}");
        for (int i = 0; i < Math.min(n, PREVIEW); i++) {
            s.add(String.valueOf(Array.get(values, i)));
        }
        if (n > PREVIEW) {
            s.add("...");
        }
        return s.toString();
    }
}
