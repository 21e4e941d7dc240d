package dev.llamasimd.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.tensor.GgmlType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Damaged and hostile files: each must give a {@link ModelFormatException} naming the file, the problem and the offset. */
class GgufBadFilesTest {
    @TempDir
    Path dir;

    private static final long TB = 1L << 40;

    /** Writes {@code content} and expects opening it to fail with every fragment in the message. */
    private ModelFormatException assertBad(byte[] content, String... fragments) throws IOException {
        Path file = dir.resolve("bad.gguf");
        Files.write(file, content);
        ModelFormatException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(ModelFormatException.class, () -> GgufFile.open(file).close()));
        assertEquals(file, e.file());
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "'" + f + "' not in: " + e.getMessage());
        }
        return e;
    }

    /** A valid header start with one tensor and one key, whose value follows. */
    private static GgufBytes oneKey(String key, GgufValueType type) {
        return GgufBytes.header(3, 0, 1).key(key, type);
    }

    /** A file with the given tensor infos after one key, padded, with {@code dataBytes} of data. */
    private static byte[] withTensors(int dataBytes, TensorLine... tensors) {
        GgufBytes b = GgufBytes.header(3, tensors.length, 1).key("general.architecture", GgufValueType.STRING).str("llama");
        for (TensorLine t : tensors) {
            b.tensorInfo(t.name, t.type, t.offset, t.ne);
        }
        return b.padTo(32).zeros(dataBytes).toArray();
    }

    private record TensorLine(String name, GgmlType type, long offset, long... ne) {}

    @Test
    void validHandMadeFileOpens() throws IOException {
        Path file = dir.resolve("good.gguf");
        Files.write(file, withTensors(64, new TensorLine("a", GgmlType.F32, 0, 4, 2), new TensorLine("b", GgmlType.F16, 32, 16)));
        try (GgufFile g = GgufFile.open(file)) {
            assertEquals(2, g.tensors().size());
            assertEquals(32, g.tensor("b").data().byteSize());
        }
    }

    @Test
    void emptyFile() throws IOException {
        assertBad(new byte[0], "empty file");
    }

    @Test
    void wrongMagic() throws IOException {
        ModelFormatException e = assertBad("PK\u0003\u0004 not gguf at all".getBytes(StandardCharsets.ISO_8859_1),
                "not a GGUF file", "50 4b 03 04");
        assertEquals(0, e.offset());
        assertBad("GG".getBytes(StandardCharsets.US_ASCII), "magic", "needs 4 bytes", "only 2");
        assertBad("XY".getBytes(StandardCharsets.US_ASCII), "not a GGUF file");
    }

    @Test
    void versions() throws IOException {
        assertEquals(4, assertBad(GgufBytes.header(1, 0, 0).toArray(), "version 1 is not supported").offset());
        assertBad(GgufBytes.header(4, 0, 0).toArray(), "unsupported GGUF version 4");
        assertBad(GgufBytes.header(Integer.reverseBytes(3), 0, 0).toArray(), "big-endian", "version 3");
        assertBad(GgufBytes.header(Integer.reverseBytes(2), 0, 0).toArray(), "big-endian", "version 2");
        try (GgufFile g = GgufFile.open(Files.write(dir.resolve("v2.gguf"), GgufBytes.header(2, 0, 0).toArray()))) {
            assertEquals(2, g.version());
        }
    }

    /** Every cut through the header and the tensor data of a valid file fails cleanly. */
    @Test
    void truncatedAtEveryByte() throws IOException {
        Path valid = dir.resolve("valid.gguf");
        try (GgufWriter w = GgufWriter.create(valid)) {
            GgufRoundTripTest.putEveryType(w);
            w.addTensor("a", GgmlType.F32, 3, 2).addTensor("b", GgmlType.Q8_0, 32);
            w.writeTensorData("a", new float[6]);
            w.writeTensorData("b", new float[32]);
        }
        byte[] bytes = Files.readAllBytes(valid);
        long dataOffset;
        long end;
        try (GgufFile g = GgufFile.open(valid)) {
            dataOffset = g.dataOffset();
            end = dataOffset + 32 + 34; // "b" ends here; only the padding after it may go
        }
        for (int cut = 0; cut < end; cut++) {
            ModelFormatException e = assertBad(Arrays.copyOf(bytes, cut));
            assertTrue(cut == 0 || e.offset() <= cut, () -> e.getMessage());
            if (cut >= dataOffset) {
                String needed = String.format(Locale.ROOT, " of the %,d bytes", end);
                assertTrue(e.getMessage().contains("the file is truncated") && e.getMessage().contains(needed), e.getMessage());
            }
        }
    }

    /** A download cut short in the tensor data says so, with the size the header describes and the size there is. */
    @Test
    void truncatedDownloadIsToldApartFromABadOffset() throws IOException {
        byte[] full = withTensors(96, new TensorLine("token_embd.weight", GgmlType.F32, 0, 8),
                new TensorLine("blk.0.attn_q.weight", GgmlType.F32, 32, 16));
        int size = full.length - 40;
        ModelFormatException e = assertBad(Arrays.copyOf(full, size), "tensor 'blk.0.attn_q.weight'",
                "runs past the end of the file (size " + size + ")", "the file is truncated",
                size + " of the " + full.length + " bytes its header describes", "probably incomplete");
        assertTrue(e.offset() > 0 && e.offset() < size, e.getMessage());

        ModelFormatException bad = assertBad(withTensors(32, new TensorLine("w", GgmlType.F32, 64, 8)), "tensor 'w'",
                "past the end");
        assertTrue(!bad.getMessage().contains("truncated"), "a tensor after a gap is a bad offset: " + bad.getMessage());
    }

    @Test
    void truncatedTensorData() throws IOException {
        byte[] full = withTensors(64, new TensorLine("blk.0.attn_q.weight", GgmlType.F32, 32, 8));
        ModelFormatException e = assertBad(Arrays.copyOf(full, full.length - 1),
                "tensor 'blk.0.attn_q.weight'", "data at [", "runs past the end of the file (size " + (full.length - 1) + ")");
        assertTrue(e.offset() > 0);
    }

    @Test
    void tensorOffsetPastTheEnd() throws IOException {
        GgufBytes b = GgufBytes.header(3, 1, 0);
        int offsetAt = b.position() + 8 + 1 + 4 + 8 + 4;
        b.tensorInfo("w", GgmlType.F32, TB, 8).padTo(32).zeros(32);
        ModelFormatException e = assertBad(b.toArray(), "tensor 'w'", "data offset 1099511627776 is past the end");
        assertEquals(offsetAt, e.offset());
        assertBad(withTensors(32, new TensorLine("w", GgmlType.F32, -32, 8)), "tensor 'w'", "18446744073709551584", "past the end");
    }

    @Test
    void unalignedTensorOffset() throws IOException {
        assertBad(withTensors(64, new TensorLine("w", GgmlType.F32, 4, 8)), "tensor 'w'", "data offset 4", "alignment 32");
    }

    @Test
    void unknownTensorType() throws IOException {
        GgufBytes b = GgufBytes.header(3, 1, 0).str("w").u32(1).u64(8);
        int typeAt = b.position();
        b.u32(99).u64(0).padTo(32).zeros(32);
        ModelFormatException e = assertBad(b.toArray(), "tensor #0 'w'", "unknown ggml type id 99");
        assertEquals(typeAt, e.offset());
        assertBad(GgufBytes.header(3, 1, 0).str("w").u32(1).u64(8).u32(0xFFFF_FFFFL).u64(0).toArray(), "unknown ggml type id 4294967295");
    }

    @Test
    void badShapes() throws IOException {
        GgufBytes b = GgufBytes.header(3, 1, 0).str("w");
        int dimsAt = b.position();
        b.u32(9).zeros(100);
        assertEquals(dimsAt, assertBad(b.toArray(), "tensor #0 'w'", "n_dims 9 exceeds the maximum of 4").offset());
        assertBad(withTensors(64, new TensorLine("q", GgmlType.Q8_0, 0, 33)), "ne[0] = 33", "block size 32");
        assertBad(withTensors(1024, new TensorLine("k", GgmlType.Q4_K, 0, 192, 2)), "'k'", "ne[0] = 192",
                "Q4_K block size 256");
        assertBad(withTensors(64, new TensorLine("n", GgmlType.F32, 0, 2, -1)), "ne[1] = 18446744073709551615");
        assertBad(withTensors(64, new TensorLine("o", GgmlType.F32, 0, 1L << 32, 1L << 32)), "'o'", "more than 2^63 elements");
        assertBad(withTensors(64, new TensorLine("p", GgmlType.F32, 0, 1L << 62)), "'p'", "more than 2^63 bytes");
    }

    @Test
    void duplicateTensorName() throws IOException {
        assertBad(withTensors(64, new TensorLine("w", GgmlType.F32, 0, 4), new TensorLine("w", GgmlType.F32, 32, 4)),
                "tensor #1 'w'", "duplicate tensor name (also tensor #0)");
    }

    @Test
    void duplicateKey() throws IOException {
        assertBad(GgufBytes.header(3, 0, 2).key("k", GgufValueType.UINT8).u8(1).key("k", GgufValueType.UINT8).u8(2).toArray(),
                "key #1 'k'", "duplicate key");
    }

    @Test
    void unknownValueType() throws IOException {
        GgufBytes b = GgufBytes.header(3, 0, 1).str("general.name");
        int typeAt = b.position();
        b.u32(13).u64(0);
        assertEquals(typeAt, assertBad(b.toArray(), "key #0 'general.name'", "unknown value type id 13").offset());
        assertBad(oneKey("a", GgufValueType.ARRAY).u32(77).u64(0).toArray(), "key #0 'a' element type", "unknown value type id 77");
    }

    @Test
    void hugeCountsFailFast() throws IOException {
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            assertEquals(16, assertBad(GgufBytes.header(3, 0, TB).toArray(), "metadata key count 1099511627776").offset());
            assertBad(GgufBytes.header(3, TB, 0).zeros(64).toArray(), "tensor count 1099511627776", "exceeds the 64 bytes left");
            assertBad(GgufBytes.header(3, -1, 0).toArray(), "tensor count 18446744073709551615");
            for (GgufValueType t : GgufValueType.values()) {
                assertBad(oneKey("big", GgufValueType.ARRAY).u32(t.id).u64(TB).zeros(100).toArray(),
                        "key #0 'big' element count 1099511627776", "exceeds the 100 bytes left");
            }
            assertBad(oneKey("neg", GgufValueType.ARRAY).u32(GgufValueType.UINT8.id).u64(-1).toArray(), "18446744073709551615");
        });
    }

    @Test
    void hugeStringLength() throws IOException {
        GgufBytes b = oneKey("general.name", GgufValueType.STRING);
        int lengthAt = b.position();
        b.u64(1L << 62).zeros(120);
        ModelFormatException e = assertBad(b.toArray(), "key #0 'general.name': string length 4611686018427387904 exceeds the 120 bytes left");
        assertEquals(lengthAt, e.offset());
        assertBad(GgufBytes.header(3, 0, 1).u64(-1).zeros(20).toArray(), "key #0 name: string length 18446744073709551615");
        assertBad(oneKey("toks", GgufValueType.ARRAY).u32(GgufValueType.STRING.id).u64(2).str("ok").u64(9_999_999_999L).zeros(10).toArray(),
                "key #0 'toks'[1]: string length 9999999999 exceeds the 10 bytes left");
    }

    @Test
    void arraysNestedTooDeep() throws IOException {
        GgufBytes ok = oneKey("deep", GgufValueType.ARRAY);
        for (int i = 1; i < GgufArray.MAX_DEPTH; i++) {
            ok.u32(GgufValueType.ARRAY.id).u64(1);
        }
        ok.u32(GgufValueType.UINT8.id).u64(0);
        try (GgufFile g = GgufFile.open(Files.write(dir.resolve("deep.gguf"), ok.toArray()))) {
            assertEquals(GgufArray.MAX_DEPTH, ((GgufArray) g.metadata().get("deep")).depth());
        }
        GgufBytes b = oneKey("deep", GgufValueType.ARRAY);
        for (int i = 0; i < 1000; i++) {
            b.u32(GgufValueType.ARRAY.id).u64(1);
        }
        assertBad(b.toArray(), "key #0 'deep'[0][0][0][0][0][0][0]", "nested more than 8 deep");
    }

    @Test
    void invalidUtf8() throws IOException {
        GgufBytes b = oneKey("s", GgufValueType.STRING).u64(3).raw((byte) 'a');
        int badAt = b.position();
        b.raw((byte) 0xC3, (byte) 'b');
        assertEquals(badAt, assertBad(b.toArray(), "key #0 's'", "invalid UTF-8").offset());
        assertBad(GgufBytes.header(3, 0, 1).u64(1).raw((byte) 0xFF).u32(0).u8(0).toArray(), "key #0 name", "invalid UTF-8");
        assertBad(GgufBytes.header(3, 1, 0).u64(2).raw((byte) 0xED, (byte) 0xA0).u32(0).u32(0).u64(0).toArray(),
                "tensor #0 name", "invalid UTF-8");
    }

    @Test
    void badBool() throws IOException {
        assertBad(oneKey("b", GgufValueType.BOOL).u8(2).toArray(), "key #0 'b'", "bool value 2");
    }

    @Test
    void badAlignment() throws IOException {
        assertBad(oneKey(GgufFile.ALIGNMENT_KEY, GgufValueType.UINT32).u32(24).toArray(),
                "metadata key 'general.alignment'", "24 is not a power of two");
        assertBad(oneKey(GgufFile.ALIGNMENT_KEY, GgufValueType.UINT32).u32(0).toArray(), "0 is not a power of two");
        assertBad(oneKey(GgufFile.ALIGNMENT_KEY, GgufValueType.INT32).u32(32).toArray(), "must be a UINT32, is INT32");
    }
}
