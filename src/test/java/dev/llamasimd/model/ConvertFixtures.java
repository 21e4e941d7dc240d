package dev.llamasimd.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.llamasimd.io.GgufFile;
import dev.llamasimd.io.Json;
import dev.llamasimd.tensor.Quant;
import dev.llamasimd.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** Files for the converter's tests: JSON and safetensors writers, directory copies, and GGUF comparisons. */
final class ConvertFixtures {
    /** SentencePiece's default piece type, left out of the message as protocol buffers do. */
    private static final int NORMAL_PIECE = 1;

    private ConvertFixtures() {}

    /** JSON text of maps, lists, strings, numbers, booleans and null. */
    static String json(Object v) {
        return switch (v) {
            case null -> "null";
            case String s -> Json.quote(s);
            case Map<?, ?> m -> {
                StringBuilder b = new StringBuilder("{");
                m.forEach((k, x) -> b.append(b.length() > 1 ? ", " : "").append(Json.quote((String) k)).append(": ")
                        .append(json(x)));
                yield b.append('}').toString();
            }
            case List<?> l -> {
                StringBuilder b = new StringBuilder("[");
                l.forEach(x -> b.append(b.length() > 1 ? ", " : "").append(json(x)));
                yield b.append(']').toString();
            }
            default -> String.valueOf(v);
        };
    }

    /** A mutable copy of a JSON object file's members, in file order. */
    static Map<String, Object> readJson(Path file) {
        return new LinkedHashMap<>(Json.parseObject(file).members());
    }

    static void writeJson(Path file, Object value) throws IOException {
        Files.writeString(file, json(value));
    }

    /** One tensor of a safetensors file: its dtype name, shape (outermost first) and raw little-endian bytes. */
    record Entry(String name, String dtype, long[] shape, byte[] data) {
        /** The tensor as a safetensors file holds it. */
        static Entry of(Tensor t) {
            long[] ne = t.ne();
            long[] shape = new long[ne.length];
            for (int i = 0; i < ne.length; i++) {
                shape[i] = ne[ne.length - 1 - i];
            }
            return new Entry(t.name(), t.type().name(), shape, t.data().toArray(ValueLayout.JAVA_BYTE));
        }
    }

    /** Writes a safetensors file holding {@code entries} in that order. */
    static void writeSafetensors(Path file, List<Entry> entries) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("__metadata__", Map.of("format", "pt"));
        long at = 0;
        for (Entry e : entries) {
            List<Object> shape = new ArrayList<>();
            for (long d : e.shape()) {
                shape.add(d);
            }
            header.put(e.name(), Map.of("dtype", e.dtype(), "shape", shape, "data_offsets", List.of(at, at + e.data().length)));
            at += e.data().length;
        }
        StringBuilder text = new StringBuilder(json(header));
        while (text.toString().getBytes(StandardCharsets.UTF_8).length % 8 != 0) {
            text.append(' ');
        }
        byte[] h = text.toString().getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
            out.write(h);
            for (Entry e : entries) {
                out.write(e.data());
            }
        }
    }

    /** Sets F32 value {@code index} of an entry's data. */
    static void setF32(Entry e, int index, float value) {
        ByteBuffer.wrap(e.data()).order(ByteOrder.LITTLE_ENDIAN).putFloat(4 * index, value);
    }

    /** Copies the regular files of {@code from} into a new directory {@code to}. */
    static Path copyDir(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, to.resolve(f.getFileName().toString()));
            }
        }
        return to;
    }

    /** A copy of {@code from} whose config.json is changed by {@code edit}. */
    static Path withConfig(Path from, Path to, Consumer<Map<String, Object>> edit) throws IOException {
        copyDir(from, to);
        Map<String, Object> cfg = readJson(to.resolve("config.json"));
        edit.accept(cfg);
        Files.delete(to.resolve("config.json"));
        writeJson(to.resolve("config.json"), cfg);
        return to;
    }

    /** A copy of the single-file HF directory {@code from} without the tensor {@code name}. */
    static Path withoutTensor(Path from, Path to, String name) throws IOException {
        copyDir(from, to);
        Path st = to.resolve("model.safetensors");
        List<Entry> entries = new java.util.ArrayList<>();
        try (dev.llamasimd.io.SafetensorsFile f = dev.llamasimd.io.SafetensorsFile.open(st)) {
            for (Tensor t : f.tensors().values()) {
                if (!t.name().equals(name)) {
                    entries.add(Entry.of(t));
                }
            }
        }
        Files.delete(st);
        writeSafetensors(st, entries);
        return to;
    }

    /** Asserts that two GGUF files hold the same tensors by name: types, shapes and bytes. */
    static void assertSameTensors(Path expected, Path actual) throws IOException {
        try (GgufFile a = GgufFile.open(expected); GgufFile b = GgufFile.open(actual)) {
            assertEquals(new TreeSet<>(a.tensors().keySet()), new TreeSet<>(b.tensors().keySet()),
                    "tensor names");
            eachTensor(a, b, (x, y) -> {
                assertEquals(x.type(), y.type(), x.name() + " type");
                assertArrayEquals(x.ne(), y.ne(), x.name() + " shape");
                long at = x.data().mismatch(y.data());
                assertEquals(-1, at, () -> x.name() + " " + x.type() + ": bytes differ from byte " + at);
            });
        }
    }

    private static void eachTensor(GgufFile a, GgufFile b, BiConsumer<Tensor, Tensor> check) {
        for (Tensor x : a.tensors().values()) {
            check.accept(x, b.tensor(x.name()));
        }
    }

    /** The F32 values of a tensor. */
    static float[] floats(Tensor t) {
        float[] v = new float[(int) t.elementCount()];
        Quant.dequantize(t.type(), t.data(), 0, v, 0, v.length);
        return v;
    }

    /** The bytes of rows {@code [from, from + n)} of a tensor. */
    static MemorySegment rows(Tensor t, long from, long n) {
        return t.data().asSlice(from * t.rowBytes(), n * t.rowBytes());
    }

    /** The {@code .gguf} files a failed conversion may have left behind, temporary ones included. */
    static List<String> ggufFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.contains(".gguf")).sorted().toList();
        }
    }

    /** A protocol buffers varint. */
    static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7fL) != 0) {
            out.write((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    /** A SentencePiece {@code tokenizer.model} with these pieces (and a trainer_spec field to skip). */
    static byte[] sentencePieceModel(String[] pieces, float[] scores, int[] types) {
        ByteArrayOutputStream model = new ByteArrayOutputStream();
        for (int i = 0; i < pieces.length; i++) {
            ByteArrayOutputStream p = new ByteArrayOutputStream();
            byte[] text = pieces[i].getBytes(StandardCharsets.UTF_8);
            varint(p, 1 << 3 | 2);
            varint(p, text.length);
            p.writeBytes(text);
            varint(p, 2 << 3 | 5);
            p.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(scores[i]).array());
            if (types[i] != NORMAL_PIECE) {
                varint(p, 3 << 3);
                varint(p, types[i]);
            }
            varint(model, 1 << 3 | 2);
            varint(model, p.size());
            model.writeBytes(p.toByteArray());
        }
        byte[] trainer = {0x08, 0x01, 0x12, 0x03, 'b', 'p', 'e'};
        varint(model, 2 << 3 | 2);
        varint(model, trainer.length);
        model.writeBytes(trainer);
        return model.toByteArray();
    }

}
