package dev.llamasimd.model;

import dev.llamasimd.io.GgufWriter;
import dev.llamasimd.io.HfModelDir;
import dev.llamasimd.io.Json;
import dev.llamasimd.io.ModelFormatException;
import dev.llamasimd.io.SafetensorsFile;
import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.tensor.FileType;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Tensor;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongUnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Converts a Hugging Face Llama directory ({@code LlamaForCausalLM}: {@code config.json},
 * safetensors weights in F32, F16 or BF16, one file or shards with an index, and the tokenizer
 * files) into a GGUF file as llama.cpp's {@code convert_hf_to_gguf.py} (v0.5.0) writes it:
 * its tensor names, shapes and order, the query and key rows permuted from Hugging Face's
 * rotate-half layout to GGUF's interleaved RoPE pairs, Llama 3 RoPE scaling as a
 * {@code rope_freqs.weight} tensor, its metadata keys in its order ({@link GeneralKeys},
 * {@link HfVocab}), 1-D tensors in F32.
 *
 * <p>Types: F32, F16, BF16 and Q8_0 are the script's own {@code --outtype}s; the default
 * ({@code null}) is its {@code auto}: BF16 when the weights are BF16, else F16. Every other
 * type of {@link QuantMix#fileType} gives what {@code llama-quantize} makes of the lossless
 * conversion (the source values exactly): its mix and fallbacks, its tensor order, and
 * {@code general.quantization_version} and {@code general.file_type} moved to the end of the
 * metadata. llama-simd's deviations: a directory without tokenizer files, which the script
 * refuses, gets {@code tokenizer.ggml.model = none}; a byte-level pre-tokenizer whose hash the
 * script does not know is named after its layout when that is a common one
 * ({@link BpePreTokenizers}); NaN and infinite weights, biases, and RoPE scaling other than
 * linear and llama3 are refused; a {@code README.md} model card is not read (a warning says so).
 *
 * <p>Streams: a few rows per thread are in memory at a time, whatever the model's size; the
 * output appears under its name only when complete ({@link GgufWriter}).
 */
public final class Converter {
    /** The types {@code convert_hf_to_gguf.py} writes itself ({@code --outtype}). */
    public static final Set<FileType> SCRIPT_TYPES =
            Set.of(FileType.ALL_F32, FileType.MOSTLY_F16, FileType.MOSTLY_BF16, FileType.MOSTLY_Q8_0);

    /** The architecture this converter reads ({@code config.json}'s {@code architectures[0]}). */
    public static final String ARCHITECTURE = "LlamaForCausalLM";

    private static final Pattern LAYER = Pattern.compile("^blk\\.(\\d+)\\.");
    private static final Pattern HF_LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)");
    /** Hugging Face's per-layer names and their GGUF names ({@link TensorRole}). */
    private static final Map<String, String> LAYER_NAMES = names(true);
    private static final Map<String, String> GLOBAL_NAMES = names(false);

    private static Map<String, String> names(boolean perLayer) {
        Map<String, String> names = new LinkedHashMap<>();
        for (TensorRole role : TensorRole.values()) {
            if (role.perLayer() == perLayer && role != TensorRole.QKV && role != TensorRole.GATE_UP) {
                names.put((perLayer ? role.hfInLayer() : role.hf(0)) + ".weight",
                        (perLayer ? role.ggufInLayer() : role.gguf(0)) + ".weight");
            }
        }
        return Map.copyOf(names);
    }

    /**
     * @param fileType the target, or {@code null} for the script's {@code auto}
     * @param pure     every matrix gets the file type's own type (llama-quantize's {@code --pure};
     *                 no effect on the script's own types)
     * @param threads  encoding threads
     */
    public record Options(FileType fileType, boolean pure, int threads) {}

    /**
     * What was written.
     *
     * @param fileType      the resolved target ({@code general.file_type})
     * @param countAndBytes tensor count and bytes per type written
     * @param warnings      every warning given to the log, in order
     * @param bytesIn       the bytes of the source tensors
     * @param bytesOut      the size of the file written
     */
    public record Result(FileType fileType, Map<GgmlType, long[]> countAndBytes, List<String> warnings, long bytesIn,
                         long bytesOut) {}

    /** Told of each tensor once it is written. */
    @FunctionalInterface
    public interface Progress {
        /** Tensor {@code index} (from 1) of {@code count}, {@code name}, went from type {@code from} to {@code to}. */
        void written(int index, int count, String name, GgmlType from, GgmlType to);
    }

    /** {@code config.json}'s hyper-parameters, with transformers' defaults where it leaves one out. */
    private record Hyper(int dim, int ffn, int layers, int heads, int kvHeads, int headDim, int vocab, int context,
                         double rmsEps, double ropeTheta, boolean tied, String ropeType, Json.Obj rope) {}

    /**
     * One tensor of the output.
     *
     * @param source       the Hugging Face tensor, or {@code null} for a generated one
     * @param file         the safetensors file it is in
     * @param permuteHeads the head count of the RoPE permutation of its rows, 0 for none
     * @param values       a generated tensor's values
     */
    private record Planned(String name, Tensor source, Path file, int permuteHeads, float[] values, long[] ne,
                           GgmlType type) {
        GgmlType from() {
            return source == null ? GgmlType.F32 : source.type();
        }

        long elements() {
            return Arrays.stream(ne).reduce(1, Math::multiplyExact);
        }
    }

    private Converter() {}

    /**
     * Converts the Hugging Face directory {@code in} into {@code out}.
     *
     * @param overwrite replace an existing {@code out}; it is refused otherwise
     * @param log       receives each warning as it is found (fallbacks, what the file cannot carry)
     * @throws ModelFormatException naming the file and the key or tensor: a missing or unsupported
     *     config field or architecture, a missing tensor or one of the wrong shape or type, NaN or
     *     infinite weights, a tokenizer that cannot be converted
     * @throws IllegalArgumentException if {@code out} is a directory or a file of {@code in}
     * @throws FileAlreadyExistsException if {@code out} exists and not {@code overwrite}
     */
    public static Result convert(Path in, Path out, Options options, boolean overwrite, Progress progress,
                                 Consumer<String> log) throws IOException {
        checkOutput(in, out, overwrite);
        List<String> warnings = new ArrayList<>();
        Consumer<String> warn = w -> {
            warnings.add(w);
            log.accept(w);
        };
        try (HfModelDir hf = HfModelDir.open(in); Parallel parallel = Parallel.pool(options.threads())) {
            Path cfgFile = in.resolve(HfModelDir.CONFIG);
            Hyper h = hyper(cfgFile, hf.config());
            List<Planned> plan = plan(hf, h);
            FileType fileType = options.fileType() != null ? options.fileType() : autoType(plan);
            boolean tied = plan.stream().noneMatch(p -> p.name().equals("output.weight"));
            QuantMix mix = QuantMix.of(fileType, options.pure(), h.layers(), h.heads(), h.kvHeads());
            boolean quantizePipeline = !SCRIPT_TYPES.contains(fileType);
            List<Planned> typed = new ArrayList<>();
            for (Planned p : plan) {
                QuantMix.Choice c = mix.choose(p.name(), p.ne(), GgmlType.F32, tied);
                if (c.fallback() != null) {
                    warn.accept("tensor '" + p.name() + "': " + c.fallback());
                }
                typed.add(new Planned(p.name(), p.source(), p.file(), p.permuteHeads(), p.values(), p.ne(), c.type()));
            }
            if (quantizePipeline) {
                typed.sort(Comparator.comparingInt((Planned p) -> QuantMix.layer(p.name())).thenComparing(Planned::name));
            }
            long totalParams = typed.stream().mapToLong(Planned::elements).sum();
            KeyValues kv = metadata(in, hf, h, fileType, totalParams, warn);
            if (quantizePipeline) {
                kv.moveToEnd("general.quantization_version");
                kv.moveToEnd("general.file_type");
            }
            long bytesIn = typed.stream().filter(p -> p.source() != null).mapToLong(p -> p.source().data().byteSize()).sum();
            Map<GgmlType, long[]> counts = new EnumMap<>(GgmlType.class);
            try (GgufWriter w = GgufWriter.create(out, overwrite)) {
                kv.writeTo(w);
                for (Planned p : typed) {
                    w.addTensor(p.name(), p.type(), p.ne());
                }
                for (int i = 0; i < typed.size(); i++) {
                    Planned p = typed.get(i);
                    if (p.source() == null) {
                        w.writeTensorData(p.name(), p.values());
                    } else {
                        encode(w, p, parallel);
                    }
                    long[] cb = counts.computeIfAbsent(p.type(), k -> new long[2]);
                    cb[0]++;
                    cb[1] += p.type().bytesFor(p.elements());
                    progress.written(i + 1, typed.size(), p.name(), p.from(), p.type());
                }
            }
            return new Result(fileType, counts, List.copyOf(warnings), bytesIn, Files.size(out));
        }
    }

    /** Refuses an output that is a directory or one of the input's files, and an existing one unless {@code overwrite}. */
    private static void checkOutput(Path in, Path out, boolean overwrite) throws IOException {
        if (Files.isDirectory(out)) {
            throw new IllegalArgumentException("the output " + out + " is a directory; give the .gguf file to write");
        }
        if (Files.exists(out) && Files.isDirectory(in)) {
            try (Stream<Path> files = Files.list(in)) {
                for (Path f : files.toList()) {
                    if (Files.isSameFile(f, out)) {
                        throw new IllegalArgumentException("the output " + out + " is " + f.getFileName()
                                + " of the input directory " + in + "; write to another file");
                    }
                }
            }
        }
        if (!overwrite && Files.exists(out)) {
            throw new FileAlreadyExistsException(out.toString(), null, "refusing to overwrite it");
        }
    }

    /** Reads and checks {@code config.json}: a Llama, with what the conversion needs. */
    private static Hyper hyper(Path file, Json.Obj cfg) {
        List<Object> archs = cfg.optList("architectures");
        if (archs == null || archs.isEmpty()) {
            throw new ModelFormatException(file, "key 'architectures' is missing: cannot tell the model's class"
                    + " (supported: " + ARCHITECTURE + ")");
        }
        if (!ARCHITECTURE.equals(archs.getFirst())) {
            throw new ModelFormatException(file, "key 'architectures' names " + archs.getFirst()
                    + ", which convert does not support (supported: " + ARCHITECTURE + ", model_type llama)");
        }
        String modelType = cfg.optString("model_type", "llama");
        if (!modelType.equals("llama")) {
            throw new ModelFormatException(file, "key 'model_type' is '" + modelType + "' (supported: llama)");
        }
        String act = cfg.optString("hidden_act", "silu");
        if (!act.equals("silu")) {
            throw new ModelFormatException(file, "key 'hidden_act' is '" + act + "' (supported: silu)");
        }
        for (String bias : List.of("attention_bias", "mlp_bias")) {
            if (cfg.optBoolean(bias, false)) {
                throw new ModelFormatException(file, "key '" + bias + "' is true: llama-simd does not run Llama"
                        + " models with biases, so convert does not write them");
            }
        }
        for (String key : List.of("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                "vocab_size")) {
            if (cfg.getInt(key) <= 0) {
                throw new ModelFormatException(file, "key '" + key + "' is " + cfg.getInt(key) + ", not a positive size");
            }
        }
        int dim = cfg.getInt("hidden_size");
        int heads = cfg.getInt("num_attention_heads");
        int kvHeads = cfg.optInt("num_key_value_heads", heads);
        int headDim = cfg.optInt("head_dim", dim / heads);
        if (kvHeads <= 0 || heads % kvHeads != 0) {
            throw new ModelFormatException(file, "key 'num_key_value_heads' is " + kvHeads
                    + ", which does not divide num_attention_heads " + heads);
        }
        if (headDim <= 0 || headDim % 2 != 0) {
            throw new ModelFormatException(file, "the head size " + headDim + " (head_dim, or hidden_size / "
                    + "num_attention_heads) is not a positive even number: RoPE rotates pairs");
        }
        Json.Obj rope = cfg.optObject("rope_parameters") != null ? cfg.optObject("rope_parameters")
                : cfg.optObject("rope_scaling");
        String ropeType = rope == null ? "default" : rope.optString("rope_type", rope.optString("type", "default"));
        String key = cfg.has("rope_parameters") ? "rope_parameters" : "rope_scaling";
        switch (ropeType.toLowerCase(Locale.ROOT)) {
            case "default", "llama3" -> { }
            case "linear" -> {
                if (!rope.has("factor")) {
                    throw new ModelFormatException(file, "key '" + key + ".factor' is missing (linear RoPE scaling)");
                }
            }
            default -> throw new ModelFormatException(file, "key '" + key + ".rope_type' is '" + ropeType
                    + "' (supported: default, linear, llama3)");
        }
        double theta = rope != null && rope.has("rope_theta") ? rope.getDouble("rope_theta")
                : cfg.optDouble("rope_theta", 10000);
        return new Hyper(dim, cfg.getInt("intermediate_size"), cfg.getInt("num_hidden_layers"), heads, kvHeads, headDim,
                cfg.getInt("vocab_size"), cfg.optInt("max_position_embeddings", 2048), cfg.optDouble("rms_norm_eps", 1e-6),
                theta, cfg.optBoolean("tie_word_embeddings", false), ropeType.toLowerCase(Locale.ROOT), rope);
    }

    /**
     * The output tensors in the script's order: {@code rope_freqs.weight} when generated, then the
     * safetensors files by name and each file's tensors by name; every one mapped, checked against
     * the config, and present.
     */
    private static List<Planned> plan(HfModelDir hf, Hyper h) {
        List<Planned> plan = new ArrayList<>();
        if (h.ropeType().equals("llama3")) {
            Json.Obj r = h.rope();
            Json.Obj cfg = hf.config();
            RopeScaling.Llama3 scaling = new RopeScaling.Llama3((float) r.optDouble("factor", 8.0),
                    (float) r.optDouble("low_freq_factor", 1.0), (float) r.optDouble("high_freq_factor", 4.0),
                    r.optInt("original_max_position_embeddings", cfg.optInt("original_max_position_embeddings", 8192)));
            float[] factors = SyntheticModel.llama3RopeFactors(h.headDim(), (float) h.ropeTheta(), scaling);
            plan.add(new Planned("rope_freqs.weight", null, null, 0, factors, new long[] {factors.length}, GgmlType.F32));
        }
        List<SafetensorsFile> files = new ArrayList<>(hf.files());
        files.sort(Comparator.comparing(f -> f.path().getFileName().toString()));
        Set<String> seen = new HashSet<>();
        for (SafetensorsFile f : files) {
            List<String> names = new ArrayList<>(f.tensors().keySet());
            names.sort(Comparator.naturalOrder());
            for (String hfName : names) {
                Tensor t = f.tensors().get(hfName);
                if (hf.tensors().get(hfName) != t || skipped(hfName)) {
                    continue;
                }
                String name = ggufName(hfName, h.layers());
                if (name == null) {
                    throw new ModelFormatException(f.path(), "tensor '" + hfName + "' is not part of a " + ARCHITECTURE
                            + " with " + h.layers() + " layers: cannot map it to a GGUF name");
                }
                if (t.type() != GgmlType.F32 && t.type() != GgmlType.F16 && t.type() != GgmlType.BF16) {
                    throw new ModelFormatException(f.path(), "tensor '" + hfName + "' is " + t.type()
                            + " (convert reads F32, F16 and BF16 weights)");
                }
                checkShape(f.path(), hfName, t, expectedShape(name, h));
                int heads = name.endsWith("attn_q.weight") ? h.heads() : name.endsWith("attn_k.weight") ? h.kvHeads() : 0;
                plan.add(new Planned(name, t, f.path(), heads, null, t.ne(), null));
                seen.add(name);
            }
        }
        for (String name : expectedNames(h)) {
            if (!seen.contains(name) && !(name.equals("output.weight") && h.tied())) {
                throw new ModelFormatException(hf.dir(), "tensor '" + hfName(name) + "' (GGUF " + name + ") is missing"
                        + (name.equals("output.weight") ? " and config.json's tie_word_embeddings is not true" : ""));
            }
        }
        return plan;
    }

    private static boolean skipped(String hfName) {
        return hfName.endsWith(".attention.masked_bias") || hfName.endsWith(".attention.bias")
                || hfName.endsWith(".rotary_emb.inv_freq");
    }

    /** The GGUF name of a Hugging Face Llama tensor, or {@code null} when it has none. */
    private static String ggufName(String hfName, int layers) {
        String n = hfName.replace("text_model.", "").replace("language_model.", "");
        if (GLOBAL_NAMES.containsKey(n)) {
            return GLOBAL_NAMES.get(n);
        }
        Matcher m = HF_LAYER.matcher(n);
        if (m.matches() && LAYER_NAMES.containsKey(m.group(2))) {
            int layer = Integer.parseInt(m.group(1));
            return layer < layers ? "blk." + layer + "." + LAYER_NAMES.get(m.group(2)) : null;
        }
        return null;
    }

    /** The Hugging Face name of a GGUF tensor (for messages). */
    private static String hfName(String gguf) {
        for (Map.Entry<String, String> e : GLOBAL_NAMES.entrySet()) {
            if (e.getValue().equals(gguf)) {
                return e.getKey();
            }
        }
        Matcher m = LAYER.matcher(gguf);
        if (m.find()) {
            String rest = gguf.substring(m.end());
            for (Map.Entry<String, String> e : LAYER_NAMES.entrySet()) {
                if (e.getValue().equals(rest)) {
                    return "model.layers." + m.group(1) + "." + e.getKey();
                }
            }
        }
        return gguf;
    }

    /** The GGUF name of every tensor the config implies. */
    private static Set<String> expectedNames(Hyper h) {
        Set<String> names = new LinkedHashSet<>(List.of("token_embd.weight", "output.weight", "output_norm.weight"));
        for (int l = 0; l < h.layers(); l++) {
            for (String n : LAYER_NAMES.values()) {
                names.add("blk." + l + "." + n);
            }
        }
        return names;
    }

    /** The shape (ggml order) the config gives a GGUF tensor. */
    private static long[] expectedShape(String name, Hyper h) {
        long q = (long) h.heads() * h.headDim();
        long kv = (long) h.kvHeads() * h.headDim();
        String kind = name.startsWith("blk.") ? name.substring(name.indexOf('.', 4) + 1) : name;
        return switch (kind) {
            case "token_embd.weight", "output.weight" -> new long[] {h.dim(), h.vocab()};
            case "output_norm.weight", "attn_norm.weight", "ffn_norm.weight" -> new long[] {h.dim()};
            case "attn_q.weight" -> new long[] {h.dim(), q};
            case "attn_k.weight", "attn_v.weight" -> new long[] {h.dim(), kv};
            case "attn_output.weight" -> new long[] {q, h.dim()};
            case "ffn_gate.weight", "ffn_up.weight" -> new long[] {h.dim(), h.ffn()};
            case "ffn_down.weight" -> new long[] {h.ffn(), h.dim()};
            default -> throw new IllegalStateException("no shape for " + name);
        };
    }

    private static void checkShape(Path file, String hfName, Tensor t, long[] ne) {
        if (!Arrays.equals(t.ne(), ne)) {
            throw new ModelFormatException(file, "tensor '" + hfName + "' has shape " + reversed(t.ne())
                    + " but config.json implies " + reversed(ne) + " (safetensors order, [rows, columns])");
        }
    }

    private static String reversed(long[] ne) {
        long[] r = new long[ne.length];
        for (int i = 0; i < ne.length; i++) {
            r[i] = ne[ne.length - 1 - i];
        }
        return Arrays.toString(r);
    }

    /** The script's {@code --outtype auto}: the first matrix's type, BF16 or F16 (F32 sources give F16). */
    private static FileType autoType(List<Planned> plan) {
        for (Planned p : plan) {
            if (p.source() != null && p.source().rank() >= 2) {
                return p.source().type() == GgmlType.BF16 ? FileType.MOSTLY_BF16 : FileType.MOSTLY_F16;
            }
        }
        return FileType.MOSTLY_F16;
    }

    /** Every key, in the order {@code convert_hf_to_gguf.py} writes them. */
    private static KeyValues metadata(Path in, HfModelDir hf, Hyper h, FileType fileType, long totalParams,
                                      Consumer<String> warn) {
        Json.Obj cfg = hf.config();
        KeyValues kv = new KeyValues();
        kv.string("general.architecture", "llama").string("general.type", "model");
        GeneralKeys.putSampling(kv, hf.generationConfig());
        if (GeneralKeys.hasModelCard(in)) {
            warn.accept("README.md's model card is not read: the keys convert_hf_to_gguf.py takes from its front matter"
                    + " (general.license, tags, languages, base models, datasets, description, a name) are not written");
        }
        Path dirName = in.toAbsolutePath().normalize().getFileName();
        GeneralKeys.putNaming(kv, dirName == null ? "" : dirName.toString(), cfg.optString("_name_or_path", null),
                totalParams);
        String p = "llama.";
        kv.u32(p + "block_count", h.layers()).u32(p + "context_length", h.context()).u32(p + "embedding_length", h.dim())
                .u32(p + "feed_forward_length", h.ffn()).u32(p + "attention.head_count", h.heads())
                .u32(p + "attention.head_count_kv", h.kvHeads());
        if (h.ropeType().equals("linear")) {
            kv.string(p + "rope.scaling.type", "linear").f32(p + "rope.scaling.factor", h.rope().getDouble("factor"));
        }
        kv.f32(p + "rope.freq_base", h.ropeTheta()).f32(p + "attention.layer_norm_rms_epsilon", h.rmsEps())
                .u32(p + "attention.key_length", h.headDim()).u32(p + "attention.value_length", h.headDim())
                .u32("general.file_type", fileType.id).u32(p + "vocab_size", h.vocab())
                .u32(p + "rope.dimension_count", h.headDim()).u32("general.quantization_version", 2);
        HfVocab.put(in, cfg, h.vocab(), kv, warn);
        return kv;
    }

    /**
     * Widens each row of the source (the row the RoPE permutation puts there, for queries and
     * keys), checks it, and encodes it as the planned type ({@link Quantizer#encodeRows}).
     */
    private static void encode(GgufWriter w, Planned p, Parallel parallel) throws IOException {
        int headRows = p.permuteHeads() == 0 ? 0 : p.source().rows() / p.permuteHeads();
        Quantizer.encodeRows(p.file(), w, p.name(), p.source(), p.type(),
                headRows == 0 ? LongUnaryOperator.identity() : row -> halfSplitRow(row, headRows), parallel);
    }

    /**
     * The Hugging Face row that the script's {@code permute} puts at GGUF row {@code row}: within
     * each head of {@code headRows} rows, GGUF row {@code 2i + j} is HF row {@code j * headRows/2 + i}.
     */
    static long halfSplitRow(long row, int headRows) {
        long head = row / headRows;
        int k = (int) (row % headRows);
        return head * headRows + (long) (k % 2) * (headRows / 2) + k / 2;
    }
}
