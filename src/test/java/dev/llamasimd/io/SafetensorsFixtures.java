package dev.llamasimd.io;

import dev.llamasimd.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/** A small safetensors writer for the tests, independent of the reader. */
final class SafetensorsFixtures {
    private SafetensorsFixtures() {}

    /** One tensor to write: safetensors dtype name, shape (outermost first) and raw bytes. */
    record Entry(String name, String dtype, long[] shape, byte[] data) {
        static Entry of(Tensor t) {
            long[] ne = t.ne();
            long[] shape = new long[ne.length];
            for (int k = 0; k < ne.length; k++) {
                shape[k] = ne[ne.length - 1 - k];
            }
            return new Entry(t.name(), t.type().name(), shape, t.data().toArray(ValueLayout.JAVA_BYTE));
        }

        static Entry f32(String name, long[] shape, float... values) {
            ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(values);
            return new Entry(name, "F32", shape, b.array());
        }
    }

    /** Writes a well-formed file: the data of the entries in list order, no gaps. */
    static void write(Path file, Map<String, String> metadata, List<Entry> entries) throws IOException {
        StringJoiner header = new StringJoiner(",", "{", "}");
        if (!metadata.isEmpty()) {
            StringJoiner m = new StringJoiner(",", "{", "}");
            metadata.forEach((k, v) -> m.add(quote(k) + ":" + quote(v)));
            header.add("\"__metadata__\":" + m);
        }
        var data = new ByteArrayOutputStream();
        for (Entry e : entries) {
            header.add(tensorJson(e.name, e.dtype, e.shape, data.size(), data.size() + e.data.length));
            data.write(e.data);
        }
        writeRaw(file, header.toString(), data.toByteArray());
    }

    static String tensorJson(String name, String dtype, long[] shape, long begin, long end) {
        StringJoiner s = new StringJoiner(",", "[", "]");
        for (long d : shape) {
            s.add(Long.toString(d));
        }
        return quote(name) + ":{\"dtype\":" + quote(dtype) + ",\"shape\":" + s + ",\"data_offsets\":[" + begin + ","
                + end + "]}";
    }

    /** Writes a header (padded with spaces to a multiple of 8 bytes) and data verbatim. */
    static void writeRaw(Path file, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        byte[] p = new byte[padded];
        Arrays.fill(p, (byte) ' ');
        System.arraycopy(h, 0, p, 0, h.length);
        writeRaw(file, padded, p, data);
    }

    /** Writes an arbitrary header length field, then the header bytes and the data. */
    static void writeRaw(Path file, long headerLength, byte[] header, byte[] data) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerLength).array());
            out.write(header);
            out.write(data);
        }
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
