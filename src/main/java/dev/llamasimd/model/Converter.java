package dev.llamasimd.model;

import dev.llamasimd.io.GgufWriter;
import dev.llamasimd.io.HfModelDir;
import dev.llamasimd.io.Json;
import dev.llamasimd.io.ModelFormatException;
import dev.llamasimd.io.SafetensorsFile;
import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.kernels.Rope;
import dev.llamasimd.tensor.FileType;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Quant;
import dev.llamasimd.tensor.Tensor;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SequencedMap;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongUnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Converts a Hugging Face directory of one of the families llama-simd runs ({@link #ARCHITECTURES}:
 * {@code config.json}, safetensors weights in F32, F16 or BF16, one file or shards with an index,
 * and the tokenizer files) into a GGUF file as llama.cpp's {@code convert_hf_to_gguf.py} (v0.5.0)
 * writes it: its {@code general.architecture} ({@link Architecture#ggufName}: Mistral is
 * {@code llama}), its tensor names, shapes and order (Phi-3's fused {@code attn_qkv} and
 * {@code ffn_up} as they are, Gemma without {@code output.weight}), for arch {@code llama} the
 * query and key rows (and their biases) permuted from Hugging Face's rotate-half layout to GGUF's
 * interleaved RoPE pairs, Gemma's norms as {@code 1 + w}, Llama 3 RoPE scaling as a
 * {@code rope_freqs.weight} tensor, each family's metadata keys in its order
 * ({@link GeneralKeys}, {@link HfVocab}), 1-D tensors in F32.
 *
 * <p>Types: F32, F16, BF16 and Q8_0 are the script's own {@code --outtype}s; the default
 * ({@code null}) is its {@code auto}: BF16 when the weights are BF16, else F16. Every other
 * type of {@link QuantMix#fileType} gives what {@code llama-quantize} makes of the lossless
 * conversion (the source values exactly): its mix and fallbacks, its tensor order, and
 * {@code general.quantization_version} and {@code general.file_type} moved to the end of the
 * metadata. llama-simd's deviations: a directory without tokenizer files, which the script
 * refuses, gets {@code tokenizer.ggml.model = none} (and, in the families whose script writes no
 * {@code vocab_size}, {@code <arch>.vocab_size}, by which llama.cpp sizes such a model); a
 * byte-level pre-tokenizer whose hash the script does not know is named after its layout when
 * that is a common one ({@link BpePreTokenizers}); Mistral's {@code sliding_window}, which the
 * script leaves out, is written as {@code llama.attention.sliding_window}; Gemma's {@code 1 + w}
 * is computed in float32, as transformers computes it (the script adds 1 in the source's type:
 * F16 for F16 weights); the vocabulary follows the script's Llama rules in every family, with
 * what Gemma's adds to them ({@code eot} id, {@code add_space_prefix = false}); Phi-3's own
 * SentencePiece reading is not reproduced (a warning says so); NaN and infinite weights, RoPE
 * scaling other than linear and llama3 (Llama, Mistral) or linear (Qwen2), and what a family's
 * GGUF keys cannot carry are refused; a {@code README.md} model card is not read (a warning says
 * so).
 *
 * <p>Streams: a few rows per thread are in memory at a time, whatever the model's size; the
 * output appears under its name only when complete ({@link GgufWriter}).
 */
public final class Converter {
    /** The types {@code convert_hf_to_gguf.py} writes itself ({@code --outtype}). */
    public static final Set<FileType> SCRIPT_TYPES =
            Set.of(FileType.ALL_F32, FileType.MOSTLY_F16, FileType.MOSTLY_BF16, FileType.MOSTLY_Q8_0);

    /** The model classes this converter reads ({@code config.json}'s {@code architectures[0]}), with their family. */
    public static final SequencedMap<String, Architecture> ARCHITECTURES = architectures();

    private static final Pattern HF_LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)");
    private static final String T = "tokenizer.ggml.";
    /** The projections that a fused family keeps in {@link TensorRole#QKV} and {@link TensorRole#GATE_UP}. */
    private static final Set<TensorRole> UNFUSED = EnumSet.of(TensorRole.Q, TensorRole.K, TensorRole.V,
            TensorRole.GATE, TensorRole.UP);
    private static final Set<TensorRole> NORMS = EnumSet.of(TensorRole.OUTPUT_NORM, TensorRole.ATTN_NORM,
            TensorRole.FFN_NORM);

    private static SequencedMap<String, Architecture> architectures() {
        SequencedMap<String, Architecture> m = new LinkedHashMap<>();
        for (Architecture a : Architecture.ALL) {
            m.put(a.hfClass(), a);
        }
        return Collections.unmodifiableSequencedMap(m);
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

    /**
     * {@code config.json}'s hyper-parameters, with transformers' defaults where it leaves one out.
     *
     * @param className       {@code architectures[0]}
     * @param headDimGiven    whether {@code head_dim} is in the config (the script writes the key length only then)
     * @param ropeDims        the rotated values per head ({@code partial_rotary_factor} of the head)
     * @param biases          the projections that must have a bias (the family's, and the config's)
     * @param window          the sliding window, 0 for none (as the loader reads it)
     * @param originalContext Phi-3's {@code original_max_position_embeddings}, 0 in the other families
     */
    private record Hyper(String className, Architecture arch, int dim, int ffn, int layers, int heads, int kvHeads,
                         int headDim, boolean headDimGiven, int ropeDims, int vocab, int context, double rmsEps,
                         double ropeTheta, boolean tied, String ropeType, Json.Obj rope, Set<TensorRole> biases,
                         int window, int originalContext) {
        /** Whether the GGUF file wants interleaved RoPE pairs, so that Q/K rows are permuted (arch llama). */
        boolean permutes() {
            return arch.ggufRopeLayout() == Rope.Layout.INTERLEAVED;
        }
    }

    /** A tensor of the model: its role, its layer (0 for a global one) and whether it is the bias. */
    private record Slot(TensorRole role, int layer, boolean bias) {
        String gguf() {
            return role.gguf(layer) + (bias ? ".bias" : ".weight");
        }

        String hf() {
            return role.hf(layer) + (bias ? ".bias" : ".weight");
        }
    }

    /**
     * One tensor of the output.
     *
     * @param source       the Hugging Face tensor, or {@code null} for a generated one
     * @param file         the safetensors file it is in
     * @param permuteHeads the head count of the RoPE permutation of its rows (a vector's values), 0 for none
     * @param plusOne      a norm written as {@code 1 + w}
     * @param values       a generated tensor's values
     */
    private record Planned(String name, Tensor source, Path file, int permuteHeads, boolean plusOne, float[] values,
                           long[] ne, GgmlType type) {
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
                typed.add(new Planned(p.name(), p.source(), p.file(), p.permuteHeads(), p.plusOne(), p.values(), p.ne(),
                        c.type()));
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

    /**
     * Reads and checks {@code config.json}: a class of {@link #ARCHITECTURES} whose model type is
     * its family, with what the conversion needs, and nothing its family's GGUF keys cannot carry.
     */
    private static Hyper hyper(Path file, Json.Obj cfg) {
        String supported = String.join(", ", ARCHITECTURES.sequencedKeySet());
        List<Object> archs = cfg.optList("architectures");
        if (archs == null || archs.isEmpty()) {
            throw new ModelFormatException(file, "key 'architectures' is missing: cannot tell the model's class"
                    + " (supported: " + supported + ")");
        }
        Architecture arch = archs.getFirst() instanceof String name ? ARCHITECTURES.get(name) : null;
        if (arch == null) {
            throw new ModelFormatException(file, "key 'architectures' names " + archs.getFirst()
                    + ", which convert does not support (supported: " + supported + ")");
        }
        String className = (String) archs.getFirst();
        String modelType = cfg.optString("model_type", "llama");
        if (Architecture.ofHf(modelType) != arch) {
            throw new ModelFormatException(file, "key 'model_type' is '" + modelType + "' but architectures names "
                    + className + " (model_type " + String.join(" or ", arch.hfModelTypes()) + ")");
        }
        HfConfig.checkActivation(file, cfg, arch);
        for (String key : List.of("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                "vocab_size")) {
            if (cfg.getInt(key) <= 0) {
                throw new ModelFormatException(file, "key '" + key + "' is " + cfg.getInt(key) + ", not a positive size");
            }
        }
        int dim = cfg.getInt("hidden_size");
        int heads = cfg.getInt("num_attention_heads");
        int kvHeads = cfg.optInt("num_key_value_heads", heads);
        boolean headDimGiven = cfg.has("head_dim");
        int headDim = cfg.optInt("head_dim", dim / heads);
        if (kvHeads <= 0 || heads % kvHeads != 0) {
            throw new ModelFormatException(file, "key 'num_key_value_heads' is " + kvHeads
                    + ", which does not divide num_attention_heads " + heads);
        }
        if (headDim <= 0 || headDim % 2 != 0) {
            throw new ModelFormatException(file, "the head size " + headDim + " (head_dim, or hidden_size / "
                    + "num_attention_heads) is not a positive even number: RoPE rotates pairs");
        }
        if (arch == Architecture.GEMMA && !headDimGiven) {
            throw new ModelFormatException(file, "key 'head_dim' is missing: a gemma GGUF's key length is the config's"
                    + " head_dim (llama.cpp's converter requires it)");
        }
        if (arch == Architecture.PHI3 && headDim != dim / heads) {
            throw new ModelFormatException(file, "key 'head_dim' is " + headDim + ", not hidden_size / num_attention_heads"
                    + " = " + dim / heads + ": a phi3 GGUF has no key length to carry it");
        }
        int ropeDims = HfConfig.ropeDims(cfg, headDim);
        if (ropeDims != headDim && arch != Architecture.PHI3) {
            throw new ModelFormatException(file, "key 'partial_rotary_factor' rotates " + ropeDims + " of " + headDim
                    + " values per head: llama.cpp's converter writes no partial rotation for " + arch);
        }
        Json.Obj rope = cfg.optObject("rope_parameters") != null ? cfg.optObject("rope_parameters")
                : cfg.optObject("rope_scaling");
        String ropeType = rope == null ? "default" : rope.optString("rope_type", rope.optString("type", "default"));
        ropeType = ropeType.toLowerCase(Locale.ROOT);
        String key = cfg.has("rope_parameters") ? "rope_parameters" : "rope_scaling";
        List<String> ropeTypes = switch (arch.ggufName()) {
            case "llama" -> List.of("default", "linear", "llama3");
            case "qwen2" -> List.of("default", "linear");
            default -> List.of("default");
        };
        if (!ropeTypes.contains(ropeType)) {
            throw new ModelFormatException(file, "key '" + key + ".rope_type' is '" + ropeType + "' (supported for "
                    + arch + ": " + String.join(", ", ropeTypes) + ")");
        }
        if (ropeType.equals("linear") && !rope.has("factor")) {
            throw new ModelFormatException(file, "key '" + key + ".factor' is missing (linear RoPE scaling)");
        }
        double theta = rope != null && rope.has("rope_theta") ? rope.getDouble("rope_theta")
                : cfg.optDouble("rope_theta", 10000);
        if (arch == Architecture.GEMMA && theta != 10000) {
            throw new ModelFormatException(file, "key 'rope_theta' is " + theta + ": a gemma GGUF as llama.cpp writes it"
                    + " has no rope.freq_base, so it runs at 10000");
        }
        boolean tied = cfg.optBoolean("tie_word_embeddings", arch.has(Architecture.Trait.TIED_BY_DEFAULT));
        if (arch == Architecture.GEMMA && !tied) {
            throw new ModelFormatException(file, "key 'tie_word_embeddings' is false: a gemma GGUF as llama.cpp writes"
                    + " it has no output matrix (lm_head.weight is dropped), its output is the embedding");
        }
        int originalContext = 0;
        if (arch == Architecture.PHI3) {
            String orig = "original_max_position_embeddings";
            if (rope != null && rope.has(orig)) {
                originalContext = rope.getInt(orig);
            } else if (cfg.has(orig)) {
                originalContext = cfg.getInt(orig);
            } else {
                throw new ModelFormatException(file, "key '" + orig + "' is missing (a phi3 GGUF's"
                        + " rope.scaling.original_context_length)");
            }
        }
        Set<TensorRole> biases = HfConfig.requiredBiases(cfg, arch);
        biases.retainAll(biasRoles(arch));
        return new Hyper(className, arch, dim, cfg.getInt("intermediate_size"), cfg.getInt("num_hidden_layers"), heads,
                kvHeads, headDim, headDimGiven, ropeDims, cfg.getInt("vocab_size"),
                cfg.optInt("max_position_embeddings", 2048), cfg.optDouble("rms_norm_eps", 1e-6), theta, tied, ropeType,
                rope, Set.copyOf(biases), slidingWindow(file, cfg, arch), originalContext);
    }

    /** The sliding window as the loader reads it ({@link HfConfig#slidingWindow}); a gemma GGUF has none. */
    private static int slidingWindow(Path file, Json.Obj cfg, Architecture arch) {
        int window = HfConfig.slidingWindow(file, cfg, arch);
        if (window > 0 && arch == Architecture.GEMMA) {
            throw new ModelFormatException(file, "key 'sliding_window' is " + window + ": a gemma GGUF as llama.cpp"
                    + " writes it has no window");
        }
        return window;
    }

    /** The per-model tensors of a family: llama.cpp's Gemma drops {@code lm_head.weight} (its output is the embedding). */
    private static List<TensorRole> globalRoles(Architecture arch) {
        return arch == Architecture.GEMMA ? List.of(TensorRole.TOKEN_EMBEDDING, TensorRole.OUTPUT_NORM)
                : List.of(TensorRole.TOKEN_EMBEDDING, TensorRole.OUTPUT_NORM, TensorRole.OUTPUT);
    }

    /** The weights of each layer of a family, in {@link TensorRole} order: fused or separate projections. */
    private static List<TensorRole> layerRoles(Architecture arch) {
        boolean fused = arch.has(Architecture.Trait.FUSED_PROJECTIONS);
        return Arrays.stream(TensorRole.values()).filter(TensorRole::perLayer)
                .filter(r -> fused ? !UNFUSED.contains(r) : r != TensorRole.QKV && r != TensorRole.GATE_UP).toList();
    }

    /** The projections that may have a bias, as the loader uses them: with fused projections, only o and down. */
    private static Set<TensorRole> biasRoles(Architecture arch) {
        return arch.has(Architecture.Trait.FUSED_PROJECTIONS) ? EnumSet.of(TensorRole.O, TensorRole.DOWN)
                : EnumSet.copyOf(TensorRole.BIASED);
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
            plan.add(new Planned("rope_freqs.weight", null, null, 0, false, factors, new long[] {factors.length},
                    GgmlType.F32));
        }
        List<SafetensorsFile> files = new ArrayList<>(hf.files());
        files.sort(Comparator.comparing(f -> f.path().getFileName().toString()));
        Set<String> seen = new HashSet<>();
        for (SafetensorsFile f : files) {
            List<String> names = new ArrayList<>(f.tensors().keySet());
            names.sort(Comparator.naturalOrder());
            for (String hfName : names) {
                Tensor t = f.tensors().get(hfName);
                if (hf.tensors().get(hfName) != t || skipped(hfName, h.arch())) {
                    continue;
                }
                Slot slot = slot(hfName, h);
                if (slot == null) {
                    throw new ModelFormatException(f.path(), "tensor '" + hfName + "' is not part of a " + h.className()
                            + " with " + h.layers() + " layers: cannot map it to a GGUF name");
                }
                if (t.type() != GgmlType.F32 && t.type() != GgmlType.F16 && t.type() != GgmlType.BF16) {
                    throw new ModelFormatException(f.path(), "tensor '" + hfName + "' is " + t.type()
                            + " (convert reads F32, F16 and BF16 weights)");
                }
                checkShape(f.path(), hfName, t, shape(slot, h));
                int heads = !h.permutes() ? 0
                        : slot.role() == TensorRole.Q ? h.heads() : slot.role() == TensorRole.K ? h.kvHeads() : 0;
                boolean plusOne = h.arch().has(Architecture.Trait.HF_NORM_PLUS_ONE) && NORMS.contains(slot.role());
                plan.add(new Planned(slot.gguf(), t, f.path(), heads, plusOne, null, t.ne(), null));
                seen.add(slot.gguf());
            }
        }
        for (Slot slot : expectedSlots(h)) {
            if (!seen.contains(slot.gguf())) {
                String why = slot.role() == TensorRole.OUTPUT ? " and config.json's tie_word_embeddings is not true"
                        : slot.bias() ? ": a " + h.arch() + " model" + (h.arch().biases().contains(slot.role()) ? ""
                                : " of this config") + " has a bias on " + slot.role().ggufInLayer() : "";
                throw new ModelFormatException(hf.dir(), "tensor '" + slot.hf() + "' (GGUF " + slot.gguf() + ") is missing"
                        + why);
            }
        }
        return plan;
    }

    /** The tensors the script leaves out: attention masks, cached RoPE frequencies, and Gemma's {@code lm_head}. */
    private static boolean skipped(String hfName, Architecture arch) {
        return hfName.endsWith(".attention.masked_bias") || hfName.endsWith(".attention.bias")
                || hfName.endsWith(".rotary_emb.inv_freq")
                || (hfName.equals(TensorRole.OUTPUT.hf(0) + ".weight") && !globalRoles(arch).contains(TensorRole.OUTPUT));
    }

    /** The slot of a Hugging Face tensor of the family, or {@code null} when it has none. */
    private static Slot slot(String hfName, Hyper h) {
        String n = hfName.replace("text_model.", "").replace("language_model.", "");
        for (TensorRole role : globalRoles(h.arch())) {
            if (n.equals(role.hf(0) + ".weight")) {
                return new Slot(role, 0, false);
            }
        }
        Matcher m = HF_LAYER.matcher(n);
        if (!m.matches()) {
            return null;
        }
        int layer = Integer.parseInt(m.group(1));
        if (layer >= h.layers()) {
            return null;
        }
        Set<TensorRole> biased = biasRoles(h.arch());
        for (TensorRole role : layerRoles(h.arch())) {
            if (m.group(2).equals(role.hfInLayer() + ".weight")) {
                return new Slot(role, layer, false);
            }
            if (biased.contains(role) && m.group(2).equals(role.hfInLayer() + ".bias")) {
                return new Slot(role, layer, true);
            }
        }
        return null;
    }

    /** Every tensor the config implies: the output unless tied, each layer's weights and the biases it requires. */
    private static List<Slot> expectedSlots(Hyper h) {
        List<Slot> slots = new ArrayList<>();
        for (TensorRole role : globalRoles(h.arch())) {
            if (role != TensorRole.OUTPUT || !h.tied()) {
                slots.add(new Slot(role, 0, false));
            }
        }
        for (int l = 0; l < h.layers(); l++) {
            for (TensorRole role : layerRoles(h.arch())) {
                slots.add(new Slot(role, l, false));
                if (h.biases().contains(role)) {
                    slots.add(new Slot(role, l, true));
                }
            }
        }
        return slots;
    }

    /** The shape (ggml order) the config gives a tensor: {@code [columns, rows]}, a bias {@code [rows]}. */
    private static long[] shape(Slot slot, Hyper h) {
        long q = (long) h.heads() * h.headDim();
        long kv = (long) h.kvHeads() * h.headDim();
        long[] ne = switch (slot.role()) {
            case TOKEN_EMBEDDING, OUTPUT -> new long[] {h.dim(), h.vocab()};
            case OUTPUT_NORM, ATTN_NORM, FFN_NORM -> new long[] {h.dim()};
            case Q -> new long[] {h.dim(), q};
            case K, V -> new long[] {h.dim(), kv};
            case QKV -> new long[] {h.dim(), q + 2 * kv};
            case O -> new long[] {q, h.dim()};
            case GATE, UP -> new long[] {h.dim(), h.ffn()};
            case GATE_UP -> new long[] {h.dim(), 2L * h.ffn()};
            case DOWN -> new long[] {h.ffn(), h.dim()};
        };
        return slot.bias() ? new long[] {ne[ne.length - 1]} : ne;
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

    /** Every key, in the order {@code convert_hf_to_gguf.py} writes them for the family. */
    private static KeyValues metadata(Path in, HfModelDir hf, Hyper h, FileType fileType, long totalParams,
                                      Consumer<String> warn) {
        Json.Obj cfg = hf.config();
        String arch = h.arch().ggufName();
        if (arch.equals("gemma") && !Files.isRegularFile(in.resolve(HfVocab.TOKENIZER_MODEL))
                && Files.isRegularFile(in.resolve(HfVocab.TOKENIZER_JSON))) {
            throw new ModelFormatException(in.resolve(HfVocab.TOKENIZER_JSON), "a gemma vocabulary is read from "
                    + HfVocab.TOKENIZER_MODEL + ", which is missing (llama.cpp's converter reads no other for Gemma)");
        }
        KeyValues kv = new KeyValues();
        kv.string("general.architecture", arch).string("general.type", "model");
        GeneralKeys.putSampling(kv, hf.generationConfig());
        if (GeneralKeys.hasModelCard(in)) {
            warn.accept("README.md's model card is not read: the keys convert_hf_to_gguf.py takes from its front matter"
                    + " (general.license, tags, languages, base models, datasets, description, a name) are not written");
        }
        Path dirName = in.toAbsolutePath().normalize().getFileName();
        GeneralKeys.putNaming(kv, dirName == null ? "" : dirName.toString(), cfg.optString("_name_or_path", null),
                totalParams);
        String p = arch + ".";
        switch (arch) {
            case "phi3" -> kv.u32(p + "context_length", h.context())
                    .u32(p + "rope.scaling.original_context_length", h.originalContext())
                    .u32(p + "embedding_length", h.dim()).u32(p + "feed_forward_length", h.ffn())
                    .u32(p + "block_count", h.layers()).u32(p + "attention.head_count", h.heads())
                    .u32(p + "attention.head_count_kv", h.kvHeads())
                    .f32(p + "attention.layer_norm_rms_epsilon", h.rmsEps()).u32(p + "rope.dimension_count", h.ropeDims())
                    .f32(p + "rope.freq_base", h.ropeTheta()).u32("general.file_type", fileType.id)
                    .u32(p + "attention.sliding_window", h.window());
            case "gemma" -> kv.u32(p + "context_length", h.context()).u32(p + "embedding_length", h.dim())
                    .u32(p + "block_count", h.layers()).u32(p + "feed_forward_length", h.ffn())
                    .u32(p + "attention.head_count", h.heads()).u32(p + "attention.head_count_kv", h.kvHeads())
                    .f32(p + "attention.layer_norm_rms_epsilon", h.rmsEps())
                    .u32(p + "attention.key_length", h.headDim()).u32(p + "attention.value_length", h.headDim())
                    .u32("general.file_type", fileType.id);
            default -> {
                kv.u32(p + "block_count", h.layers()).u32(p + "context_length", h.context())
                        .u32(p + "embedding_length", h.dim()).u32(p + "feed_forward_length", h.ffn())
                        .u32(p + "attention.head_count", h.heads()).u32(p + "attention.head_count_kv", h.kvHeads());
                if (h.ropeType().equals("linear")) {
                    kv.string(p + "rope.scaling.type", "linear").f32(p + "rope.scaling.factor", h.rope().getDouble("factor"));
                }
                kv.f32(p + "rope.freq_base", h.ropeTheta()).f32(p + "attention.layer_norm_rms_epsilon", h.rmsEps());
                if (h.headDimGiven()) {
                    kv.u32(p + "attention.key_length", h.headDim()).u32(p + "attention.value_length", h.headDim());
                }
                kv.u32("general.file_type", fileType.id);
                if (arch.equals("llama")) {
                    kv.u32(p + "vocab_size", h.vocab()).u32(p + "rope.dimension_count", h.headDim());
                    if (h.window() > 0) {
                        kv.u32(p + "attention.sliding_window", h.window());
                    }
                }
            }
        }
        kv.u32("general.quantization_version", 2);
        HfVocab.put(in, cfg, h.vocab(), kv, warn);
        if (!arch.equals("llama")) {
            if ("none".equals(kv.values().get(T + "model").value())) {
                // llama.cpp sizes a model without a vocabulary by <arch>.vocab_size, which only LlamaModel writes
                kv.u32(p + "vocab_size", h.vocab());
            } else {
                familyVocabulary(in, h, kv, warn);
            }
        }
        return kv;
    }

    /**
     * What a family's converter class does to the vocabulary otherwise than {@code LlamaModel}'s
     * {@code set_vocab} ({@link HfVocab}): only Llama's reads {@code add_prefix_space}; Gemma's
     * adds its {@code eot} id (107; gguf-py has no keys for the prefix, suffix, middle and fsep ids
     * it also sets) and {@code add_space_prefix = false}; Phi-3's reads a SentencePiece vocabulary
     * its own way.
     */
    private static void familyVocabulary(Path in, Hyper h, KeyValues kv, Consumer<String> warn) {
        kv.remove(T + "add_space_prefix");
        if (h.arch() == Architecture.GEMMA) {
            kv.u32(T + "eot_token_id", 107).bool(T + "add_space_prefix", false);
        } else if (h.arch() == Architecture.PHI3 && Files.isRegularFile(in.resolve(HfVocab.TOKENIZER_MODEL))) {
            warn.accept(HfVocab.TOKENIZER_MODEL + " is read as convert_hf_to_gguf.py reads a Llama's: its Phi3MiniModel"
                    + " types added tokens by their 'special' flag alone and also reads tokenizer.json's added_tokens,"
                    + " so some token types may differ from its file");
        }
    }

    /**
     * Widens each row of the source (the row the RoPE permutation puts there, for queries and
     * keys), checks it, and encodes it as the planned type ({@link Quantizer#encodeRows}); a
     * vector to permute or to add 1 to goes through {@link #encodeVector}.
     */
    private static void encode(GgufWriter w, Planned p, Parallel parallel) throws IOException {
        if (p.ne().length == 1 && (p.permuteHeads() != 0 || p.plusOne())) {
            encodeVector(w, p);
            return;
        }
        int headRows = p.permuteHeads() == 0 ? 0 : p.source().rows() / p.permuteHeads();
        Quantizer.encodeRows(p.file(), w, p.name(), p.source(), p.type(),
                headRows == 0 ? LongUnaryOperator.identity() : row -> halfSplitRow(row, headRows), parallel);
    }

    /**
     * A vector (a query or key bias, a norm) whole: value {@code i} is the source value the RoPE
     * permutation puts there, plus 1 for a {@code 1 + w} norm (in float32), checked to be finite.
     */
    private static void encodeVector(GgufWriter w, Planned p) throws IOException {
        Tensor t = p.source();
        int n = (int) t.elementCount();
        float[] source = new float[n];
        Quant.dequantize(t.type(), t.data(), 0, source, 0, n);
        int headValues = p.permuteHeads() == 0 ? 0 : n / p.permuteHeads();
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            int from = headValues == 0 ? i : (int) halfSplitRow(i, headValues);
            if (!Float.isFinite(source[from])) {
                throw new ModelFormatException(p.file(), "tensor '" + t.name() + "' (" + t.type() + ") has "
                        + source[from] + " at row 0, column " + from + ": not a usable weight");
            }
            values[i] = p.plusOne() ? 1f + source[from] : source[from];
        }
        w.writeTensorData(p.name(), values);
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
