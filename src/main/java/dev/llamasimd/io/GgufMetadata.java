package dev.llamasimd.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.SequencedMap;
import java.util.SequencedSet;
import java.util.StringJoiner;

/**
 * The key/value metadata of a GGUF file, in file order. Values have the Java types listed at
 * {@link GgufValueType} (arrays are {@link GgufArray}). The typed getters convert where nothing
 * is lost (any integer type that fits to {@code int}, integers and doubles to {@code float}) and
 * otherwise raise a {@link ModelFormatException} naming the file, the key and the value's offset.
 * Arrays the getters return are copies.
 */
public final class GgufMetadata {
    /** Key, value type and a one-byte value. */
    static final int ENTRY_MIN_BYTES = 8 + 4 + 1;

    private record Entry(GgufValueType type, Object value, long offset) {}

    private final Path file;
    private final SequencedMap<String, Entry> entries;

    private GgufMetadata(Path file, SequencedMap<String, Entry> entries) {
        this.file = file;
        this.entries = Collections.unmodifiableSequencedMap(entries);
    }

    /** Reads {@code count} key/value pairs (a count already checked against the file). */
    static GgufMetadata read(GgufCursor in, long count) {
        SequencedMap<String, Entry> entries = new LinkedHashMap<>();
        for (long i = 0; i < count; i++) {
            long at = in.position();
            String key = in.string("key #" + i + " name");
            String what = "key #" + i + " '" + key + "'";
            if (entries.containsKey(key)) {
                throw in.error(at, what + ": duplicate key");
            }
            GgufValueType type = readType(in, what + " value type");
            long valueAt = in.position();
            entries.put(key, new Entry(type, readValue(in, type, what), valueAt));
        }
        return new GgufMetadata(in.file(), entries);
    }

    private static GgufValueType readType(GgufCursor in, String what) {
        long at = in.position();
        long id = in.u32(what);
        GgufValueType type = GgufValueType.byId(id);
        if (type == null) {
            throw in.error(at, what + ": unknown value type id " + id);
        }
        return type;
    }

    private static Object readValue(GgufCursor in, GgufValueType type, String what) {
        MemorySegment d = in.data();
        return switch (type) {
            case UINT8 -> (short) in.u8(what);
            case INT8 -> (byte) in.u8(what);
            case UINT16 -> d.get(GgufCursor.SHORT_LE, in.take(2, what)) & 0xffff;
            case INT16 -> d.get(GgufCursor.SHORT_LE, in.take(2, what));
            case UINT32 -> in.u32(what);
            case INT32 -> d.get(GgufCursor.INT_LE, in.take(4, what));
            case FLOAT32 -> d.get(GgufCursor.FLOAT_LE, in.take(4, what));
            case BOOL -> readBool(in, what);
            case STRING -> in.string(what);
            case ARRAY -> readArray(in, what, 1);
            case UINT64, INT64 -> in.u64(what);
            case FLOAT64 -> d.get(GgufCursor.DOUBLE_LE, in.take(8, what));
        };
    }

    private static boolean readBool(GgufCursor in, String what) {
        int b = in.u8(what);
        if (b > 1) {
            throw in.error(in.position() - 1, what + ": bool value " + b + " is neither 0 nor 1");
        }
        return b == 1;
    }

    /** Reads an array at nesting level {@code depth} (1 for a key's own array). */
    private static GgufArray readArray(GgufCursor in, String what, int depth) {
        if (depth > GgufArray.MAX_DEPTH) {
            throw in.error(in.position(), what + ": arrays nested more than " + GgufArray.MAX_DEPTH + " deep");
        }
        GgufValueType type = readType(in, what + " element type");
        long countAt = in.position();
        long n = in.count(what + " element count", type.minBytes);
        if (n > GgufCursor.MAX_ARRAY_LENGTH) {
            throw in.error(countAt, what + ": " + n + " elements are more than a Java array holds");
        }
        int len = (int) n;
        Object values = switch (type) {
            case UINT8 -> {
                MemorySegment s = in.slice(len, what);
                short[] a = new short[len];
                for (int i = 0; i < len; i++) {
                    a[i] = (short) (s.get(ValueLayout.JAVA_BYTE, i) & 0xff);
                }
                yield a;
            }
            case INT8 -> in.slice(len, what).toArray(ValueLayout.JAVA_BYTE);
            case UINT16 -> {
                short[] raw = in.slice(2L * len, what).toArray(GgufCursor.SHORT_LE);
                int[] a = new int[len];
                for (int i = 0; i < len; i++) {
                    a[i] = raw[i] & 0xffff;
                }
                yield a;
            }
            case INT16 -> in.slice(2L * len, what).toArray(GgufCursor.SHORT_LE);
            case UINT32 -> {
                int[] raw = in.slice(4L * len, what).toArray(GgufCursor.INT_LE);
                long[] a = new long[len];
                for (int i = 0; i < len; i++) {
                    a[i] = Integer.toUnsignedLong(raw[i]);
                }
                yield a;
            }
            case INT32 -> in.slice(4L * len, what).toArray(GgufCursor.INT_LE);
            case FLOAT32 -> in.slice(4L * len, what).toArray(GgufCursor.FLOAT_LE);
            case BOOL -> {
                boolean[] a = new boolean[len];
                for (int i = 0; i < len; i++) {
                    a[i] = readBool(in, what);
                }
                yield a;
            }
            case STRING -> {
                String[] a = new String[len];
                for (int i = 0; i < len; i++) {
                    a[i] = in.string(what, i);
                }
                yield a;
            }
            case ARRAY -> {
                GgufArray[] a = new GgufArray[len];
                for (int i = 0; i < len; i++) {
                    a[i] = readArray(in, what + "[" + i + "]", depth + 1);
                }
                yield a;
            }
            case UINT64, INT64 -> in.slice(8L * len, what).toArray(GgufCursor.LONG_LE);
            case FLOAT64 -> in.slice(8L * len, what).toArray(GgufCursor.DOUBLE_LE);
        };
        return new GgufArray(type, values);
    }

    /** The file the metadata was read from. */
    public Path file() {
        return file;
    }

    public int size() {
        return entries.size();
    }

    public boolean has(String key) {
        return entries.containsKey(key);
    }

    /** The keys in file order. */
    public SequencedSet<String> keys() {
        return entries.sequencedKeySet();
    }

    /** The value as stored (see {@link GgufValueType} for its Java type), or {@code null} if the key is absent. */
    public Object get(String key) {
        Entry e = entries.get(key);
        return e == null ? null : e.value;
    }

    /** The value's type, or {@code null} if the key is absent. */
    public GgufValueType valueType(String key) {
        Entry e = entries.get(key);
        return e == null ? null : e.type;
    }

    public String getString(String key) {
        Entry e = require(key);
        if (!(e.value instanceof String s)) {
            throw wrongType(key, e, "a STRING");
        }
        return s;
    }

    public String getStringOrDefault(String key, String defaultValue) {
        return has(key) ? getString(key) : defaultValue;
    }

    /** A value of any integer type that fits in an {@code int}. */
    public int getInt(String key) {
        Entry e = require(key);
        long v = integer(key, e, "an integer that fits in an int");
        if (v != (int) v) {
            throw wrongType(key, e, "an integer that fits in an int");
        }
        return (int) v;
    }

    public int getIntOrDefault(String key, int defaultValue) {
        return has(key) ? getInt(key) : defaultValue;
    }

    /** A value of any integer type that fits in a {@code long} (UINT64 below 2^63). */
    public long getLong(String key) {
        return integer(key, require(key), "an integer that fits in a long");
    }

    public long getLongOrDefault(String key, long defaultValue) {
        return has(key) ? getLong(key) : defaultValue;
    }

    /** A FLOAT32, or a FLOAT64 or integer value converted to {@code float}. */
    public float getFloat(String key) {
        Entry e = require(key);
        return switch (e.value) {
            case Float f -> f;
            case Double d -> d.floatValue();
            default -> integer(key, e, "a number");
        };
    }

    public float getFloatOrDefault(String key, float defaultValue) {
        return has(key) ? getFloat(key) : defaultValue;
    }

    public boolean getBoolean(String key) {
        Entry e = require(key);
        if (!(e.value instanceof Boolean b)) {
            throw wrongType(key, e, "a BOOL");
        }
        return b;
    }

    public boolean getBooleanOrDefault(String key, boolean defaultValue) {
        return has(key) ? getBoolean(key) : defaultValue;
    }

    /** An array of STRING. */
    public String[] getStringArray(String key) {
        Entry e = require(key);
        if (!(e.value instanceof GgufArray(_, String[] a))) {
            throw wrongType(key, e, "an array of STRING");
        }
        return a.clone();
    }

    /** An array of FLOAT32, or of FLOAT64 converted to {@code float}. */
    public float[] getFloatArray(String key) {
        Entry e = require(key);
        return switch (e.value) {
            case GgufArray(_, float[] a) -> a.clone();
            case GgufArray(_, double[] a) -> {
                float[] f = new float[a.length];
                for (int i = 0; i < a.length; i++) {
                    f[i] = (float) a[i];
                }
                yield f;
            }
            default -> throw wrongType(key, e, "an array of FLOAT32 or FLOAT64");
        };
    }

    /** An array of any integer type whose every element fits in an {@code int}. */
    public int[] getIntArray(String key) {
        Entry e = require(key);
        String expected = "an array of integers that fit in an int";
        if (!(e.value instanceof GgufArray a) || !a.elementType().isInteger()) {
            throw wrongType(key, e, expected);
        }
        return switch (a.values()) {
            case byte[] v -> {
                int[] r = new int[v.length];
                for (int i = 0; i < v.length; i++) {
                    r[i] = v[i];
                }
                yield r;
            }
            case short[] v -> {
                int[] r = new int[v.length];
                for (int i = 0; i < v.length; i++) {
                    r[i] = v[i];
                }
                yield r;
            }
            case int[] v -> v.clone();
            case long[] v -> {
                int[] r = new int[v.length];
                for (int i = 0; i < v.length; i++) {
                    if (v[i] != (int) v[i] || a.elementType() == GgufValueType.UINT64 && v[i] < 0) {
                        throw error(key, e, "element " + i + " of the " + a.elementType() + " array, "
                                + unsigned(a.elementType(), v[i]) + ", does not fit in an int");
                    }
                    r[i] = (int) v[i];
                }
                yield r;
            }
            default -> throw wrongType(key, e, expected);
        };
    }

    /** An exception naming the file, the key and its value's offset. */
    ModelFormatException error(String key, String message) {
        return error(key, require(key), message);
    }

    private ModelFormatException error(String key, Entry e, String message) {
        return new ModelFormatException(file, e.offset, "metadata key '" + key + "': " + message);
    }

    private Entry require(String key) {
        Entry e = entries.get(key);
        if (e == null) {
            throw new ModelFormatException(file, "missing metadata key '" + key + "'");
        }
        return e;
    }

    private long integer(String key, Entry e, String expected) {
        if (!e.type.isInteger() || e.type == GgufValueType.UINT64 && (Long) e.value < 0) {
            throw wrongType(key, e, expected);
        }
        return ((Number) e.value).longValue();
    }

    private ModelFormatException wrongType(String key, Entry e, String expected) {
        return error(key, e, "is " + describe(e.type, e.value) + ", expected " + expected);
    }

    private static String describe(GgufValueType type, Object value) {
        return switch (value) {
            case GgufArray a -> "an array of " + a.length() + " " + a.elementType();
            case String s -> "a STRING of " + s.length() + " chars";
            case Long l -> type + " " + unsigned(type, l);
            default -> type + " " + value;
        };
    }

    private static String unsigned(GgufValueType type, long v) {
        return type == GgufValueType.UINT64 ? Long.toUnsignedString(v) : Long.toString(v);
    }

    /** One line per key: {@code key: TYPE value}, arrays shortened. */
    @Override
    public String toString() {
        StringJoiner s = new StringJoiner("\n");
        entries.forEach((key, e) -> s.add(key + ": " + switch (e.value) {
            case GgufArray a -> "ARRAY " + a;
            case Long l -> e.type + " " + unsigned(e.type, l);
            default -> e.type + " " + e.value;
        }));
        return s.toString();
    }
}
