package dev.llamasimd.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.io.GgufRoundTripTest.Spec;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

class GgufPropertiesTest {
    record Kv(String key, GgufValueType type, Object value) {}

    record FileSpec(List<Kv> metadata, List<Spec> tensors, long alignment) {}

    /** A change to a valid file: cut it, or overwrite a byte or eight. */
    sealed interface Damage {
        byte[] apply(byte[] valid);
    }

    record Truncate(int length) implements Damage {
        public byte[] apply(byte[] valid) {
            return java.util.Arrays.copyOf(valid, Math.min(length, valid.length));
        }
    }

    record SetByte(int at, byte value) implements Damage {
        public byte[] apply(byte[] valid) {
            byte[] b = valid.clone();
            b[at % b.length] = value;
            return b;
        }
    }

    record SetLong(int at, long value) implements Damage {
        public byte[] apply(byte[] valid) {
            byte[] b = valid.clone();
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(at % (b.length - 7), value);
            return b;
        }
    }

    private static final GgmlType[] TYPES = {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0};

    private static Path dir;
    private static byte[] valid;

    @BeforeContainer
    static void setUp() throws IOException {
        dir = Files.createTempDirectory("gguf-properties");
        Path file = dir.resolve("valid.gguf");
        try (GgufWriter w = GgufWriter.create(file)) {
            GgufRoundTripTest.putEveryType(w);
            w.putUint32(GgufFile.ALIGNMENT_KEY, 64);
            w.addTensor("a", GgmlType.F32, 3, 2).addTensor("b", GgmlType.Q8_0, 32).addTensor("c", GgmlType.BF16, 4);
            w.writeTensorData("a", new float[6]);
            w.writeTensorData("b", new float[32]);
            w.writeTensorData("c", new float[4]);
        }
        valid = Files.readAllBytes(file);
    }

    @AfterContainer
    static void tearDown() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Property(tries = 150)
    void randomFilesRoundTrip(@ForAll("files") FileSpec spec) throws IOException {
        Path file = dir.resolve("random.gguf");
        try (GgufWriter w = GgufWriter.create(file, true)) {
            if (spec.alignment != GgufFile.DEFAULT_ALIGNMENT) {
                w.putUint32(GgufFile.ALIGNMENT_KEY, spec.alignment);
            }
            for (Kv kv : spec.metadata) {
                w.put(kv.key, kv.type, kv.value);
            }
            for (Spec t : spec.tensors) {
                w.addTensor(t.name(), t.type(), t.ne());
            }
            for (Spec t : spec.tensors) {
                w.writeTensorData(t.name(), t.values());
            }
        }
        try (GgufFile g = GgufFile.open(file)) {
            assertEquals(spec.alignment, g.alignment());
            GgufMetadata m = g.metadata();
            assertEquals(spec.metadata.size() + (spec.alignment != GgufFile.DEFAULT_ALIGNMENT ? 1 : 0), m.size());
            for (Kv kv : spec.metadata) {
                assertEquals(kv.type, m.valueType(kv.key), kv.key);
                assertEquals(kv.value, m.get(kv.key), kv.key);
            }
            assertEquals(spec.tensors.stream().map(Spec::name).toList(), List.copyOf(g.tensors().keySet()));
            for (Spec s : spec.tensors) {
                Tensor t = g.tensor(s.name());
                assertEquals(s.type(), t.type());
                assertArrayEquals(s.ne(), t.ne());
                assertEquals(-1, t.data().mismatch(s.encoded()), s.name());
                assertEquals(0, t.data().address() % spec.alignment, "mapped at a page boundary, so aligned in memory too");
            }
        }
    }

    /** Any damage to a valid file gives a readable file or a {@link ModelFormatException}, nothing else. */
    @Property(tries = 3000)
    void damagedFilesFailCleanly(@ForAll("damage") Damage damage) throws IOException {
        Path file = Files.write(dir.resolve("damaged.gguf"), damage.apply(valid));
        try (GgufFile g = GgufFile.open(file)) {
            assertTrue(g.metadata().toString().length() > 0);
            for (Tensor t : g.tensors().values()) {
                if (t.data().byteSize() > 0) {
                    t.data().get(ValueLayout.JAVA_BYTE, t.data().byteSize() - 1);
                }
            }
        } catch (ModelFormatException e) {
            assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        }
    }

    @Provide
    Arbitrary<Damage> damage() {
        Arbitrary<Integer> at = Arbitraries.integers().between(0, valid.length - 1);
        Arbitrary<Long> longs = Arbitraries.oneOf(
                Arbitraries.of(0L, 1L, -1L, 1L << 40, 1L << 62, Long.MIN_VALUE, 0xFFFF_FFFFL, 64L, 13L),
                Arbitraries.longs().between(0, 300));
        return Arbitraries.oneOf(
                at.map(Truncate::new),
                Combinators.combine(at, Arbitraries.bytes()).as(SetByte::new),
                Combinators.combine(at, longs).as(SetLong::new));
    }

    @Provide
    Arbitrary<FileSpec> files() {
        Arbitrary<List<Kv>> metadata = keyValue().list().ofMaxSize(12).uniqueElements(Kv::key);
        Arbitrary<List<Spec>> tensors = tensor().list().ofMaxSize(6).uniqueElements(Spec::name);
        return Combinators.combine(metadata, tensors, Arbitraries.of(1L, 8L, 32L, 32L, 64L, 256L)).as(FileSpec::new);
    }

    private static Arbitrary<String> text() {
        Arbitrary<String> bmp = Arbitraries.strings().withCharRange(' ', '~').withCharRange('\u00a0', '\ud7ff').ofMaxLength(12);
        return Combinators.combine(bmp, Arbitraries.of("", "", "😀", "𝄞")).as(String::concat);
    }

    private static Arbitrary<Kv> keyValue() {
        Arbitrary<String> keys = Arbitraries.oneOf(
                Arbitraries.strings().withCharRange('a', 'z').withChars("._").ofMinLength(1).ofMaxLength(24), text())
                .filter(k -> !k.equals(GgufFile.ALIGNMENT_KEY));
        return Arbitraries.of(GgufValueType.values()).flatMap(t -> Combinators.combine(keys, value(t, 1)).as((k, v) -> new Kv(k, t, v)));
    }

    private static Arbitrary<Object> value(GgufValueType type, int depth) {
        return switch (type) {
            case UINT8 -> Arbitraries.shorts().between((short) 0, (short) 255).map(v -> v);
            case INT8 -> Arbitraries.bytes().map(v -> v);
            case UINT16 -> Arbitraries.integers().between(0, 65535).map(v -> v);
            case INT16 -> Arbitraries.shorts().map(v -> v);
            case UINT32 -> Arbitraries.longs().between(0, 0xFFFF_FFFFL).map(v -> v);
            case INT32 -> Arbitraries.integers().map(v -> v);
            case FLOAT32 -> Arbitraries.floats().withStandardSpecialValues().map(v -> v);
            case BOOL -> Arbitraries.of(true, false).map(v -> v);
            case STRING -> text().map(v -> v);
            case ARRAY -> array(depth).map(v -> v);
            case UINT64, INT64 -> Arbitraries.longs().map(v -> v);
            case FLOAT64 -> Arbitraries.doubles().withStandardSpecialValues().map(v -> v);
        };
    }

    /** An array at nesting level {@code depth}; below level 3 only arrays of scalars and strings. */
    private static Arbitrary<GgufArray> array(int depth) {
        Arbitrary<GgufValueType> types = Arbitraries.of(GgufValueType.values()).filter(t -> depth < 3 || t != GgufValueType.ARRAY);
        return types.flatMap(t -> value(t, depth + 1).list().ofMaxSize(5).map(list -> {
            Object values = Array.newInstance(t.arrayType.getComponentType(), list.size());
            for (int i = 0; i < list.size(); i++) {
                Array.set(values, i, list.get(i));
            }
            return new GgufArray(t, values);
        }));
    }

    private static Arbitrary<Spec> tensor() {
        Arbitrary<String> names = Arbitraries.strings().withCharRange('a', 'z').withChars(".0123456789").ofMinLength(1).ofMaxLength(16);
        return Arbitraries.of(TYPES).flatMap(type -> Combinators.combine(names, Arbitraries.longs(), shape(type))
                .as((name, seed, ne) -> Spec.random(name, type, seed, ne)));
    }

    /** Up to 4 dimensions, {@code ne[0]} a multiple of the block size; rank 0 only for plain types. */
    private static Arbitrary<long[]> shape(GgmlType type) {
        Arbitrary<Long> cols = type.blockSize == 1
                ? Arbitraries.longs().between(0, 9)
                : Arbitraries.longs().between(0, 3).map(k -> k * type.blockSize);
        return Arbitraries.integers().between(type.blockSize == 1 ? 0 : 1, 4).flatMap(rank -> rank == 0
                ? Arbitraries.just(new long[0])
                : Combinators.combine(cols, Arbitraries.longs().between(0, 4).list().ofSize(rank - 1)).as((c, rest) ->
                        Stream.concat(Stream.of(c), rest.stream()).mapToLong(Long::longValue).toArray()));
    }
}
