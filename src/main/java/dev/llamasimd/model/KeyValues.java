package dev.llamasimd.model;

import dev.llamasimd.io.GgufArray;
import dev.llamasimd.io.GgufValueType;
import dev.llamasimd.io.GgufWriter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;

/**
 * GGUF metadata being assembled the way gguf-py's {@code GGUFWriter} collects it: in a dict, so
 * a key put again keeps its first place and takes the new value, an empty string or array is
 * not written at all, and {@link #moveToEnd} does what llama-quantize's {@code gguf_set_*} does
 * to a key it rewrites.
 */
final class KeyValues {
    /** One value, in the Java representation {@link GgufValueType} describes. */
    record Value(GgufValueType type, Object value) {}

    private final SequencedMap<String, Value> values = new LinkedHashMap<>();

    KeyValues string(String key, String value) {
        if (!value.isEmpty()) {
            values.put(key, new Value(GgufValueType.STRING, value));
        }
        return this;
    }

    KeyValues u32(String key, long value) {
        values.put(key, new Value(GgufValueType.UINT32, value));
        return this;
    }

    KeyValues i32(String key, int value) {
        values.put(key, new Value(GgufValueType.INT32, value));
        return this;
    }

    KeyValues f32(String key, double value) {
        values.put(key, new Value(GgufValueType.FLOAT32, (float) value));
        return this;
    }

    KeyValues bool(String key, boolean value) {
        values.put(key, new Value(GgufValueType.BOOL, value));
        return this;
    }

    KeyValues strings(String key, List<String> list) {
        if (!list.isEmpty()) {
            values.put(key, new Value(GgufValueType.ARRAY, new GgufArray(GgufValueType.STRING, list.toArray(String[]::new))));
        }
        return this;
    }

    KeyValues ints(String key, int[] list) {
        if (list.length > 0) {
            values.put(key, new Value(GgufValueType.ARRAY, new GgufArray(GgufValueType.INT32, list.clone())));
        }
        return this;
    }

    KeyValues floats(String key, float[] list) {
        if (list.length > 0) {
            values.put(key, new Value(GgufValueType.ARRAY, new GgufArray(GgufValueType.FLOAT32, list.clone())));
        }
        return this;
    }

    void remove(String key) {
        values.remove(key);
    }

    /** Puts {@code key} last, keeping its value (no-op when absent). */
    void moveToEnd(String key) {
        Value v = values.remove(key);
        if (v != null) {
            values.put(key, v);
        }
    }

    /** The keys and values in order (read-only). */
    SequencedMap<String, Value> values() {
        return Collections.unmodifiableSequencedMap(values);
    }

    /** Puts every key, in order, into {@code w}. */
    void writeTo(GgufWriter w) {
        values.forEach((k, v) -> w.put(k, v.type(), v.value()));
    }
}
