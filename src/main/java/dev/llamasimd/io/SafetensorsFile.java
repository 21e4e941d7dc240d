package dev.llamasimd.io;

import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A safetensors file, mapped read-only; every tensor is a slice of the mapping (no copy).
 *
 * <p>Layout: an unsigned 64-bit little-endian header length {@code n}, {@code n} bytes of UTF-8
 * JSON, then the data section. The header maps each tensor name to its {@code dtype},
 * {@code shape} (row-major, outermost first) and {@code data_offsets} ({@code [begin, end)}
 * relative to the data section), plus an optional {@code __metadata__} object of strings.
 * Shapes are reversed into ggml order: a {@code [out, in]} matrix becomes {@code ne = [in, out]}.
 *
 * <p>Everything is checked before use: the header length against the file size (and
 * {@link #MAX_HEADER_BYTES}) before anything is allocated, every shape entry non-negative and the
 * byte count free of overflow, {@code end - begin == product(shape) * sizeof(dtype)}, every range
 * inside the data section and no two ranges overlapping. Each failure is a
 * {@link ModelFormatException} naming the file, the byte offset and the tensor.
 */
public final class SafetensorsFile implements TensorSource {
    /** The largest header accepted (real headers are well under 1 MB). */
    public static final long MAX_HEADER_BYTES = 100L << 20;

    private static final ValueLayout.OfLong LONG_LE =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final String METADATA = "__metadata__";

    private final Path file;
    private final Arena arena;
    private final long dataStart;
    private final Map<String, String> metadata;
    private final Map<String, Tensor> tensors;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SafetensorsFile(Path file, Arena arena, long dataStart, Map<String, String> metadata,
                            Map<String, Tensor> tensors) {
        this.file = file;
        this.arena = arena;
        this.dataStart = dataStart;
        this.metadata = metadata;
        this.tensors = tensors;
    }

    /**
     * Maps and validates a safetensors file.
     *
     * @throws ModelFormatException if the file is not a valid safetensors file
     * @throws UncheckedIOException if it cannot be read
     */
    public static SafetensorsFile open(Path file) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment mapped;
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                long size = channel.size();
                if (size < Long.BYTES) {
                    throw new ModelFormatException(file, 0, "file is " + size
                            + " bytes, too short for the 8-byte header length of a safetensors file");
                }
                mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            }
            return read(file, arena, mapped);
        } catch (IOException e) {
            arena.close();
            throw new UncheckedIOException("cannot map " + file, e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static SafetensorsFile read(Path file, Arena arena, MemorySegment mapped) {
        long size = mapped.byteSize();
        long headerLength = mapped.get(LONG_LE, 0);
        if (Long.compareUnsigned(headerLength, size - Long.BYTES) > 0) {
            throw new ModelFormatException(file, 0, "header length " + Long.toUnsignedString(headerLength)
                    + " exceeds the " + (size - Long.BYTES) + " bytes after the length field");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw new ModelFormatException(file, 0, "header length " + headerLength
                    + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
        }
        byte[] header = mapped.asSlice(Long.BYTES, headerLength).toArray(ValueLayout.JAVA_BYTE);
        Object json = Json.parse(header, 0, header.length, file, Long.BYTES, "header: ");
        if (!(json instanceof Map<?, ?> entries)) {
            throw new ModelFormatException(file, Long.BYTES,
                    "header: the JSON is " + Json.describe(json) + ", not an object");
        }
        long dataStart = Long.BYTES + headerLength;
        MemorySegment data = mapped.asSlice(dataStart);

        Map<String, String> metadata = Map.of();
        List<Entry> list = new ArrayList<>(entries.size());
        for (Map.Entry<?, ?> e : entries.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals(METADATA)) {
                metadata = metadata(file, e.getValue());
            } else {
                list.add(entry(file, name, e.getValue(), data.byteSize(), dataStart));
            }
        }
        list.sort(Comparator.comparingLong(Entry::begin));
        checkWithinData(file, list, data.byteSize(), dataStart);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Entry previous = null;
        for (Entry t : list) {
            if (previous != null && t.begin < previous.end && t.begin < t.end) {
                throw new ModelFormatException(file, dataStart + t.begin, "tensor '" + t.name
                        + "': data_offsets [" + t.begin + ", " + t.end + ") overlap those of tensor '"
                        + previous.name + "' [" + previous.begin + ", " + previous.end + ")");
            }
            if (previous == null || t.end > previous.end) {
                previous = t;
            }
            tensors.put(t.name, new Tensor(t.name, t.type, t.ne, data.asSlice(t.begin, t.end - t.begin)));
        }
        return new SafetensorsFile(file, arena, dataStart, metadata, Collections.unmodifiableMap(tensors));
    }

    /**
     * Every tensor's bytes inside the data section. When the tensors lie end to end from its start,
     * as the format requires, but the file ends before the last of them, it is called truncated
     * (a download cut short) rather than bad.
     */
    private static void checkWithinData(Path file, List<Entry> byBegin, long dataSize, long dataStart) {
        long end = 0;
        boolean endToEnd = true;
        for (Entry t : byBegin) {
            endToEnd &= t.begin == end;
            end = Math.max(end, t.end);
        }
        long size = dataStart + dataSize;
        long needed = dataStart + end; // negative when it overflows: then not a plausible download
        for (Entry t : byBegin) {
            if (t.end > dataSize) {
                String message = "tensor '" + t.name + "': data_offsets [" + t.begin + ", " + t.end
                        + "] run past the end of the " + dataSize + "-byte data section";
                throw new ModelFormatException(file, dataStart + Math.min(t.begin, dataSize),
                        endToEnd && needed > size ? message + ": " + ModelFormatException.truncation(size, needed) : message);
            }
        }
    }

    /** One validated header entry. */
    private record Entry(String name, GgmlType type, long[] ne, long begin, long end) {}

    private static Map<String, String> metadata(Path file, Object value) {
        if (!(value instanceof Map<?, ?> map)) {
            throw new ModelFormatException(file, Long.BYTES,
                    "header: " + METADATA + " is " + Json.describe(value) + ", not an object");
        }
        Map<String, String> result = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new ModelFormatException(file, Long.BYTES, "header: " + METADATA + " value of '"
                        + e.getKey() + "' is " + Json.describe(e.getValue()) + ", not a string");
            }
            result.put((String) e.getKey(), s);
        }
        return Collections.unmodifiableMap(result);
    }

    private static Entry entry(Path file, String name, Object value, long dataSize, long dataStart) {
        if (!(value instanceof Map<?, ?> fields)) {
            throw headerError(file, name, "entry is " + Json.describe(value) + ", not an object");
        }
        GgmlType type = switch (fields.get("dtype")) {
            case String s -> dtype(file, name, s);
            case null -> throw headerError(file, name, "has no dtype");
            case Object o -> throw headerError(file, name, "dtype is " + Json.describe(o) + ", not a string");
        };
        long[] shape = longs(file, name, "shape", fields.get("shape"));
        long[] offsets = longs(file, name, "data_offsets", fields.get("data_offsets"));
        if (offsets.length != 2) {
            throw headerError(file, name, "data_offsets " + Arrays.toString(offsets) + " is not [begin, end]");
        }
        long count = 1;
        long bytes;
        try {
            for (long d : shape) {
                count = Math.multiplyExact(count, d);
            }
            bytes = Math.multiplyExact(count, (long) type.blockBytes);
        } catch (ArithmeticException e) {
            throw headerError(file, name, "shape " + Arrays.toString(shape) + " of " + type + " overflows 64 bits");
        }
        long begin = offsets[0];
        long end = offsets[1];
        long at = dataStart + Math.min(begin, dataSize);
        if (begin > end) {
            throw new ModelFormatException(file, at,
                    "tensor '" + name + "': data_offsets [" + begin + ", " + end + "] end before they begin");
        }
        if (end - begin != bytes) {
            throw new ModelFormatException(file, at, "tensor '" + name + "': data_offsets ["
                    + begin + ", " + end + "] hold " + (end - begin) + " bytes, but " + type
                    + Arrays.toString(shape) + " needs " + bytes);
        }
        long[] ne = new long[shape.length];
        for (int k = 0; k < shape.length; k++) {
            ne[k] = shape[shape.length - 1 - k];
        }
        return new Entry(name, type, ne, begin, end);
    }

    private static GgmlType dtype(Path file, String name, String dtype) {
        return switch (dtype) {
            case "F32" -> GgmlType.F32;
            case "F16" -> GgmlType.F16;
            case "BF16" -> GgmlType.BF16;
            case "F64" -> GgmlType.F64;
            case "I8" -> GgmlType.I8;
            case "I16" -> GgmlType.I16;
            case "I32" -> GgmlType.I32;
            case "I64" -> GgmlType.I64;
            case "BOOL", "U8", "U16", "U32", "U64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2",
                 "C64" -> throw headerError(file, name, "unsupported dtype '" + dtype
                    + "' (supported: F32, F16, BF16, F64, I8, I16, I32, I64)");
            default -> throw headerError(file, name, "unknown dtype '" + dtype + "'");
        };
    }

    /** A JSON array of non-negative integers. */
    private static long[] longs(Path file, String name, String field, Object value) {
        if (!(value instanceof List<?> list)) {
            throw headerError(file, name, value == null ? "has no " + field
                    : field + " is " + Json.describe(value) + ", not an array");
        }
        long[] result = new long[list.size()];
        for (int k = 0; k < result.length; k++) {
            if (!(list.get(k) instanceof Long x) || x < 0) {
                throw headerError(file, name, field + " " + list + " has an entry that is not a non-negative"
                        + " 64-bit integer: " + list.get(k));
            }
            result[k] = x;
        }
        return result;
    }

    private static ModelFormatException headerError(Path file, String name, String what) {
        return new ModelFormatException(file, Long.BYTES, "header: tensor '" + name + "' " + what);
    }

    @Override
    public Path path() {
        return file;
    }

    /** Every tensor, in the order of its data in the file (read-only). */
    @Override
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /** The {@code __metadata__} strings, in header order (empty if the file has none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Byte offset of the data section in the file ({@code 8 + header length}). */
    public long dataStart() {
        return dataStart;
    }

    /** Unmaps the file; every tensor view becomes invalid. Closing twice is harmless. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + file + ", " + tensors.size() + " tensors]";
    }
}
