package dev.llamasimd.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.io.SafetensorsFixtures.Entry;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Quant;
import dev.llamasimd.tensor.Tensor;
import dev.llamasimd.testing.Shared;
import java.io.RandomAccessFile;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE_LE =
            ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path dir;

    private static byte[] le(int bytesPerValue, long... values) {
        ByteBuffer b = ByteBuffer.allocate(bytesPerValue * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            switch (bytesPerValue) {
                case 1 -> b.put((byte) v);
                case 2 -> b.putShort((short) v);
                case 4 -> b.putInt((int) v);
                default -> b.putLong(v);
            }
        }
        return b.array();
    }

    @Test
    void roundTripOfEveryDtype() throws Exception {
        float[] f32 = {1.5f, -2f, 3.25f, 0f, -0f, Float.MIN_VALUE};
        List<Entry> entries = List.of(
                Entry.f32("w.f32", new long[] {2, 3}, f32),
                new Entry("w.f16", "F16", new long[] {3}, le(2, Float.floatToFloat16(0.5f),
                        Float.floatToFloat16(-1f), Float.floatToFloat16(65504f))),
                new Entry("w.bf16", "BF16", new long[] {2, 2}, le(2, Quant.floatToBf16(1f), Quant.floatToBf16(-3f),
                        Quant.floatToBf16(0.5f), Quant.floatToBf16(1e30f))),
                new Entry("w.f64", "F64", new long[] {2}, le(8, Double.doubleToLongBits(Math.PI),
                        Double.doubleToLongBits(-1e300))),
                new Entry("w.i8", "I8", new long[] {1, 1, 3}, le(1, -128, 0, 127)),
                new Entry("w.i16", "I16", new long[] {2}, le(2, -32768, 32767)),
                new Entry("input_ids", "I32", new long[] {4}, le(4, 1, 2, -3, Integer.MAX_VALUE)),
                new Entry("w.i64", "I64", new long[] {1}, le(8, Long.MIN_VALUE)),
                Entry.f32("scalar", new long[] {}, 42f),
                new Entry("empty", "F32", new long[] {0, 4}, new byte[0]),
                Entry.f32("ünï \"quoted\" \\ name", new long[] {1}, 7f));
        Path file = dir.resolve("all.safetensors");
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("note", "ünïcode \"q\"");
        SafetensorsFixtures.write(file, meta, entries);

        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals(file, st.path());
            assertEquals(meta, st.metadata());
            assertEquals(entries.stream().map(Entry::name).toList(), List.copyOf(st.tensors().keySet()));
            Map<String, GgmlType> types = Map.of("F32", GgmlType.F32, "F16", GgmlType.F16, "BF16", GgmlType.BF16,
                    "F64", GgmlType.F64, "I8", GgmlType.I8, "I16", GgmlType.I16, "I32", GgmlType.I32,
                    "I64", GgmlType.I64);
            for (Entry e : entries) {
                Tensor t = st.tensor(e.name());
                assertEquals(e.name(), t.name());
                assertEquals(types.get(e.dtype()), t.type(), e.name());
                assertEquals(Entry.of(t).shape().length, e.shape().length);
                assertArrayEquals(e.shape(), Entry.of(t).shape(), e.name());
                assertArrayEquals(e.data(), t.data().toArray(ValueLayout.JAVA_BYTE), e.name());
                assertTrue(t.data().isReadOnly(), "a view of a read-only mapping");
                assertTrue(t.data().isMapped(), "a slice of the mapped file, not a copy");
            }
            Tensor w = st.tensor("w.f32");
            assertArrayEquals(new long[] {3, 2}, w.ne(), "ggml order: ne[0] is the contiguous dimension");
            assertEquals(3, w.cols());
            assertEquals(2, w.rows());
            float[] back = new float[6];
            Quant.dequantize(GgmlType.F32, w.data(), 0, back, 0, 6);
            assertArrayEquals(f32, back);
            float[] bf = new float[4];
            Quant.dequantize(GgmlType.BF16, st.tensor("w.bf16").data(), 0, bf, 0, 4);
            assertArrayEquals(new float[] {1f, -3f, 0.5f, Quant.bf16ToFloat(Quant.floatToBf16(1e30f))}, bf);
            float[] f16 = new float[3];
            Quant.dequantize(GgmlType.F16, st.tensor("w.f16").data(), 0, f16, 0, 3);
            assertArrayEquals(new float[] {0.5f, -1f, 65504f}, f16);
            assertEquals(Math.PI, st.tensor("w.f64").data().get(DOUBLE_LE, 0));
            assertEquals(Long.MIN_VALUE, st.tensor("w.i64").data().get(LONG_LE, 0));
            assertEquals(-3, st.tensor("input_ids").data().get(INT_LE, 8));
            assertArrayEquals(new long[] {3, 1, 1}, st.tensor("w.i8").ne());
            assertEquals(0, st.tensor("scalar").rank());
            assertEquals(1, st.tensor("scalar").elementCount());
            assertArrayEquals(new long[] {4, 0}, st.tensor("empty").ne());
            assertTrue(st.dataStart() > 8 && (st.dataStart() - 8) % 8 == 0);
            assertEquals(Files.size(file), st.dataStart() + entries.stream().mapToLong(e -> e.data().length).sum());
            assertNull(st.optionalTensor("absent"));
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> st.tensor("absent"));
            assertEquals(file, e.file());
        }
    }

    @Test
    void tensorsAreInDataOrderWhateverTheHeaderOrder() throws Exception {
        Path file = dir.resolve("order.safetensors");
        String header = "{" + SafetensorsFixtures.tensorJson("c", "F32", new long[] {1}, 8, 12) + ","
                + SafetensorsFixtures.tensorJson("a", "F32", new long[] {1}, 4, 8) + ","
                + SafetensorsFixtures.tensorJson("b", "F32", new long[] {1}, 0, 4) + "}";
        SafetensorsFixtures.writeRaw(file, header, le(4, Float.floatToIntBits(0f), Float.floatToIntBits(1f),
                Float.floatToIntBits(2f)));
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals(List.of("b", "a", "c"), List.copyOf(st.tensors().keySet()));
            assertEquals(2f, st.tensor("c").data().get(Quant.FLOAT_LE, 0));
            assertEquals(Map.of(), st.metadata());
        }
    }

    @Test
    void closeUnmapsAndIsIdempotent() throws Exception {
        Path file = dir.resolve("c.safetensors");
        SafetensorsFixtures.write(file, Map.of(), List.of(Entry.f32("x", new long[] {2}, 1f, 2f)));
        SafetensorsFile st = SafetensorsFile.open(file);
        Tensor x = st.tensor("x");
        assertEquals(2f, x.data().get(Quant.FLOAT_LE, 4));
        st.close();
        st.close();
        assertThrows(IllegalStateException.class, () -> x.data().get(Quant.FLOAT_LE, 4));
    }

    @Test
    void readsTheSeedOracle() {
        Path seed = Shared.require("oracles/hf/seed");
        try (SafetensorsFile model = SafetensorsFile.open(seed.resolve("model.safetensors"));
             SafetensorsFile golden = SafetensorsFile.open(seed.resolve("golden.safetensors"))) {
            assertEquals(21, model.tensors().size());
            assertEquals(Map.of("format", "pt"), model.metadata());
            for (Tensor t : model.tensors().values()) {
                assertEquals(GgmlType.F32, t.type(), t.name());
            }
            assertArrayEquals(new long[] {256, 100}, model.tensor("model.embed_tokens.weight").ne());
            assertArrayEquals(new long[] {256, 256}, model.tensor("model.layers.0.self_attn.q_proj.weight").ne());
            assertArrayEquals(new long[] {256, 512}, model.tensor("model.layers.1.mlp.gate_proj.weight").ne());
            Tensor down = model.tensor("model.layers.1.mlp.down_proj.weight");
            assertArrayEquals(new long[] {512, 256}, down.ne());
            assertEquals(0.01193824503570795f, down.data().get(Quant.FLOAT_LE, 4L * (5 * 512 + 7)), "row 5, col 7");
            assertArrayEquals(new long[] {256}, model.tensor("model.norm.weight").ne());
            assertArrayEquals(new long[] {256, 100}, model.tensor("lm_head.weight").ne());

            assertEquals("seed", golden.metadata().get("case"));
            Tensor ids = golden.tensor("input_ids");
            assertEquals(GgmlType.I32, ids.type());
            assertArrayEquals(new long[] {10}, ids.ne());
            assertArrayEquals(new int[] {40, 40, 19, 93, 26, 29, 88, 23, 0, 94}, ids.data().toArray(INT_LE));
            Tensor logits = golden.tensor("logits");
            assertEquals(GgmlType.F32, logits.type());
            assertArrayEquals(new long[] {100, 10}, logits.ne());
            assertEquals(0.17695346474647522f, logits.data().get(Quant.FLOAT_LE, 0));
            assertEquals(0.09221507608890533f, logits.data().get(Quant.FLOAT_LE, 4L * (9 * 100 + 99)));
            // The README: greedy decoding repeats token 12, and generated_ids[k] == argmax(step_logits[k]).
            int[] generated = golden.tensor("generated_ids").data().toArray(INT_LE);
            Tensor step = golden.tensor("step_logits");
            assertArrayEquals(new long[] {100, 16}, step.ne());
            for (int k = 0; k < 16; k++) {
                assertEquals(12, generated[k]);
                float[] row = new float[100];
                Quant.dequantize(GgmlType.F32, step.data(), step.rowBytes() * k, row, 0, 100);
                int best = 0;
                for (int j = 1; j < 100; j++) {
                    best = row[j] > row[best] ? j : best;
                }
                assertEquals(generated[k], best, "row " + k);
            }
        }
    }

    @Test
    void readsTheBf16Oracle() {
        try (SafetensorsFile model = SafetensorsFile.open(
                Shared.require("oracles/hf/bf16/model.safetensors"))) {
            assertEquals(30, model.tensors().size());
            for (Tensor t : model.tensors().values()) {
                assertEquals(GgmlType.BF16, t.type(), t.name());
            }
            Tensor embed = model.tensor("model.embed_tokens.weight");
            assertArrayEquals(new long[] {128, 256}, embed.ne());
            float[] row = new float[128];
            Quant.dequantize(GgmlType.BF16, embed.data(), embed.rowBytes() * 3, row, 0, 128);
            assertEquals(0.000720977783203125f, row[5]);
            assertArrayEquals(new long[] {128, 32}, model.tensor("model.layers.2.self_attn.k_proj.weight").ne());
            Tensor head = model.tensor("lm_head.weight");
            assertEquals(-0.000736236572265625f, Quant.bf16ToFloat(head.data().get(Quant.SHORT_LE, head.data().byteSize() - 2)));
        }
    }

    // ---- malformed files: each must be a ModelFormatException naming the file (and the tensor) ----

    private ModelFormatException bad(Path file) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(file).close());
        assertEquals(file, e.file());
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        return e;
    }

    private ModelFormatException badHeader(String header, byte[] data) throws Exception {
        Path file = dir.resolve("bad.safetensors");
        SafetensorsFixtures.writeRaw(file, header, data);
        return bad(file);
    }

    private ModelFormatException badTensor(String name, String dtype, long[] shape, long begin, long end, int dataBytes)
            throws Exception {
        ModelFormatException e = badHeader("{" + SafetensorsFixtures.tensorJson(name, dtype, shape, begin, end) + "}",
                new byte[dataBytes]);
        assertContains(e, "tensor '" + name + "'");
        return e;
    }

    private static void assertContains(Exception e, String part) {
        assertTrue(e.getMessage().contains(part), () -> "'" + e.getMessage() + "' should contain '" + part + "'");
    }

    @Test
    void tooShortForTheLengthField() throws Exception {
        Path file = dir.resolve("short.safetensors");
        Files.write(file, new byte[3]);
        assertContains(bad(file), "too short");
        Files.write(file, new byte[0]);
        assertContains(bad(file), "file is 0 bytes");
    }

    @Test
    void headerLengthLargerThanTheFile() throws Exception {
        Path file = dir.resolve("len.safetensors");
        SafetensorsFixtures.writeRaw(file, 1000, "{}".getBytes(StandardCharsets.US_ASCII), new byte[0]);
        ModelFormatException e = bad(file);
        assertEquals(0, e.offset());
        assertContains(e, "header length 1000 exceeds the 2 bytes");
    }

    @Test
    void headerLengthOfTwoToThe63AndAllOnes() throws Exception {
        Path file = dir.resolve("len63.safetensors");
        SafetensorsFixtures.writeRaw(file, Long.MIN_VALUE, "{}".getBytes(StandardCharsets.US_ASCII), new byte[0]);
        assertContains(bad(file), "header length 9223372036854775808 exceeds");
        SafetensorsFixtures.writeRaw(file, -1L, "{}".getBytes(StandardCharsets.US_ASCII), new byte[0]);
        assertContains(bad(file), "header length 18446744073709551615 exceeds");
    }

    @Test
    void headerLengthAboveTheCapIsRefusedBeforeReading() throws Exception {
        Path file = dir.resolve("huge.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(SafetensorsFile.MAX_HEADER_BYTES + 64);
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(SafetensorsFile.MAX_HEADER_BYTES + 8).array());
        }
        assertContains(bad(file), "exceeds the limit of " + SafetensorsFile.MAX_HEADER_BYTES);
    }

    @Test
    void truncatedHeaderJson() throws Exception {
        String full = "{" + SafetensorsFixtures.tensorJson("w", "F32", new long[] {1}, 0, 4) + "}";
        Path file = dir.resolve("trunc.safetensors");
        byte[] cut = full.substring(0, full.length() - 5).getBytes(StandardCharsets.US_ASCII);
        SafetensorsFixtures.writeRaw(file, cut.length, cut, new byte[4]);
        ModelFormatException e = bad(file);
        assertContains(e, "header: invalid JSON");
        assertContains(e, "end of input");
        assertEquals(8 + cut.length, e.offset());
    }

    @Test
    void headerThatIsNotAnObjectOrNotUtf8() throws Exception {
        assertContains(badHeader("[1, 2]", new byte[0]), "not an object");
        Path file = dir.resolve("utf.safetensors");
        byte[] h = {'{', '"', (byte) 0xff, '"', ':', '1', '}', ' '};
        SafetensorsFixtures.writeRaw(file, h.length, h, new byte[0]);
        ModelFormatException e = bad(file);
        assertContains(e, "not valid UTF-8");
        assertEquals(10, e.offset());
    }

    @Test
    void dataOffsetsPastTheEnd() throws Exception {
        ModelFormatException e = badTensor("model.norm.weight", "F32", new long[] {2}, 0, 8, 4);
        assertContains(e, "run past the end of the 4-byte data section");
        ModelFormatException far = badTensor("far", "F32", new long[] {1}, Long.MAX_VALUE - 4, Long.MAX_VALUE, 4);
        assertTrue(!far.getMessage().contains("truncated"), "a tensor after a hole is a bad offset: " + far.getMessage());
        ModelFormatException huge = badTensor("huge", "I8", new long[] {Long.MAX_VALUE - 3}, 0, Long.MAX_VALUE - 3, 4);
        assertTrue(!huge.getMessage().contains("truncated"), "no file is 2^63 bytes long: " + huge.getMessage());
    }

    /** A download cut short says so, with the size the header describes and the size there is. */
    @Test
    void truncatedFile() throws Exception {
        Path full = dir.resolve("full.safetensors");
        SafetensorsFixtures.write(full, Map.of(), List.of(
                Entry.f32("model.embed_tokens.weight", new long[] {2, 2}, 1, 2, 3, 4),
                Entry.f32("model.norm.weight", new long[] {2}, 5, 6)));
        byte[] bytes = Files.readAllBytes(full);
        Path cut = Files.write(dir.resolve("cut.safetensors"), Arrays.copyOf(bytes, bytes.length - 5));
        ModelFormatException e = bad(cut);
        assertContains(e, "tensor 'model.norm.weight': data_offsets [16, 24] run past the end of the 19-byte data section");
        assertContains(e, "the file is truncated, " + (bytes.length - 5) + " of the " + bytes.length + " bytes its header describes");
        assertContains(e, "probably incomplete");
    }

    @Test
    void sizeDoesNotMatchShape() throws Exception {
        ModelFormatException e = badTensor("lm_head.weight", "F32", new long[] {3}, 0, 8, 16);
        assertContains(e, "hold 8 bytes, but F32[3] needs 12");
        assertEquals(Files.size(dir.resolve("bad.safetensors")) - 16 + 0, e.offset(), "at the tensor's data (begin 0)");
        badTensor("w", "BF16", new long[] {2, 2}, 0, 16, 16);
    }

    @Test
    void beginAfterEnd() throws Exception {
        assertContains(badTensor("w", "F32", new long[] {0}, 8, 4, 16), "end before they begin");
    }

    @Test
    void unknownAndUnsupportedDtypes() throws Exception {
        assertContains(badTensor("w.q", "Q4_0", new long[] {32}, 0, 18, 18), "unknown dtype 'Q4_0'");
        assertContains(badTensor("mask", "BOOL", new long[] {4}, 0, 4, 4), "unsupported dtype 'BOOL'");
        assertContains(badTensor("bytes", "U8", new long[] {4}, 0, 4, 4), "unsupported dtype 'U8'");
        assertContains(badTensor("f8", "F8_E4M3", new long[] {4}, 0, 4, 4), "unsupported dtype 'F8_E4M3'");
        assertContains(badTensor("lower", "f32", new long[] {1}, 0, 4, 4), "unknown dtype 'f32'");
    }

    @Test
    void negativeOrOverflowingShape() throws Exception {
        assertContains(badTensor("neg", "F32", new long[] {-1, 4}, 0, 16, 16), "not a non-negative");
        assertContains(badTensor("big", "F32", new long[] {1L << 40, 1L << 40}, 0, 16, 16), "overflows 64 bits");
        assertContains(badTensor("big4", "F32", new long[] {1L << 62}, 0, 16, 16), "overflows 64 bits");
    }

    @Test
    void malformedEntries() throws Exception {
        assertContains(badHeader("{\"w\": 3}", new byte[0]), "tensor 'w' entry is a number (3), not an object");
        assertContains(badHeader("{\"w\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", new byte[4]),
                "tensor 'w' has no dtype");
        assertContains(badHeader("{\"w\": {\"dtype\": 5, \"shape\": [1], \"data_offsets\": [0, 4]}}", new byte[4]),
                "tensor 'w' dtype is a number (5), not a string");
        assertContains(badHeader("{\"w\": {\"dtype\": \"F32\", \"data_offsets\": [0, 4]}}", new byte[4]),
                "tensor 'w' has no shape");
        assertContains(badHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": 1, \"data_offsets\": [0, 4]}}", new byte[4]),
                "tensor 'w' shape is a number (1), not an array");
        assertContains(badHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [1.0], \"data_offsets\": [0, 4]}}",
                new byte[4]), "tensor 'w' shape [1.0] has an entry that is not a non-negative 64-bit integer");
        assertContains(badHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [99999999999999999999], \"data_offsets\": [0, 4]}}",
                new byte[4]), "tensor 'w' shape");
        assertContains(badHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4, 8]}}",
                new byte[8]), "tensor 'w' data_offsets [0, 4, 8] is not [begin, end]");
        assertContains(badHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [-4, 0]}}",
                new byte[8]), "tensor 'w' data_offsets");
        assertContains(badHeader("{\"__metadata__\": {\"format\": 1}}", new byte[0]),
                "__metadata__ value of 'format' is a number (1), not a string");
        assertContains(badHeader("{\"__metadata__\": [\"pt\"]}", new byte[0]), "__metadata__ is an array");
    }

    @Test
    void overlappingTensors() throws Exception {
        String header = "{" + SafetensorsFixtures.tensorJson("a", "F32", new long[] {2}, 0, 8) + ","
                + SafetensorsFixtures.tensorJson("b", "F32", new long[] {2}, 4, 12) + "}";
        ModelFormatException e = badHeader(header, new byte[12]);
        assertContains(e, "tensor 'b'");
        assertContains(e, "overlap those of tensor 'a'");
        String nested = "{" + SafetensorsFixtures.tensorJson("outer", "F32", new long[] {4}, 0, 16) + ","
                + SafetensorsFixtures.tensorJson("small", "F32", new long[] {1}, 4, 8) + ","
                + SafetensorsFixtures.tensorJson("late", "F32", new long[] {1}, 12, 16) + "}";
        assertContains(badHeader(nested, new byte[16]), "overlap those of tensor 'outer'");
    }

    @Test
    void zeroSizeTensorsAndGapsAreAccepted() throws Exception {
        Path file = dir.resolve("gaps.safetensors");
        String header = "{" + SafetensorsFixtures.tensorJson("a", "F32", new long[] {1}, 0, 4) + ","
                + SafetensorsFixtures.tensorJson("z", "F32", new long[] {0}, 2, 2) + ","
                + SafetensorsFixtures.tensorJson("b", "F32", new long[] {1}, 8, 12) + "}";
        SafetensorsFixtures.writeRaw(file, header, new byte[16]);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals(List.of("a", "z", "b"), List.copyOf(st.tensors().keySet()));
        }
    }
}
