package dev.llamasimd.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Quant;
import dev.llamasimd.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GgufRoundTripTest {
    @TempDir
    Path dir;

    /** A tensor to write: its values, and the bytes they encode to. */
    record Spec(String name, GgmlType type, long[] ne, float[] values) {
        static Spec random(String name, GgmlType type, long seed, long... ne) {
            long n = 1;
            for (long d : ne) {
                n *= d;
            }
            Random random = new Random(seed);
            float[] values = new float[(int) n];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) random.nextGaussian();
            }
            return new Spec(name, type, ne, values);
        }

        MemorySegment encoded() {
            long cols = ne.length > 0 ? ne[0] : 1;
            MemorySegment out = MemorySegment.ofArray(new byte[(int) type.bytesFor(values.length)]);
            for (int r = 0; cols > 0 && r < values.length / cols; r++) {
                Quant.quantize(type, values, (int) (r * cols), (int) cols, out, r * type.bytesFor(cols));
            }
            return out;
        }
    }

    static final List<Spec> TENSORS = List.of(
            Spec.random("odd.f32", GgmlType.F32, 1, 7, 3),
            Spec.random("odd.f16", GgmlType.F16, 2, 5),
            Spec.random("odd.bf16", GgmlType.BF16, 3, 3, 2, 2),
            Spec.random("blocks.q8_0", GgmlType.Q8_0, 4, 64, 3),
            Spec.random("blocks.q4_0", GgmlType.Q4_0, 5, 32, 1, 3, 2),
            Spec.random("empty.f32", GgmlType.F32, 6, 0, 4),
            Spec.random("scalar.f16", GgmlType.F16, 7));

    /** One key of every value type, edge values, empty and nested arrays. */
    static void putEveryType(GgufWriter w) {
        w.putString("s.empty", "")
                .putString("s.unicode", "héllo ✓ 中文 😀")
                .putUint32("u32.max", 0xFFFF_FFFFL)
                .putInt32("i32.min", Integer.MIN_VALUE)
                .putUint64("u64.max", -1L)
                .putFloat32("f32", -1.5f)
                .putBool("bool.true", true)
                .putBool("bool.false", false)
                .put("u8", GgufValueType.UINT8, 255)
                .put("i8", GgufValueType.INT8, (byte) -128)
                .put("u16", GgufValueType.UINT16, 65535)
                .put("i16", GgufValueType.INT16, (short) -32768)
                .put("i64", GgufValueType.INT64, Long.MIN_VALUE)
                .put("f32.nan", GgufValueType.FLOAT32, Float.NaN)
                .put("f64", GgufValueType.FLOAT64, Math.PI)
                .putStringArray("a.strings", "<unk>", "", "▁the", "😀")
                .putFloatArray("a.floats", 0f, -0f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NEGATIVE_INFINITY)
                .putIntArray("a.ints", 1, -2, Integer.MAX_VALUE)
                .put("a.u8", GgufValueType.ARRAY, new GgufArray(GgufValueType.UINT8, new short[] {0, 1, 255}))
                .put("a.i8", GgufValueType.ARRAY, new GgufArray(GgufValueType.INT8, new byte[] {-128, 0, 127}))
                .put("a.u16", GgufValueType.ARRAY, new GgufArray(GgufValueType.UINT16, new int[] {0, 65535}))
                .put("a.i16", GgufValueType.ARRAY, new GgufArray(GgufValueType.INT16, new short[] {-32768, 32767}))
                .put("a.u32", GgufValueType.ARRAY, new GgufArray(GgufValueType.UINT32, new long[] {0, 0xFFFF_FFFFL}))
                .put("a.u64", GgufValueType.ARRAY, new GgufArray(GgufValueType.UINT64, new long[] {0, -1L}))
                .put("a.i64", GgufValueType.ARRAY, new GgufArray(GgufValueType.INT64, new long[] {Long.MIN_VALUE, 7}))
                .put("a.f64", GgufValueType.ARRAY, new GgufArray(GgufValueType.FLOAT64, new double[] {1e300, -0.0}))
                .put("a.bool", GgufValueType.ARRAY, new GgufArray(GgufValueType.BOOL, new boolean[] {true, false, true}));
        for (GgufValueType t : GgufValueType.values()) {
            Object empty = java.lang.reflect.Array.newInstance(t.arrayType.getComponentType(), 0);
            w.put("a.empty." + t, GgufValueType.ARRAY, new GgufArray(t, empty));
        }
        GgufArray inner = new GgufArray(GgufValueType.ARRAY, new GgufArray[] {
            new GgufArray(GgufValueType.UINT8, new short[] {9})});
        w.put("a.nested", GgufValueType.ARRAY, new GgufArray(GgufValueType.ARRAY, new GgufArray[] {
            new GgufArray(GgufValueType.INT32, new int[] {1, 2, 3}),
            new GgufArray(GgufValueType.STRING, new String[] {"x", "yz"}),
            new GgufArray(GgufValueType.FLOAT32, new float[0]),
            inner}));
    }

    private Path writeEveryType(String name) throws IOException {
        Path file = dir.resolve(name);
        try (GgufWriter w = GgufWriter.create(file)) {
            putEveryType(w);
            for (Spec t : TENSORS) {
                w.addTensor(t.name, t.type, t.ne);
            }
            for (Spec t : TENSORS) {
                if (t.type == GgmlType.Q8_0) {
                    w.writeTensorData(t.name, t.encoded());
                } else {
                    w.writeTensorData(t.name, t.values);
                }
            }
        }
        return file;
    }

    @Test
    void everyValueTypeAndTensorTypeRoundTrips() throws IOException {
        Path file = writeEveryType("every.gguf");
        Path expected = dir.resolve("expected.gguf");
        try (GgufWriter w = GgufWriter.create(expected)) {
            putEveryType(w);
        }
        try (GgufFile g = GgufFile.open(file); GgufFile meta = GgufFile.open(expected)) {
            assertEquals(3, g.version());
            assertEquals(32, g.alignment());
            assertEquals(0, g.dataOffset() % 32);
            assertEquals(Files.size(file), g.fileSize());
            assertEquals(file, g.path());
            assertEquals(List.copyOf(meta.metadata().keys()), List.copyOf(g.metadata().keys()));
            assertEquals(0, meta.tensors().size());

            GgufMetadata m = g.metadata();
            assertEquals((short) 255, m.get("u8"));
            assertEquals((byte) -128, m.get("i8"));
            assertEquals(65535, m.get("u16"));
            assertEquals((short) -32768, m.get("i16"));
            assertEquals(0xFFFF_FFFFL, m.get("u32.max"));
            assertEquals(Integer.MIN_VALUE, m.get("i32.min"));
            assertEquals(-1L, m.get("u64.max"));
            assertEquals(Long.MIN_VALUE, m.get("i64"));
            assertEquals(-1.5f, m.get("f32"));
            assertEquals(Float.NaN, m.get("f32.nan"));
            assertEquals(Math.PI, m.get("f64"));
            assertEquals(true, m.get("bool.true"));
            assertEquals(false, m.get("bool.false"));
            assertEquals("", m.get("s.empty"));
            assertEquals("héllo ✓ 中文 😀", m.get("s.unicode"));
            assertEquals(GgufValueType.UINT32, m.valueType("u32.max"));
            assertEquals(new GgufArray(GgufValueType.STRING, new String[] {"<unk>", "", "▁the", "😀"}), m.get("a.strings"));
            assertEquals(new GgufArray(GgufValueType.UINT64, new long[] {0, -1L}), m.get("a.u64"));
            for (GgufValueType t : GgufValueType.values()) {
                GgufArray a = (GgufArray) m.get("a.empty." + t);
                assertEquals(t, a.elementType());
                assertEquals(0, a.length());
            }
            GgufArray nested = (GgufArray) m.get("a.nested");
            assertEquals(3, nested.depth());
            assertEquals(new GgufArray(GgufValueType.UINT8, new short[] {9}),
                    ((GgufArray[]) ((GgufArray[]) nested.values())[3].values())[0]);
            for (String key : m.keys()) {
                assertEquals(meta.metadata().valueType(key), m.valueType(key), key);
                assertEquals(meta.metadata().get(key), m.get(key), key);
            }

            assertEquals(TENSORS.stream().map(Spec::name).toList(), List.copyOf(g.tensors().keySet()));
            for (Spec s : TENSORS) {
                Tensor t = g.tensor(s.name);
                assertEquals(s.type, t.type(), s.name);
                assertArrayEquals(s.ne, t.ne(), s.name);
                assertEquals(-1, t.data().mismatch(s.encoded()), s.name);
                assertEquals(0, t.data().address() % 32, "mapped at a page boundary, so aligned in memory too");
            }
            float[] f32 = new float[21];
            Quant.dequantize(GgmlType.F32, g.tensor("odd.f32").data(), 0, f32, 0, 21);
            assertArrayEquals(TENSORS.getFirst().values, f32);
            assertNull(g.optionalTensor("absent"));
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> g.tensor("absent"));
            assertTrue(e.getMessage().contains("'absent'") && e.getMessage().contains(file.toString()), e.getMessage());
        }
    }

    @Test
    void tensorsAreInvalidAfterClose() throws IOException {
        GgufFile g = GgufFile.open(writeEveryType("closed.gguf"));
        MemorySegment data = g.tensor("odd.f32").data();
        g.close();
        g.close();
        assertThrows(IllegalStateException.class, () -> data.get(Quant.FLOAT_LE, 0));
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 8, 64, 4096})
    void honoursTheAlignmentKey(long alignment) throws IOException {
        Path file = dir.resolve("aligned.gguf");
        try (GgufWriter w = GgufWriter.create(file)) {
            w.putUint32(GgufFile.ALIGNMENT_KEY, alignment);
            for (Spec t : TENSORS) {
                w.addTensor(t.name, t.type, t.ne);
            }
            for (Spec t : TENSORS) {
                w.writeTensorData(t.name, t.values);
            }
        }
        try (GgufFile g = GgufFile.open(file)) {
            assertEquals(alignment, g.alignment());
            assertEquals(0, g.dataOffset() % alignment);
            assertEquals(0, g.fileSize() % alignment);
            for (Spec s : TENSORS) {
                assertEquals(-1, g.tensor(s.name).data().mismatch(s.encoded()), s.name);
                assertEquals(0, g.tensor(s.name).data().address() % alignment, s.name);
            }
        }
    }

    @Test
    void rowsAndBuffersLargerThanTheWriteBuffer() throws IOException {
        Path file = dir.resolve("big.gguf");
        int cols = 4096;
        int rows = 300; // 4.7 MB of F32, past the 1 MiB write buffer several times
        String longString = "x".repeat(3 << 20);
        try (GgufWriter w = GgufWriter.create(file)) {
            w.putString("long", longString);
            w.addTensor("rows", GgmlType.F32, cols, rows).addTensor("q", GgmlType.Q8_0, cols, rows);
            w.writeTensorRows("rows", (row, r) -> {
                for (int i = 0; i < cols; i++) {
                    row[i] = r * cols + i;
                }
            });
            w.writeTensorRows("q", (row, r) -> java.util.Arrays.fill(row, r));
        }
        try (GgufFile g = GgufFile.open(file)) {
            assertEquals(longString, g.metadata().getString("long"));
            MemorySegment data = g.tensor("rows").data();
            for (long i = 0; i < (long) cols * rows; i += 4099) {
                assertEquals((float) i, data.get(Quant.FLOAT_LE, 4 * i));
            }
            float[] row = new float[cols];
            Quant.dequantize(GgmlType.Q8_0, g.tensor("q").data(), 299 * g.tensor("q").rowBytes(), row, 0, cols);
            assertEquals(299f, row[cols - 1], 299f / 254);
        }
    }

    @Test
    void metadataOnlyFile() throws IOException {
        Path file = dir.resolve("meta.gguf");
        try (GgufWriter w = GgufWriter.create(file)) {
            w.putString("general.architecture", "llama");
        }
        try (GgufFile g = GgufFile.open(file)) {
            assertEquals(0, g.tensors().size());
            assertEquals("llama", g.metadata().getString("general.architecture"));
            assertEquals(g.fileSize(), g.dataOffset());
        }
    }

    @Test
    void typedGettersConvertOnlyWhereNothingIsLost() throws IOException {
        Path file = writeEveryType("getters.gguf");
        try (GgufFile g = GgufFile.open(file)) {
            GgufMetadata m = g.metadata();
            assertEquals(255, m.getInt("u8"));
            assertEquals(65535, m.getInt("u16"));
            assertEquals(-128, m.getInt("i8"));
            assertEquals(0xFFFF_FFFFL, m.getLong("u32.max"));
            assertEquals(Long.MIN_VALUE, m.getLong("i64"));
            assertEquals(255f, m.getFloat("u8"));
            assertEquals((float) Math.PI, m.getFloat("f64"));
            assertEquals(-1.5f, m.getFloat("f32"));
            assertTrue(m.getBoolean("bool.true"));
            assertEquals("", m.getString("s.empty"));
            assertArrayEquals(new int[] {0, 1, 255}, m.getIntArray("a.u8"));
            assertArrayEquals(new int[] {-128, 0, 127}, m.getIntArray("a.i8"));
            assertArrayEquals(new int[] {0, 65535}, m.getIntArray("a.u16"));
            assertArrayEquals(new int[] {1, -2, Integer.MAX_VALUE}, m.getIntArray("a.ints"));
            assertArrayEquals(new float[] {Float.POSITIVE_INFINITY, -0f}, m.getFloatArray("a.f64"));
            assertArrayEquals(new int[0], m.getIntArray("a.empty.UINT64"));
            String[] strings = m.getStringArray("a.strings");
            strings[0] = "changed";
            assertEquals("<unk>", m.getStringArray("a.strings")[0]);

            assertEquals(7, m.getIntOrDefault("absent", 7));
            assertEquals(7L, m.getLongOrDefault("absent", 7));
            assertEquals(0.5f, m.getFloatOrDefault("absent", 0.5f));
            assertEquals("d", m.getStringOrDefault("absent", "d"));
            assertTrue(m.getBooleanOrDefault("absent", true));
            assertEquals(255, m.getIntOrDefault("u8", 7));
            assertFalse(m.has("absent"));
            assertNull(m.get("absent"));
            assertNull(m.valueType("absent"));

            assertBad(file, () -> m.getInt("u32.max"), "'u32.max'", "UINT32 4294967295", "fits in an int");
            assertBad(file, () -> m.getLong("u64.max"), "'u64.max'", "UINT64 18446744073709551615");
            assertBad(file, () -> m.getIntArray("a.u32"), "'a.u32'", "element 1", "4294967295");
            assertBad(file, () -> m.getIntArray("a.u64"), "'a.u64'", "element 1", "18446744073709551615");
            assertBad(file, () -> m.getIntArray("a.i64"), "'a.i64'", "element 0");
            assertBad(file, () -> m.getString("u8"), "'u8'", "UINT8 255", "expected a STRING");
            assertBad(file, () -> m.getIntOrDefault("s.unicode", 1), "'s.unicode'", "STRING");
            assertBad(file, () -> m.getBoolean("f32"), "'f32'", "FLOAT32");
            assertBad(file, () -> m.getFloat("a.floats"), "'a.floats'", "array of 5 FLOAT32");
            assertBad(file, () -> m.getStringArray("a.ints"), "'a.ints'", "array of 3 INT32");
            assertBad(file, () -> m.getFloatArray("a.ints"), "'a.ints'");
            assertBad(file, () -> m.getIntArray("a.floats"), "'a.floats'");
            assertBad(file, () -> m.getString("absent"), "missing metadata key 'absent'");
            assertTrue(assertBad(file, () -> m.getInt("u32.max")).offset() > 0, "names the offset of the value");
        }
    }

    static ModelFormatException assertBad(Path file, Runnable read, String... fragments) {
        ModelFormatException e = assertThrows(ModelFormatException.class, read::run);
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertEquals(file, e.file());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "'" + f + "' not in: " + e.getMessage());
        }
        return e;
    }

    @Test
    void refusesToOverwriteUnlessAsked() throws IOException {
        Path file = dir.resolve("existing.gguf");
        Files.writeString(file, "keep me");
        assertThrows(FileAlreadyExistsException.class, () -> GgufWriter.create(file));
        assertEquals("keep me", Files.readString(file));
        try (GgufWriter w = GgufWriter.create(file, true)) {
            w.putBool("new", true);
        }
        try (GgufFile g = GgufFile.open(file)) {
            assertTrue(g.metadata().getBoolean("new"));
        }
        assertEquals(List.of(file), listDir());
    }

    @Test
    void unfinishedFilesNeverReachTheTarget() throws IOException {
        Path file = dir.resolve("unfinished.gguf");
        GgufWriter w = GgufWriter.create(file);
        w.addTensor("a", GgmlType.F32, 4).addTensor("b", GgmlType.F32, 4);
        w.writeTensorData("a", new float[4]);
        IllegalStateException e = assertThrows(IllegalStateException.class, w::close);
        assertTrue(e.getMessage().contains("b"), e.getMessage());
        assertEquals(List.of(), listDir());
        w.close();
    }

    @Test
    void aFailedWriteDiscardsTheFile() throws IOException {
        Path file = dir.resolve("failed.gguf");
        RuntimeException boom = new RuntimeException("boom");
        try (GgufWriter w = GgufWriter.create(file)) {
            w.addTensor("a", GgmlType.F32, 8, 4);
            RuntimeException thrown = assertThrows(RuntimeException.class, () -> w.writeTensorRows("a", (row, r) -> {
                if (r == 2) {
                    throw boom;
                }
            }));
            assertEquals(boom, thrown);
            assertThrows(IllegalStateException.class, () -> w.writeTensorData("a", new float[32]));
            assertThrows(IllegalStateException.class, w::close);
        }
        assertEquals(List.of(), listDir());
    }

    @Test
    void writerChecksOrderSizesAndValues() throws IOException {
        Path file = dir.resolve("checked.gguf");
        try (GgufWriter w = GgufWriter.create(file)) {
            w.putString("k", "v");
            assertThrows(IllegalArgumentException.class, () -> w.putString("k", "again"));
            assertThrows(IllegalArgumentException.class, () -> w.put("u8", GgufValueType.UINT8, 256));
            assertThrows(IllegalArgumentException.class, () -> w.put("i8", GgufValueType.INT8, 200L));
            assertThrows(IllegalArgumentException.class, () -> w.putUint32("u32", -1));
            assertThrows(IllegalArgumentException.class, () -> w.put("f", GgufValueType.FLOAT32, 1.0));
            assertThrows(IllegalArgumentException.class, () -> w.put("s", GgufValueType.STRING, null));
            assertThrows(IllegalArgumentException.class, () -> w.putString("s", "lone \uD800 surrogate"));
            assertThrows(IllegalArgumentException.class, () -> w.putStringArray("s", "ok", "\uDC00"));
            assertThrows(IllegalArgumentException.class, () -> w.putUint32(GgufFile.ALIGNMENT_KEY, 24));
            assertThrows(IllegalArgumentException.class, () -> w.putInt32(GgufFile.ALIGNMENT_KEY, 64));
            assertThrows(IllegalArgumentException.class, () -> new GgufArray(GgufValueType.UINT8, new short[] {256}));
            assertThrows(IllegalArgumentException.class, () -> new GgufArray(GgufValueType.INT32, new long[] {1}));
            assertThrows(IllegalArgumentException.class, () -> new GgufArray(GgufValueType.STRING, new String[] {null}));
            GgufArray deep = new GgufArray(GgufValueType.INT8, new byte[0]);
            for (int i = 0; i < GgufArray.MAX_DEPTH; i++) {
                deep = new GgufArray(GgufValueType.ARRAY, new GgufArray[] {deep});
            }
            GgufArray tooDeep = deep;
            assertThrows(IllegalArgumentException.class, () -> w.put("deep", GgufValueType.ARRAY, tooDeep));
            w.put("deep", GgufValueType.ARRAY, ((GgufArray[]) tooDeep.values())[0]);

            assertThrows(IllegalArgumentException.class, () -> w.addTensor("q", GgmlType.Q8_0, 33, 2));
            assertThrows(IllegalArgumentException.class, () -> w.addTensor("n", GgmlType.F32, 2, -1));
            assertThrows(IllegalArgumentException.class, () -> w.addTensor("five", GgmlType.F32, 1, 1, 1, 1, 1));
            assertThrows(IllegalArgumentException.class, () -> w.addTensor("huge", GgmlType.F32, 1L << 40, 1L << 40));
            w.addTensor("a", GgmlType.F32, 4).addTensor("b", GgmlType.Q4_0, 32);
            assertThrows(IllegalArgumentException.class, () -> w.addTensor("a", GgmlType.F32, 4));

            assertThrows(IllegalStateException.class, () -> w.writeTensorData("b", new float[32]));
            assertThrows(IllegalStateException.class, () -> w.writeTensorData("zzz", new float[4]));
            assertThrows(IllegalArgumentException.class, () -> w.writeTensorData("a", new float[5]));
            assertThrows(IllegalArgumentException.class, () -> w.writeTensorData("a", MemorySegment.ofArray(new byte[15])));
            assertThrows(IllegalStateException.class, () -> w.putString("late", "x"));
            assertThrows(IllegalStateException.class, () -> w.addTensor("late", GgmlType.F32, 1));
            w.writeTensorData("a", new float[] {1, 2, 3, 4});
            w.writeTensorData("b", new float[32]);
            assertThrows(IllegalStateException.class, () -> w.writeTensorData("b", new float[32]));
        }
        try (GgufFile g = GgufFile.open(file)) {
            assertEquals(List.of("k", "deep"), List.copyOf(g.metadata().keys()));
            assertEquals(List.of("a", "b"), List.copyOf(g.tensors().keySet()));
        }
        assertEquals(List.of(file), listDir());
    }

    @Test
    void typesQuantCannotEncodeAreRefusedBeforeAnyByteIsWritten() throws IOException {
        Path file = dir.resolve("iq2xxs.gguf");
        try (GgufWriter w = GgufWriter.create(file); Arena arena = Arena.ofConfined()) {
            w.addTensor("k", GgmlType.IQ2_XXS, 256, 2);
            assertThrows(UnsupportedOperationException.class, () -> w.writeTensorData("k", new float[512]));
            w.writeTensorData("k", arena.allocate(2 * 66));
        }
        try (GgufFile g = GgufFile.open(file)) {
            assertEquals(GgmlType.IQ2_XXS, g.tensor("k").type());
        }
    }

    private List<Path> listDir() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
