package dev.llamasimd.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Reads a mapped GGUF file front to back. Every read first checks the bytes it needs against
 * what is left of the file, so a damaged length or count becomes a {@link ModelFormatException}
 * naming the file, the field ({@code what}) and its byte offset, never an out-of-bounds access
 * or a large allocation. Not thread-safe.
 */
final class GgufCursor {
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble DOUBLE_LE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The longest Java array (or string) we ask the VM for. */
    static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    private final Path file;
    private final MemorySegment data;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder();
    private long pos;

    GgufCursor(Path file, MemorySegment data) {
        this.file = file;
        this.data = data;
    }

    Path file() {
        return file;
    }

    MemorySegment data() {
        return data;
    }

    long position() {
        return pos;
    }

    long remaining() {
        return data.byteSize() - pos;
    }

    ModelFormatException error(long at, String message) {
        return new ModelFormatException(file, at, message);
    }

    /** Claims the next {@code n} bytes and returns the offset where they start. */
    long take(long n, String what) {
        if (n > remaining()) {
            throw truncated(n, what);
        }
        long at = pos;
        pos += n;
        return at;
    }

    /** Claims the next {@code n} bytes and returns them as a slice of the file. */
    MemorySegment slice(long n, String what) {
        return data.asSlice(take(n, what), n);
    }

    int u8(String what) {
        return data.get(ValueLayout.JAVA_BYTE, take(1, what)) & 0xff;
    }

    long u32(String what) {
        return Integer.toUnsignedLong(data.get(INT_LE, take(4, what)));
    }

    /** A u64 as its 64 bits: values from 2^63 up are negative. */
    long u64(String what) {
        return data.get(LONG_LE, take(8, what));
    }

    /** Reads a u64 count of items of at least {@code minBytes} each, refusing any the rest of the file cannot hold. */
    long count(String what, long minBytes) {
        long at = pos;
        long n = u64(what);
        checkCount(what, n, minBytes, at);
        return n;
    }

    /** Refuses a count (read earlier at {@code at}) of items of at least {@code minBytes} each that the rest of the file cannot hold. */
    void checkCount(String what, long n, long minBytes, long at) {
        if (n < 0 || n > remaining() / minBytes) {
            throw error(at, what + " " + Long.toUnsignedString(n) + " (at least " + minBytes + (minBytes == 1 ? " byte" : " bytes")
                    + " each) exceeds the " + remaining() + " bytes left (file size " + data.byteSize() + ")");
        }
    }

    String string(String what) {
        return string(what, -1);
    }

    /** Reads a u64 length and that many bytes of UTF-8; {@code index} ≥ 0 names an array element in messages. */
    String string(String what, long index) {
        long at = pos;
        if (remaining() < 8) {
            throw truncated(8, label(what, index) + " length");
        }
        long len = data.get(LONG_LE, at);
        long left = remaining() - 8;
        if (len < 0 || len > left) {
            throw error(at, label(what, index) + ": string length " + Long.toUnsignedString(len) + " exceeds the " + left + " bytes left");
        }
        if (len > MAX_ARRAY_LENGTH) {
            throw error(at, label(what, index) + ": string length " + len + " is too long for a Java string");
        }
        pos += 8 + len;
        if (len == 0) {
            return "";
        }
        byte[] bytes = data.asSlice(at + 8, len).toArray(ValueLayout.JAVA_BYTE);
        for (byte b : bytes) {
            if (b < 0) {
                return decodeUtf8(bytes, at + 8, what, index);
            }
        }
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    private String decodeUtf8(byte[] bytes, long at, String what, long index) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            return utf8.decode(in).toString();
        } catch (CharacterCodingException e) {
            throw error(at + in.position(), label(what, index) + ": invalid UTF-8 in a string of " + bytes.length
                    + " bytes (starting at byte " + at + ")");
        }
    }

    private ModelFormatException truncated(long n, String what) {
        return error(pos, what + ": needs " + n + (n == 1 ? " byte" : " bytes") + " but only " + remaining()
                + " are left before the end of the file (size " + data.byteSize() + ")");
    }

    private static String label(String what, long index) {
        return index < 0 ? what : what + "[" + index + "]";
    }
}
