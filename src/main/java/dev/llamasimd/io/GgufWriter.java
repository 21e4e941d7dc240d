package dev.llamasimd.io;

import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Quant;
import java.io.Closeable;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.CopyOption;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import java.util.SequencedMap;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.ObjLongConsumer;
import java.util.stream.Collectors;

/**
 * Writes a GGUF v3 file as a stream. First declare the metadata ({@code put...}) and the tensors
 * ({@link #addTensor}); then hand over each tensor's data in declaration order; then
 * {@link #close()}. The header goes out with the first tensor (or at close), each tensor is padded
 * to the alignment ({@value GgufFile#DEFAULT_ALIGNMENT}, or {@value GgufFile#ALIGNMENT_KEY} if
 * put), and no more than one row of tensor data is held in memory, so files of any size can be
 * written.
 *
 * <p>The bytes go to a temporary file beside the target, which {@link #close()} renames into place
 * only when every declared tensor has been written; otherwise it deletes it and throws. The target
 * path therefore never holds a partial file. An existing target is refused unless the writer was
 * created with {@code overwrite = true}.
 *
 * <pre>{@code
 * try (GgufWriter w = GgufWriter.create(path)) {
 *     w.putString("general.architecture", "llama").putUint32("llama.embedding_length", 64);
 *     w.addTensor("token_embd.weight", GgmlType.Q8_0, 64, 512);
 *     w.writeTensorData("token_embd.weight", embeddings); // float[64 * 512], quantized row by row
 * }
 * }</pre>
 *
 * <p>Not thread-safe.
 */
public final class GgufWriter implements Closeable {
    /** The GGUF version this writer produces. */
    public static final int VERSION = 3;

    private static final int BUFFER_BYTES = 1 << 20;

    private record Entry(GgufValueType type, Object value) {}

    private record Declared(String name, GgmlType type, long[] ne, long elements, long bytes) {
        long cols() {
            return ne.length > 0 ? ne[0] : 1;
        }
    }

    /** A write that may fail part-way. */
    private interface Write {
        void run() throws IOException;
    }

    private final Path target;
    private final Path temp;
    private final boolean overwrite;
    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final MemorySegment bufferSegment = MemorySegment.ofArray(buffer.array());
    private final CharsetEncoder utf8 = StandardCharsets.UTF_8.newEncoder();
    private final SequencedMap<String, Entry> metadata = new LinkedHashMap<>();
    private final List<Declared> tensors = new ArrayList<>();
    private final Set<String> tensorNames = new HashSet<>();
    private long alignment = GgufFile.DEFAULT_ALIGNMENT;
    private long flushed;
    private int next;
    private boolean headerWritten;
    private boolean failed;
    private boolean closed;

    private GgufWriter(Path target, Path temp, boolean overwrite, FileChannel channel) {
        this.target = target;
        this.temp = temp;
        this.overwrite = overwrite;
        this.channel = channel;
    }

    /** A writer for a new file; refuses a target that exists. */
    public static GgufWriter create(Path target) throws IOException {
        return create(target, false);
    }

    /**
     * A writer for {@code target}, which is replaced on a successful close if {@code overwrite}
     * and refused if it exists otherwise.
     *
     * @throws FileAlreadyExistsException if the target exists and {@code overwrite} is false
     */
    public static GgufWriter create(Path target, boolean overwrite) throws IOException {
        if (!overwrite && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(target.toString(), null, "refusing to overwrite it without overwrite = true");
        }
        Path temp = target.toAbsolutePath().resolveSibling(
                "." + target.getFileName() + "." + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
        FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        return new GgufWriter(target, temp, overwrite, channel);
    }

    public GgufWriter putString(String key, String value) {
        return put(key, GgufValueType.STRING, value);
    }

    /** A UINT32: {@code value} must be in [0, 2^32). */
    public GgufWriter putUint32(String key, long value) {
        return put(key, GgufValueType.UINT32, value);
    }

    public GgufWriter putInt32(String key, int value) {
        return put(key, GgufValueType.INT32, value);
    }

    /** A UINT64 with the 64 bits of {@code value}. */
    public GgufWriter putUint64(String key, long value) {
        return put(key, GgufValueType.UINT64, value);
    }

    public GgufWriter putFloat32(String key, float value) {
        return put(key, GgufValueType.FLOAT32, value);
    }

    public GgufWriter putBool(String key, boolean value) {
        return put(key, GgufValueType.BOOL, value);
    }

    public GgufWriter putStringArray(String key, String... values) {
        return put(key, GgufValueType.ARRAY, new GgufArray(GgufValueType.STRING, values.clone()));
    }

    public GgufWriter putFloatArray(String key, float... values) {
        return put(key, GgufValueType.ARRAY, new GgufArray(GgufValueType.FLOAT32, values.clone()));
    }

    /** An array of INT32. */
    public GgufWriter putIntArray(String key, int... values) {
        return put(key, GgufValueType.ARRAY, new GgufArray(GgufValueType.INT32, values.clone()));
    }

    /**
     * A value of any type, in the Java representation {@link GgufValueType} describes. Integer types
     * also take any {@code Byte}, {@code Short}, {@code Integer} or {@code Long} in their range.
     *
     * @throws IllegalArgumentException if the key is already put, the value does not match the type,
     *     a string is not valid Unicode, arrays nest deeper than {@link GgufArray#MAX_DEPTH}, or
     *     {@value GgufFile#ALIGNMENT_KEY} is not a UINT32 power of two
     * @throws IllegalStateException once the header is written
     */
    public GgufWriter put(String key, GgufValueType type, Object value) {
        requireDeclaring();
        Objects.requireNonNull(type, "type");
        requireUnicode(Objects.requireNonNull(key, "key"), "metadata key");
        if (metadata.containsKey(key)) {
            throw new IllegalArgumentException("duplicate metadata key '" + key + "'");
        }
        Object v = canonical(key, type, value);
        if (key.equals(GgufFile.ALIGNMENT_KEY)) {
            if (type != GgufValueType.UINT32 || Long.bitCount((Long) v) != 1) {
                throw new IllegalArgumentException(key + " must be a UINT32 power of two, not " + type + " " + v);
            }
            alignment = (Long) v;
        }
        metadata.put(key, new Entry(type, v));
        return this;
    }

    /** Every key of {@code source}, in its order, with its type and value. */
    public GgufWriter putAll(GgufMetadata source) {
        for (String key : source.keys()) {
            put(key, source.valueType(key), source.get(key));
        }
        return this;
    }

    /**
     * Declares the next tensor.
     *
     * @param ne the shape in ggml order (at most {@value GgufFile#MAX_DIMS} dimensions, {@code ne[0]}
     *     a multiple of the type's block size)
     * @throws IllegalArgumentException for a duplicate name or an invalid shape
     * @throws IllegalStateException once the header is written
     */
    public GgufWriter addTensor(String name, GgmlType type, long... ne) {
        requireDeclaring();
        Objects.requireNonNull(type, "type");
        requireUnicode(Objects.requireNonNull(name, "name"), "tensor name");
        String what = "tensor '" + name + "' " + type + Arrays.toString(ne);
        if (!tensorNames.add(name)) {
            throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        }
        try {
            if (ne.length > GgufFile.MAX_DIMS) {
                throw new IllegalArgumentException(what + ": more than " + GgufFile.MAX_DIMS + " dimensions");
            }
            long elements = 1;
            for (long d : ne) {
                if (d < 0) {
                    throw new IllegalArgumentException(what + ": negative dimension");
                }
                elements = Math.multiplyExact(elements, d);
            }
            long cols = ne.length > 0 ? ne[0] : 1;
            if (cols % type.blockSize != 0) {
                throw new IllegalArgumentException(what + ": ne[0] is not a multiple of the block size " + type.blockSize);
            }
            tensors.add(new Declared(name, type, ne.clone(), elements, type.bytesFor(elements)));
        } catch (ArithmeticException e) {
            tensorNames.remove(name);
            throw new IllegalArgumentException(what + ": too large", e);
        } catch (IllegalArgumentException e) {
            tensorNames.remove(name);
            throw e;
        }
        return this;
    }

    /**
     * Writes the bytes of the next tensor, exactly as stored (e.g. quantized blocks).
     *
     * @throws IllegalStateException if {@code name} is not the next declared tensor
     * @throws IllegalArgumentException if {@code bytes} is not the tensor's size
     */
    public void writeTensorData(String name, MemorySegment bytes) throws IOException {
        Declared t = begin(name);
        if (bytes.byteSize() != t.bytes) {
            throw new IllegalArgumentException("tensor '" + name + "' " + t.type + Arrays.toString(t.ne) + " takes " + t.bytes
                    + " bytes, not " + bytes.byteSize());
        }
        guarded(() -> {
            copy(bytes);
            pad();
        });
        next++;
    }

    /**
     * Writes the next tensor from all its values, encoding them as the tensor's type row by row
     * with {@link Quant#quantize}.
     *
     * @throws IllegalArgumentException if {@code values} does not hold exactly the tensor's values
     */
    public void writeTensorData(String name, float[] values) throws IOException {
        Declared t = begin(name);
        if (values.length != t.elements) {
            throw new IllegalArgumentException("tensor '" + name + "' " + t.type + Arrays.toString(t.ne) + " has " + t.elements
                    + " values, not " + values.length);
        }
        int cols = (int) t.cols();
        writeTensorRows(name, (row, r) -> System.arraycopy(values, (int) (r * cols), row, 0, cols));
    }

    /**
     * Writes the next tensor one row ({@code ne[0]} values) at a time: {@code rows} fills the given
     * array with row {@code r} (0, 1, ... in order), which is then encoded as the tensor's type.
     * Only one row is in memory at a time.
     */
    public void writeTensorRows(String name, ObjLongConsumer<float[]> rows) throws IOException {
        Declared t = begin(name);
        if (t.cols() > GgufCursor.MAX_ARRAY_LENGTH) {
            throw new IllegalArgumentException("tensor '" + name + "': rows of " + t.cols() + " values do not fit in a float[]");
        }
        int cols = (int) t.cols();
        long rowCount = cols == 0 ? 0 : t.elements / cols;
        float[] row = new float[cols];
        guarded(() -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment encoded = arena.allocate(t.type.bytesFor(cols));
                for (long r = 0; r < rowCount; r++) {
                    rows.accept(row, r);
                    Quant.quantize(t.type, row, 0, cols, encoded, 0);
                    copy(encoded);
                }
            }
            pad();
        });
        next++;
    }

    /** Fills a chunk of a tensor's encoded rows ({@link #writeTensorChunks}). */
    @FunctionalInterface
    public interface ChunkFiller {
        /** Writes the encoded bytes of rows {@code [firstRow, firstRow + rows)} into {@code bytes}, which is exactly their size. */
        void fill(long firstRow, long rows, MemorySegment bytes) throws IOException;
    }

    /**
     * Writes the next tensor in chunks of up to {@code rowsPerChunk} already encoded rows, which
     * {@code fill} produces (it may encode them on several threads): only one chunk is in memory
     * at a time, so tensors of any size stream through.
     */
    public void writeTensorChunks(String name, int rowsPerChunk, ChunkFiller fill) throws IOException {
        Declared t = begin(name);
        long cols = t.cols();
        long rowCount = cols == 0 ? 0 : t.elements / cols;
        long rowBytes = t.type.bytesFor(cols);
        long chunkRows = Math.max(1, Math.min(rowsPerChunk, rowCount));
        guarded(() -> {
            // shared: fill may hand the chunk to other threads
            try (Arena arena = Arena.ofShared()) {
                MemorySegment chunk = arena.allocate(Math.max(1, rowBytes * chunkRows), 64);
                for (long r = 0; r < rowCount; r += chunkRows) {
                    long n = Math.min(chunkRows, rowCount - r);
                    MemorySegment part = chunk.asSlice(0, n * rowBytes);
                    fill.fill(r, n, part);
                    copy(part);
                }
            }
            pad();
        });
        next++;
    }

    /**
     * Finishes the file and renames it into place if every declared tensor was written (the header
     * alone if none were declared); otherwise deletes it and throws. Closing twice does nothing.
     *
     * @throws IllegalStateException if tensors are missing or an earlier write failed
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        boolean done = false;
        try {
            if (!failed && next == tensors.size()) {
                if (!headerWritten) {
                    writeHeader();
                }
                flush();
                channel.force(true);
                channel.close();
                CopyOption[] options = overwrite
                        ? new CopyOption[] {StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE}
                        : new CopyOption[0];
                Files.move(temp, target, options);
                done = true;
            }
        } finally {
            if (!done) {
                channel.close();
                Files.deleteIfExists(temp);
            }
        }
        if (!done) {
            throw new IllegalStateException(target + " was not written: " + (failed ? "a write failed"
                    : "tensors not written: " + tensors.subList(next, tensors.size()).stream()
                            .map(Declared::name).collect(Collectors.joining(", "))));
        }
    }

    private void requireDeclaring() {
        if (closed) {
            throw new IllegalStateException("writer for " + target + " is closed");
        }
        if (headerWritten) {
            throw new IllegalStateException("the header of " + target + " is written: no more metadata or tensors can be declared");
        }
    }

    /** Checks that {@code name} is the next tensor to write and writes the header if this is the first. */
    private Declared begin(String name) throws IOException {
        if (closed || failed) {
            throw new IllegalStateException("writer for " + target + (closed ? " is closed" : " failed: the file will be discarded"));
        }
        if (!tensorNames.contains(name)) {
            throw new IllegalStateException("tensor '" + name + "' was not declared");
        }
        if (next == tensors.size() || !tensors.get(next).name.equals(name)) {
            throw new IllegalStateException("tensor '" + name + "' is out of order: "
                    + (next == tensors.size() ? "every tensor is written" : "'" + tensors.get(next).name + "' comes next"));
        }
        if (!headerWritten) {
            guarded(this::writeHeader);
        }
        return tensors.get(next);
    }

    /** Runs a write; if it fails after emitting bytes, the file is broken and will be discarded. */
    private void guarded(Write write) throws IOException {
        long start = position();
        try {
            write.run();
        } catch (Throwable e) {
            failed |= position() != start;
            throw e;
        }
    }

    private Object canonical(String key, GgufValueType type, Object value) {
        if (type.isInteger()) {
            long v = switch (value) {
                case Byte b -> b;
                case Short s -> s;
                case Integer i -> i;
                case Long l -> l;
                case null, default -> throw mismatch(key, type, value);
            };
            if (!type.inRange(v)) {
                throw new IllegalArgumentException("metadata key '" + key + "': " + v + " is out of range for " + type);
            }
            return switch (type) {
                case INT8 -> (byte) v;
                case UINT8, INT16 -> (short) v;
                case UINT16, INT32 -> (int) v;
                default -> v;
            };
        }
        if (!type.javaType.isInstance(value)) {
            throw mismatch(key, type, value);
        }
        if (value instanceof GgufArray a && a.depth() > GgufArray.MAX_DEPTH) {
            throw new IllegalArgumentException("metadata key '" + key + "': arrays nested " + a.depth()
                    + " deep, more than " + GgufArray.MAX_DEPTH);
        }
        requireUnicodeStrings(key, value);
        return value;
    }

    private static IllegalArgumentException mismatch(String key, GgufValueType type, Object value) {
        return new IllegalArgumentException("metadata key '" + key + "': a " + type + " value is a "
                + type.javaType.getSimpleName() + ", not " + (value == null ? "null" : "a " + value.getClass().getSimpleName()));
    }

    private void requireUnicodeStrings(String key, Object value) {
        switch (value) {
            case String s -> requireUnicode(s, "string of metadata key '" + key + "'");
            case GgufArray(_, String[] a) -> {
                for (String s : a) {
                    requireUnicode(s, "string of metadata key '" + key + "'");
                }
            }
            case GgufArray(_, GgufArray[] a) -> {
                for (GgufArray e : a) {
                    requireUnicodeStrings(key, e);
                }
            }
            default -> { }
        }
    }

    /** Refuses strings that UTF-8 cannot encode (unpaired surrogates), which would not read back the same. */
    private void requireUnicode(String s, String what) {
        if (!utf8.canEncode(s)) {
            throw new IllegalArgumentException(what + " is not valid Unicode (unpaired surrogate): " + s);
        }
    }

    private void writeHeader() throws IOException {
        headerWritten = true;
        buffer.put(GgufFile.MAGIC);
        u32(VERSION);
        u64(tensors.size());
        u64(metadata.size());
        for (var e : metadata.entrySet()) {
            string(e.getKey());
            u32(e.getValue().type.id);
            value(e.getValue().type, e.getValue().value);
        }
        long offset = 0;
        for (Declared t : tensors) {
            string(t.name);
            u32(t.ne.length);
            for (long d : t.ne) {
                u64(d);
            }
            u32(t.type.id);
            u64(offset);
            offset = alignUp(offset + t.bytes);
        }
        pad();
    }

    private void value(GgufValueType type, Object v) throws IOException {
        switch (type) {
            case UINT8, INT8 -> {
                ensure(1);
                buffer.put(((Number) v).byteValue());
            }
            case UINT16, INT16 -> {
                ensure(2);
                buffer.putShort(((Number) v).shortValue());
            }
            case UINT32, INT32 -> u32(((Number) v).intValue());
            case UINT64, INT64 -> u64((Long) v);
            case FLOAT32 -> {
                ensure(4);
                buffer.putFloat((Float) v);
            }
            case FLOAT64 -> {
                ensure(8);
                buffer.putDouble((Double) v);
            }
            case BOOL -> {
                ensure(1);
                buffer.put((byte) ((Boolean) v ? 1 : 0));
            }
            case STRING -> string((String) v);
            case ARRAY -> {
                GgufArray a = (GgufArray) v;
                u32(a.elementType().id);
                u64(a.length());
                for (int i = 0; i < a.length(); i++) {
                    value(a.elementType(), Array.get(a.values(), i));
                }
            }
        }
    }

    private void u32(int v) throws IOException {
        ensure(4);
        buffer.putInt(v);
    }

    private void u64(long v) throws IOException {
        ensure(8);
        buffer.putLong(v);
    }

    private void string(String s) throws IOException {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        u64(bytes.length);
        copy(MemorySegment.ofArray(bytes));
    }

    private void copy(MemorySegment src) throws IOException {
        long n = src.byteSize();
        for (long off = 0; off < n; ) {
            ensure(1);
            int chunk = (int) Math.min(buffer.remaining(), n - off);
            MemorySegment.copy(src, off, bufferSegment, buffer.position(), chunk);
            buffer.position(buffer.position() + chunk);
            off += chunk;
        }
    }

    private void pad() throws IOException {
        for (long p = position(); p != alignUp(p); p++) {
            ensure(1);
            buffer.put((byte) 0);
        }
    }

    private long alignUp(long position) {
        return (position + alignment - 1) & -alignment;
    }

    private long position() {
        return flushed + buffer.position();
    }

    private void ensure(int n) throws IOException {
        if (buffer.remaining() < n) {
            flush();
        }
    }

    private void flush() throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        flushed += buffer.limit();
        buffer.clear();
    }
}
