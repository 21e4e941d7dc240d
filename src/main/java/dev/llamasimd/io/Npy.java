package dev.llamasimd.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npy} files of little-endian float32 in C order: written as format version 1.0
 * (what {@code numpy.save} writes for such an array), read back from versions 1.0, 2.0 and 3.0.
 *
 * <p>Layout: the magic {@code \x93NUMPY}, the version bytes, the header length (u16 LE in
 * version 1, u32 LE after), then the header, a Python dict literal such as
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }} padded with spaces and
 * ending in {@code '\n'} so that the data starts at a multiple of 64 bytes, then the data.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int ALIGN = 64;
    private static final ValueLayout.OfFloat FLOAT_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_LE =
            ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {}

    /** An array read from a {@code .npy} file: its shape (outermost first) and values in C order. */
    public record Floats(long[] shape, float[] data) {
        public Floats {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        @Override
        public String toString() {
            return "Floats" + Arrays.toString(shape);
        }
    }

    /**
     * Writes {@code data} as a {@code [rows, cols]} float32 array. The bytes go to a temporary file
     * beside the target, which is then renamed into place, replacing any existing file.
     *
     * @throws IllegalArgumentException if {@code data.length != rows * cols}
     * @throws UncheckedIOException if writing fails
     */
    public static void write(Path file, float[] data, int rows, int cols) {
        if (rows < 0 || cols < 0 || (long) rows * cols != data.length) {
            throw new IllegalArgumentException("shape [" + rows + ", " + cols + "] does not hold "
                    + data.length + " values");
        }
        Path target = file.toAbsolutePath();
        Path temp = target.resolveSibling(target.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        try {
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writeFully(out, ByteBuffer.wrap(header(rows, cols)));
                ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
                for (int k = 0; k < data.length; ) {
                    int n = Math.min(data.length - k, chunk.capacity() / Float.BYTES);
                    chunk.clear();
                    chunk.asFloatBuffer().put(data, k, n);
                    chunk.limit(n * Float.BYTES);
                    writeFully(out, chunk);
                    k += n;
                }
            }
            try {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    /** Magic, version 1.0, header length and the padded header for a float32 {@code [rows, cols]} array. */
    private static byte[] header(int rows, int cols) {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
        int padding = (ALIGN - unpadded % ALIGN) % ALIGN;
        String text = dict + " ".repeat(padding) + "\n";
        ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 4 + text.length()).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) text.length());
        b.put(text.getBytes(StandardCharsets.US_ASCII));
        return b.array();
    }

    /**
     * Reads a little-endian float32, C-order {@code .npy} file.
     *
     * @throws ModelFormatException naming the file if it is not such a file (another dtype, Fortran
     *     order, a size that does not match the shape)
     * @throws UncheckedIOException if it cannot be read
     */
    public static Floats readFloats(Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
             Arena arena = Arena.ofConfined()) {
            long size = channel.size();
            MemorySegment m = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            if (size < 10
                    || MemorySegment.mismatch(m, 0, MAGIC.length, MemorySegment.ofArray(MAGIC), 0, MAGIC.length) != -1) {
                throw new ModelFormatException(file, 0, "not a .npy file (no \\x93NUMPY magic)");
            }
            int major = m.get(ValueLayout.JAVA_BYTE, 6);
            if (major < 1 || major > 3) {
                throw new ModelFormatException(file, 6, "unsupported .npy format version " + major);
            }
            long headerStart = major == 1 ? 10 : 12;
            long headerLength = major == 1 ? Short.toUnsignedLong(m.get(SHORT_LE, 8))
                    : size < headerStart ? -1 : Integer.toUnsignedLong(m.get(INT_LE, 8));
            if (headerLength < 0 || headerStart + headerLength > size) {
                throw new ModelFormatException(file, 8, "header length runs past the end of the "
                        + size + "-byte file");
            }
            String header = new String(m.asSlice(headerStart, headerLength).toArray(ValueLayout.JAVA_BYTE),
                    major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            String descr = group(file, headerStart, DESCR, header, "descr");
            if (!descr.equals("<f4")) {
                throw new ModelFormatException(file, headerStart, "dtype '" + descr + "' is not supported, only '<f4'");
            }
            if (group(file, headerStart, FORTRAN, header, "fortran_order").equals("True")) {
                throw new ModelFormatException(file, headerStart, "Fortran-order arrays are not supported, only C order");
            }
            long[] shape = shape(file, headerStart, group(file, headerStart, SHAPE, header, "shape"));
            long count = 1;
            for (long d : shape) {
                count = Math.multiplyExact(count, d);
            }
            long dataStart = headerStart + headerLength;
            if (count > Integer.MAX_VALUE - 8 || 4 * count != size - dataStart) {
                throw new ModelFormatException(file, dataStart, "shape " + Arrays.toString(shape) + " needs "
                        + 4 * count + " bytes of data, the file has " + (size - dataStart));
            }
            float[] data = new float[(int) count];
            MemorySegment.copy(m, FLOAT_LE, dataStart, data, 0, data.length);
            return new Floats(shape, data);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (ArithmeticException e) {
            throw new ModelFormatException(file, "the shape's element count overflows", e);
        }
    }

    private static String group(Path file, long offset, Pattern pattern, String header, String key) {
        Matcher matcher = pattern.matcher(header);
        if (!matcher.find()) {
            throw new ModelFormatException(file, offset, "header has no valid '" + key + "': " + header.strip());
        }
        return matcher.group(1);
    }

    private static long[] shape(Path file, long offset, String tuple) {
        String[] parts = tuple.split(",");
        int n = parts.length > 0 && parts[parts.length - 1].isBlank() ? parts.length - 1 : parts.length;
        long[] shape = new long[n];
        for (int k = 0; k < n; k++) {
            try {
                shape[k] = Long.parseLong(parts[k].strip());
            } catch (NumberFormatException e) {
                throw new ModelFormatException(file, offset, "shape (" + tuple + ") is not a tuple of integers");
            }
            if (shape[k] < 0) {
                throw new ModelFormatException(file, offset, "shape (" + tuple + ") has a negative dimension");
            }
        }
        return shape;
    }
}
