package dev.llamasimd.model;

import dev.llamasimd.io.GgufFile;
import dev.llamasimd.io.GgufMetadata;
import dev.llamasimd.io.GgufValueType;
import dev.llamasimd.io.GgufWriter;
import dev.llamasimd.io.ModelFormatException;
import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.tensor.Codec;
import dev.llamasimd.tensor.Codecs;
import dev.llamasimd.tensor.FileType;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongUnaryOperator;

/**
 * Quantizes a GGUF model file into another, as llama.cpp's {@code llama-quantize} does without
 * an importance matrix: each tensor gets the type {@link QuantMix} chooses, is widened from its
 * own type and encoded by the target type's {@link Codec} (ggml's reference quantizers), and
 * the file keeps llama.cpp's conventions (every metadata key of the input in its order, then
 * {@code general.quantization_version} 2 and {@code general.file_type}; tensors ordered as
 * llama-quantize orders them; 32-byte alignment). Streams: a few MB of rows per thread are in
 * memory at a time, whatever the model's size; the output appears under its name only when it
 * is complete.
 */
public final class Quantizer {
    /** Rows encoded per chunk and thread: enough to keep every thread busy, small enough to stream. */
    private static final int ROWS_PER_THREAD = 64;
    /** Keys llama-quantize rewrites or drops. */
    private static final Set<String> REWRITTEN = Set.of("general.file_type", "general.quantization_version",
            GgufFile.ALIGNMENT_KEY, "split.no", "split.count", "split.tensors.count");

    /**
     * @param fileType        the target
     * @param pure            every matrix gets the file type's own type ({@code --pure})
     * @param allowRequantize re-encode tensors that are already quantized in another type
     * @param threads         encoding threads
     */
    public record Options(FileType fileType, boolean pure, boolean allowRequantize, int threads) {}

    /** What was written: tensor count and bytes per type, and each fallback llama.cpp would also make. */
    public record Result(Map<GgmlType, long[]> countAndBytes, List<String> fallbacks, long bytesIn, long bytesOut) {}

    /** Told of each tensor once it is written. */
    @FunctionalInterface
    public interface Progress {
        /** Tensor {@code index} (from 1) of {@code count}, {@code name}, went from type {@code from} to {@code to}. */
        void written(int index, int count, String name, GgmlType from, GgmlType to);
    }

    private Quantizer() {}

    /**
     * Quantizes {@code in} into {@code out}.
     *
     * @param overwrite replace an existing {@code out}; it is refused otherwise
     * @param log       receives one line per fallback as it is decided
     * @throws IllegalArgumentException if {@code out} is {@code in}, for a type llama-simd cannot
     *     write, or a quantized input that would need {@code allowRequantize}
     * @throws ModelFormatException if the input is not a usable GGUF model, or holds NaN or
     *     infinite values (naming the tensor and row)
     * @throws java.nio.file.FileAlreadyExistsException if {@code out} exists and not {@code overwrite}
     */
    public static Result quantize(Path in, Path out, Options options, boolean overwrite, Progress progress,
                                  Consumer<String> log) throws IOException {
        if (Files.exists(out) && Files.isSameFile(in, out)) {
            throw new IllegalArgumentException("the output " + out + " is the input file; write to another file");
        }
        try (GgufFile src = GgufFile.open(in); Parallel parallel = Parallel.pool(options.threads())) {
            GgufMetadata md = src.metadata();
            String arch = md.getStringOrDefault("general.architecture", null);
            if (arch == null) {
                throw new ModelFormatException(in, "general.architecture is missing: not a model file");
            }
            int layers = md.getInt(arch + ".block_count");
            int heads = md.getInt(arch + ".attention.head_count");
            int kvHeads = md.getIntOrDefault(arch + ".attention.head_count_kv", heads);
            QuantMix mix = QuantMix.of(options.fileType(), options.pure(), layers, heads, kvHeads);
            boolean tied = !src.tensors().containsKey("output.weight");
            List<Tensor> tensors = new ArrayList<>(src.tensors().values());
            tensors.sort(Comparator.comparingInt((Tensor t) -> QuantMix.layer(t.name())).thenComparing(Tensor::name));
            List<GgmlType> types = new ArrayList<>();
            List<String> fallbacks = new ArrayList<>();
            for (Tensor t : tensors) {
                QuantMix.Choice c = mix.choose(t.name(), t.ne(), t.type(), tied);
                if (c.type() != t.type() && t.type().isQuantized() && !options.allowRequantize()) {
                    throw new IllegalArgumentException("tensor '" + t.name() + "' is already " + t.type()
                            + "; re-encoding it as " + c.type() + " loses precision twice (allow it with --allow-requantize)");
                }
                if (c.type() != t.type() && (Codecs.find(t.type()) == null || Codecs.find(c.type()) == null)) {
                    throw new ModelFormatException(in, "tensor '" + t.name() + "': cannot convert " + t.type() + " to "
                            + c.type() + " (llama-simd encodes and decodes " + Codecs.types() + ")");
                }
                if (c.fallback() != null) {
                    String line = "tensor '" + t.name() + "': " + c.fallback();
                    fallbacks.add(line);
                    log.accept(line);
                }
                types.add(c.type());
            }
            long total = tensors.stream().mapToLong(t -> t.data().byteSize()).sum();
            Map<GgmlType, long[]> counts = new EnumMap<>(GgmlType.class);
            try (GgufWriter w = GgufWriter.create(out, overwrite)) {
                for (String key : md.keys()) {
                    if (!REWRITTEN.contains(key)) {
                        w.put(key, md.valueType(key), md.get(key));
                    }
                }
                w.put("general.quantization_version", GgufValueType.UINT32, 2L);
                w.put("general.file_type", GgufValueType.UINT32, (long) options.fileType().id);
                for (int i = 0; i < tensors.size(); i++) {
                    w.addTensor(tensors.get(i).name(), types.get(i), tensors.get(i).ne());
                }
                for (int i = 0; i < tensors.size(); i++) {
                    Tensor t = tensors.get(i);
                    GgmlType to = types.get(i);
                    if (to == t.type()) {
                        w.writeTensorData(t.name(), t.data());
                    } else {
                        encode(in, w, t, to, parallel);
                    }
                    long[] cb = counts.computeIfAbsent(to, k -> new long[2]);
                    cb[0]++;
                    cb[1] += to.bytesFor(t.elementCount());
                    progress.written(i + 1, tensors.size(), t.name(), t.type(), to);
                }
            }
            return new Result(counts, fallbacks, total, Files.size(out));
        }
    }

    /** Widens each row of {@code t} and encodes it as {@code to}, rows split between the threads. */
    private static void encode(Path in, GgufWriter w, Tensor t, GgmlType to, Parallel parallel) throws IOException {
        encodeRows(in, w, t.name(), t, to, LongUnaryOperator.identity(), parallel);
    }

    /**
     * Writes {@code t}'s rows, encoded as {@code to}, as the next tensor {@code name} of {@code w}:
     * output row {@code r} is source row {@code sourceRow(r)}, widened, checked to be finite (a NaN
     * or infinity names {@code file}, the tensor, the row and the column) and encoded, a chunk of
     * rows per thread at a time.
     */
    static void encodeRows(Path file, GgufWriter w, String name, Tensor t, GgmlType to, LongUnaryOperator sourceRow,
                           Parallel parallel) throws IOException {
        Codec from = Codecs.of(t.type());
        Codec into = Codecs.of(to);
        int cols = t.cols();
        long inRow = t.rowBytes();
        long outRow = to.bytesFor(cols);
        float[][] rows = new float[parallel.threads()][cols];
        w.writeTensorChunks(name, ROWS_PER_THREAD * parallel.threads(), (first, n, bytes) ->
                parallel.forRange((int) n, (worker, start, end) -> {
                    float[] row = rows[worker];
                    for (int r = start; r < end; r++) {
                        long src = sourceRow.applyAsLong(first + r);
                        from.dequantize(t.data(), src * inRow, row, 0, cols);
                        for (int j = 0; j < cols; j++) {
                            if (!Float.isFinite(row[j])) {
                                throw new ModelFormatException(file, "tensor '" + t.name() + "' (" + t.type() + ") has "
                                        + row[j] + " at row " + src + ", column " + j + ": not a usable weight");
                            }
                        }
                        into.quantize(row, 0, cols, bytes, r * outRow);
                    }
                }));
    }
}
