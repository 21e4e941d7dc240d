package dev.llamasimd.io;

import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

/**
 * A GGUF file (version 2 or 3, little-endian) mapped read-only: its metadata and its tensors, each
 * a view of the mapped bytes (nothing is copied). {@link #open} checks every field of the header
 * against the file before it allocates anything from a declared size; any inconsistency is a
 * {@link ModelFormatException} naming the file, the key or tensor, and the byte offset.
 *
 * <p>The tensors may be read from any thread. {@link #close()} unmaps the file, after which reading
 * a tensor fails with an {@link IllegalStateException}.
 */
public final class GgufFile implements TensorSource {
    /** The metadata key that sets the alignment of the tensor data (a UINT32 power of two). */
    public static final String ALIGNMENT_KEY = "general.alignment";
    /** The alignment when the file does not set one. */
    public static final int DEFAULT_ALIGNMENT = 32;
    /** The most dimensions a tensor may have. */
    public static final int MAX_DIMS = 4;

    static final byte[] MAGIC = "GGUF".getBytes(StandardCharsets.US_ASCII);
    /** Name length, n_dims, type id and offset of a tensor with no dimensions and an empty name. */
    private static final int TENSOR_INFO_MIN_BYTES = 8 + 4 + 4 + 8;

    private record TensorInfo(String name, GgmlType type, long[] ne, long bytes, long offset, long offsetAt) {}

    private final Path path;
    private final Arena arena;
    private final long fileSize;
    private final int version;
    private final GgufMetadata metadata;
    private final long alignment;
    private final long dataOffset;
    private final SequencedMap<String, Tensor> tensors;
    private final MemorySegment data;

    private GgufFile(Path path, Arena arena, MemorySegment data, int version, GgufMetadata metadata, long alignment,
            long dataOffset, SequencedMap<String, Tensor> tensors) {
        this.path = path;
        this.arena = arena;
        this.data = data;
        this.fileSize = data.byteSize();
        this.version = version;
        this.metadata = metadata;
        this.alignment = alignment;
        this.dataOffset = dataOffset;
        this.tensors = Collections.unmodifiableSequencedMap(tensors);
    }

    /**
     * Maps and parses a GGUF file.
     *
     * @throws ModelFormatException if the file is not a valid GGUF v2/v3 file
     * @throws IOException if it cannot be opened or mapped
     */
    public static GgufFile open(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size == 0) {
                throw new ModelFormatException(file, "empty file (0 bytes), not a GGUF file");
            }
            Arena arena = Arena.ofShared();
            try {
                return read(file, channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena), arena);
            } catch (Throwable t) {
                arena.close();
                throw t;
            }
        }
    }

    private static GgufFile read(Path file, MemorySegment data, Arena arena) {
        GgufCursor in = new GgufCursor(file, data);
        readMagic(in);
        int version = readVersion(in);
        long tensorCountAt = in.position();
        long tensorCount = in.u64("tensor count");
        long keyCount = in.count("metadata key count", GgufMetadata.ENTRY_MIN_BYTES);
        GgufMetadata metadata = GgufMetadata.read(in, keyCount);
        in.checkCount("tensor count", tensorCount, TENSOR_INFO_MIN_BYTES, tensorCountAt);
        List<TensorInfo> infos = readTensorInfos(in, tensorCount);
        long alignment = alignment(metadata);
        long dataOffset = alignUp(in.position(), alignment);
        checkNotTruncated(in, infos, dataOffset, alignment);
        SequencedMap<String, Tensor> tensors = new LinkedHashMap<>();
        for (TensorInfo t : infos) {
            tensors.put(t.name, view(in, t, dataOffset, alignment));
        }
        return new GgufFile(file, arena, data, version, metadata, alignment, dataOffset, tensors);
    }

    private static void readMagic(GgufCursor in) {
        int n = (int) Math.min(MAGIC.length, in.remaining());
        byte[] head = in.data().asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        if (!Arrays.equals(head, Arrays.copyOf(MAGIC, n))) {
            throw in.error(0, "not a GGUF file: it starts with " + HexFormat.ofDelimiter(" ").formatHex(head) + " ('"
                    + new String(head, StandardCharsets.ISO_8859_1).replaceAll("\\P{Print}", ".") + "') instead of 'GGUF'");
        }
        in.take(MAGIC.length, "magic 'GGUF'");
    }

    private static int readVersion(GgufCursor in) {
        long at = in.position();
        long v = in.u32("version");
        if (v == 2 || v == 3) {
            return (int) v;
        }
        int swapped = Integer.reverseBytes((int) v);
        if (swapped >= 1 && swapped <= 3) {
            throw in.error(at, "big-endian GGUF (version " + swapped + " stored byte-swapped) is not supported;"
                    + " only little-endian files can be mapped");
        }
        if (v == 1) {
            throw in.error(at, "GGUF version 1 is not supported (only versions 2 and 3); convert the file with a newer llama.cpp");
        }
        throw in.error(at, "unsupported GGUF version " + v + " (only versions 2 and 3 are supported)");
    }

    private static List<TensorInfo> readTensorInfos(GgufCursor in, long count) {
        List<TensorInfo> infos = new ArrayList<>();
        Map<String, Long> seen = new HashMap<>();
        for (long i = 0; i < count; i++) {
            long at = in.position();
            String name = in.string("tensor #" + i + " name");
            String what = "tensor #" + i + " '" + name + "'";
            Long first = seen.putIfAbsent(name, i);
            if (first != null) {
                throw in.error(at, what + ": duplicate tensor name (also tensor #" + first + ")");
            }
            long dimsAt = in.position();
            long nDims = in.u32(what + " n_dims");
            if (nDims > MAX_DIMS) {
                throw in.error(dimsAt, what + ": n_dims " + nDims + " exceeds the maximum of " + MAX_DIMS);
            }
            long[] ne = new long[(int) nDims];
            long elements = 1;
            for (int d = 0; d < ne.length; d++) {
                long neAt = in.position();
                ne[d] = in.u64(what + " ne[" + d + "]");
                if (ne[d] < 0) {
                    throw in.error(neAt, what + ": ne[" + d + "] = " + Long.toUnsignedString(ne[d]) + " is too large");
                }
                try {
                    elements = Math.multiplyExact(elements, ne[d]);
                } catch (ArithmeticException e) {
                    throw in.error(neAt, what + ": shape " + Arrays.toString(Arrays.copyOf(ne, d + 1))
                            + " has more than 2^63 elements");
                }
            }
            long typeAt = in.position();
            long typeId = in.u32(what + " type");
            GgmlType type = typeId <= Integer.MAX_VALUE ? GgmlType.byId((int) typeId) : null;
            if (type == null) {
                throw in.error(typeAt, what + ": unknown ggml type id " + typeId);
            }
            long cols = ne.length > 0 ? ne[0] : 1;
            if (cols % type.blockSize != 0) {
                throw in.error(dimsAt + 4, what + ": ne[0] = " + cols + " is not a multiple of the " + type
                        + " block size " + type.blockSize);
            }
            long bytes;
            try {
                bytes = type.bytesFor(elements);
            } catch (ArithmeticException e) {
                throw in.error(dimsAt, what + ": " + elements + " values of " + type + " take more than 2^63 bytes");
            }
            long offsetAt = in.position();
            long offset = in.u64(what + " data offset");
            infos.add(new TensorInfo(name, type, ne, bytes, offset, offsetAt));
        }
        return infos;
    }

    private static long alignment(GgufMetadata metadata) {
        if (!metadata.has(ALIGNMENT_KEY)) {
            return DEFAULT_ALIGNMENT;
        }
        if (metadata.valueType(ALIGNMENT_KEY) != GgufValueType.UINT32) {
            throw metadata.error(ALIGNMENT_KEY, "must be a UINT32, is " + metadata.valueType(ALIGNMENT_KEY));
        }
        long a = (Long) metadata.get(ALIGNMENT_KEY);
        if (Long.bitCount(a) != 1) {
            throw metadata.error(ALIGNMENT_KEY, "alignment " + a + " is not a power of two");
        }
        return a;
    }

    /**
     * A file cut short, told apart from a bad one: when the tensors lie one after another from the
     * start of the data section, as every GGUF writer lays them out, but the file ends before the
     * last of them, the download or copy is incomplete. Offsets that do not fit that layout are
     * left to {@link #view}, which names the bad field.
     */
    private static void checkNotTruncated(GgufCursor in, List<TensorInfo> infos, long dataOffset, long alignment) {
        List<TensorInfo> byOffset = infos.stream().sorted(Comparator.comparingLong(TensorInfo::offset)).toList();
        long end = 0;
        for (TensorInfo t : byOffset) {
            if (t.offset != alignUp(end, alignment)) {
                return;
            }
            end = t.offset + t.bytes;
        }
        long size = in.data().byteSize();
        long needed = dataOffset + end;
        if (byOffset.isEmpty() || needed <= size) {
            return;
        }
        TensorInfo cut = byOffset.stream().filter(t -> dataOffset + t.offset + t.bytes > size).findFirst().orElseThrow();
        long start = dataOffset + cut.offset;
        throw in.error(cut.offsetAt, "tensor '" + cut.name + "': data at [" + start + ", " + (start + cut.bytes)
                + ") runs past the end of the file (size " + size + "): " + ModelFormatException.truncation(size, needed));
    }

    private static Tensor view(GgufCursor in, TensorInfo t, long dataOffset, long alignment) {
        long size = in.data().byteSize();
        String what = "tensor '" + t.name + "'";
        if (t.offset < 0 || t.offset > size - dataOffset) {
            throw in.error(t.offsetAt, what + ": data offset " + Long.toUnsignedString(t.offset)
                    + " is past the end of the file (data section at " + dataOffset + ", file size " + size + ")");
        }
        if (t.offset % alignment != 0) {
            throw in.error(t.offsetAt, what + ": data offset " + t.offset + " is not a multiple of the alignment " + alignment);
        }
        long start = dataOffset + t.offset;
        if (t.bytes > size - start) {
            throw in.error(t.offsetAt, what + ": data at [" + start + ", " + Long.toUnsignedString(start + t.bytes)
                    + ") runs past the end of the file (size " + size + ")");
        }
        return new Tensor(t.name, t.type, t.ne, in.data().asSlice(start, t.bytes));
    }

    private static long alignUp(long position, long alignment) {
        return (position + alignment - 1) & -alignment;
    }

    /** Where the bytes of {@code t} (a tensor of this file, or rows of one) start in the file, or -1 if they are not in it. */
    @Override
    public long fileOffset(Tensor t) {
        long at = t.data().address() - data.address();
        return t.data().isNative() && at >= 0 && at + t.data().byteSize() <= data.byteSize() ? at : -1;
    }

    /** The GGUF version: 2 or 3. */
    public int version() {
        return version;
    }

    public GgufMetadata metadata() {
        return metadata;
    }

    /** Every tensor, in file order. */
    @Override
    public SequencedMap<String, Tensor> tensors() {
        return tensors;
    }

    /** Offset of the data section: the end of the tensor infos rounded up to {@link #alignment()}. */
    public long dataOffset() {
        return dataOffset;
    }

    /** Alignment of the data section and of every tensor in it ({@value #DEFAULT_ALIGNMENT} unless the file sets {@value #ALIGNMENT_KEY}). */
    public long alignment() {
        return alignment;
    }

    @Override
    public Path path() {
        return path;
    }

    public long fileSize() {
        return fileSize;
    }

    /** Unmaps the file; every tensor view becomes invalid. Closing twice does nothing. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "GgufFile[" + path + ", v" + version + ", " + metadata.size() + " keys, " + tensors.size() + " tensors]";
    }
}
