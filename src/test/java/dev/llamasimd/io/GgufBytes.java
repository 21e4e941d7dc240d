package dev.llamasimd.io;

import dev.llamasimd.tensor.GgmlType;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Builds GGUF bytes field by field, for files the writer refuses to produce. */
final class GgufBytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** Magic, version, tensor count and key count. */
    static GgufBytes header(long version, long tensorCount, long keyCount) {
        return new GgufBytes().raw("GGUF".getBytes(StandardCharsets.US_ASCII)).u32(version).u64(tensorCount).u64(keyCount);
    }

    int position() {
        return out.size();
    }

    GgufBytes raw(byte... bytes) {
        out.writeBytes(bytes);
        return this;
    }

    GgufBytes u8(int v) {
        out.write(v);
        return this;
    }

    GgufBytes u32(long v) {
        return raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
    }

    GgufBytes u64(long v) {
        return raw(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
    }

    GgufBytes f32(float v) {
        return u32(Float.floatToRawIntBits(v));
    }

    GgufBytes str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return u64(b.length).raw(b);
    }

    /** A key and its value type; the value follows. */
    GgufBytes key(String key, GgufValueType type) {
        return str(key).u32(type.id);
    }

    GgufBytes tensorInfo(String name, GgmlType type, long offset, long... ne) {
        str(name).u32(ne.length);
        for (long d : ne) {
            u64(d);
        }
        return u32(type.id).u64(offset);
    }

    GgufBytes zeros(int n) {
        return raw(new byte[n]);
    }

    GgufBytes padTo(int alignment) {
        return zeros((alignment - position() % alignment) % alignment);
    }

    byte[] toArray() {
        return out.toByteArray();
    }
}
