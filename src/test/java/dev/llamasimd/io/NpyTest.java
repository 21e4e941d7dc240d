package dev.llamasimd.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
    @TempDir
    Path dir;

    @Test
    void writesNumpyVersion1Layout() throws Exception {
        Path file = dir.resolve("logits.npy");
        float[] data = new float[12];
        for (int k = 0; k < data.length; k++) {
            data[k] = k * 0.5f - 1;
        }
        Npy.write(file, data, 3, 4);
        byte[] bytes = Files.readAllBytes(file);
        assertArrayEquals(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}, Arrays.copyOf(bytes, 8));
        int headerLength = ByteBuffer.wrap(bytes, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff;
        int dataStart = 10 + headerLength;
        assertEquals(0, dataStart % 64, "data aligned to 64 bytes as numpy does");
        String header = new String(bytes, 10, headerLength, StandardCharsets.US_ASCII);
        assertTrue(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }"), header);
        assertTrue(header.endsWith("\n"));
        assertTrue(header.strip().endsWith("}"), "padded with spaces");
        assertEquals(dataStart + 48, bytes.length);
        assertEquals(data[5], ByteBuffer.wrap(bytes, dataStart + 20, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat());

        Npy.Floats back = Npy.readFloats(file);
        assertArrayEquals(new long[] {3, 4}, back.shape());
        assertArrayEquals(data, back.data());
    }

    @Property(tries = 60)
    void roundTripKeepsEveryBit(@ForAll @IntRange(max = 40) int rows, @ForAll @IntRange(max = 40) int cols,
                                @ForAll long seed) throws Exception {
        Path work = Files.createTempDirectory("npy");
        try {
            Path file = work.resolve("a.npy");
            float[] data = new float[rows * cols];
            var random = new Random(seed);
            for (int k = 0; k < data.length; k++) {
                data[k] = Float.intBitsToFloat(random.nextInt());
            }
            Npy.write(file, data, rows, cols);
            Npy.Floats back = Npy.readFloats(file);
            assertArrayEquals(new long[] {rows, cols}, back.shape());
            for (int k = 0; k < data.length; k++) {
                assertEquals(Float.floatToRawIntBits(data[k]), Float.floatToRawIntBits(back.data()[k]));
            }
            assertEquals(0, (Files.size(file) - 4L * data.length) % 64);
        } finally {
            try (Stream<Path> files = Files.list(work)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(work);
        }
    }

    @Test
    void overwritesAndLeavesNoTemporaryFile() throws Exception {
        Path file = dir.resolve("out.npy");
        Npy.write(file, new float[100], 10, 10);
        Npy.write(file, new float[] {1, 2}, 1, 2);
        assertArrayEquals(new float[] {1, 2}, Npy.readFloats(file).data());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
    }

    @Test
    void rejectsAShapeThatDoesNotHoldTheData() {
        assertThrows(IllegalArgumentException.class, () -> Npy.write(dir.resolve("x.npy"), new float[5], 2, 3));
        assertThrows(IllegalArgumentException.class, () -> Npy.write(dir.resolve("x.npy"), new float[0], -1, 0));
    }

    @Test
    void failsCleanlyWhenTheDirectoryIsMissing() {
        assertThrows(UncheckedIOException.class,
                () -> Npy.write(dir.resolve("no/such/dir/x.npy"), new float[1], 1, 1));
    }

    /** A hand-made .npy file: version, header dict (padded to 64), data. */
    private Path npy(int major, String dict, byte[] data) throws Exception {
        int prefix = major == 1 ? 10 : 12;
        int total = (prefix + dict.length() + 1 + 63) / 64 * 64;
        String header = dict + " ".repeat(total - prefix - dict.length() - 1) + "\n";
        var out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        ByteBuffer len = ByteBuffer.allocate(prefix - 8).order(ByteOrder.LITTLE_ENDIAN);
        if (major == 1) {
            len.putShort((short) header.length());
        } else {
            len.putInt(header.length());
        }
        out.write(len.array());
        out.write(header.getBytes(StandardCharsets.UTF_8));
        out.write(data);
        Path file = dir.resolve("hand.npy");
        Files.write(file, out.toByteArray());
        return file;
    }

    private static byte[] floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return b.array();
    }

    @Test
    void readsOtherShapesAndVersions() throws Exception {
        Npy.Floats v = Npy.readFloats(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", floats(1, 2, 3)));
        assertArrayEquals(new long[] {3}, v.shape());
        assertArrayEquals(new float[] {1, 2, 3}, v.data());
        v = Npy.readFloats(npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", floats(7)));
        assertArrayEquals(new long[] {}, v.shape());
        assertArrayEquals(new float[] {7}, v.data());
        v = Npy.readFloats(npy(2, "{'shape': (1, 2, 1), 'fortran_order': False, 'descr': '<f4'}", floats(4, 5)));
        assertArrayEquals(new long[] {1, 2, 1}, v.shape());
        v = Npy.readFloats(npy(3, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5), }", new byte[0]));
        assertEquals(0, v.data().length);
    }

    @Test
    void rejectsWhatItCannotRead() throws Exception {
        String ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
        assertRejected(npy(1, ok.replace("<f4", ">f4"), floats(1, 2)), "dtype '>f4' is not supported");
        assertRejected(npy(1, ok.replace("<f4", "<f8"), new byte[16]), "dtype '<f8' is not supported");
        assertRejected(npy(1, ok.replace("False", "True"), floats(1, 2)), "Fortran-order");
        assertRejected(npy(1, ok, floats(1)), "needs 8 bytes of data, the file has 4");
        assertRejected(npy(1, ok, floats(1, 2, 3)), "needs 8 bytes of data, the file has 12");
        assertRejected(npy(1, ok.replace("(2,)", "(2, -1)"), floats(1, 2)), "negative dimension");
        assertRejected(npy(1, ok.replace("(2,)", "(2, x)"), floats(1, 2)), "not a tuple of integers");
        assertRejected(npy(1, "{'descr': '<f4', 'shape': (2,), }", floats(1, 2)), "no valid 'fortran_order'");
        assertRejected(npy(4, ok, floats(1, 2)), "unsupported .npy format version 4");
        Path file = dir.resolve("junk.npy");
        Files.write(file, "not numpy at all".getBytes(StandardCharsets.US_ASCII));
        assertRejected(file, "not a .npy file");
        Files.write(file, new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) 0xff, 0x7f});
        assertRejected(file, "header length runs past the end");
    }

    private static void assertRejected(Path file, String part) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Npy.readFloats(file));
        assertEquals(file, e.file());
        assertTrue(e.getMessage().contains(part), () -> "'" + e.getMessage() + "' should contain '" + part + "'");
    }
}
