package dev.llamasimd.model;

import dev.llamasimd.io.GgufFile;
import dev.llamasimd.io.GgufMetadata;
import dev.llamasimd.io.HfModelDir;
import dev.llamasimd.io.Json;
import dev.llamasimd.io.ModelFormatException;
import dev.llamasimd.io.TensorSource;
import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.kernels.Rope;
import dev.llamasimd.kernels.TypeKernels;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Quant;
import dev.llamasimd.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Opens a model from a GGUF file or a Hugging Face directory ({@code config.json} +
 * safetensors): reads the config, maps the file, and checks every tensor's presence, type and
 * shape against the config before anything runs. Errors name the file, the key or tensor, and
 * what was expected.
 */
public final class ModelLoader {
    private ModelLoader() {}

    /** Loads the model at {@code path} (a {@code .gguf} file or an HF directory) to run on {@code parallel}. */
    public static Llama load(Path path, Parallel parallel) {
        TensorSource source = open(path);
        try {
            return load(source, parallel);
        } catch (RuntimeException e) {
            source.close();
            throw e;
        }
    }

    /**
     * The model of an {@link #open} source, so that one mapping serves the model and whatever
     * else reads the file (its tokenizer, {@code inspect}). The model owns the source once
     * built: closing it unmaps the file. If building fails, the source stays open.
     */
    public static Llama load(TensorSource source, Parallel parallel) {
        return switch (source) {
            case GgufFile gguf -> fromGguf(gguf, parallel);
            case HfModelDir hf -> fromHf(hf, parallel);
            default -> throw new IllegalStateException("unexpected source " + source);
        };
    }

    /**
     * Maps the file(s) at {@code path} without building a model: a {@link GgufFile} for a
     * {@code .gguf} file, a {@link HfModelDir} for a directory.
     */
    public static TensorSource open(Path path) {
        if (Files.isDirectory(path)) {
            return HfModelDir.open(path);
        }
        if (!Files.isRegularFile(path)) {
            throw new ModelFormatException(path, "no such model file or directory");
        }
        try {
            return GgufFile.open(path);
        } catch (ModelFormatException e) {
            if (e.offset() == 0 && path.getFileName().toString().endsWith(".safetensors")) {
                throw new ModelFormatException(path, 0,
                        "not a GGUF file; for a Hugging Face model pass the directory that holds config.json");
            }
            throw e;
        } catch (IOException e) {
            throw new ModelFormatException(path, "cannot read: " + e.getMessage(), e);
        }
    }

    private static Llama fromGguf(GgufFile file, Parallel parallel) {
        Path path = file.path();
        GgufMetadata md = file.metadata();
        String archName = md.getString("general.architecture");
        Architecture arch = Architecture.ofGguf(archName);
        if (arch == null) {
            throw new ModelFormatException(path, "general.architecture '" + archName + "' is not supported (supported: "
                    + Architecture.ggufNames() + ")");
        }
        String p = archName + ".";
        int dim = md.getInt(p + "embedding_length");
        int heads = md.getInt(p + "attention.head_count");
        if (heads <= 0) {
            throw new ModelFormatException(path, p + "attention.head_count is " + heads + ", must be positive");
        }
        int headDim = md.getIntOrDefault(p + "attention.key_length", dim / heads);
        if (md.has(p + "attention.value_length") && md.getInt(p + "attention.value_length") != headDim) {
            throw new ModelFormatException(path, p + "attention.value_length differs from the key length "
                    + headDim + ", which llama-simd does not support");
        }
        Tensor embedding = file.tensor("token_embd.weight");
        RopeScaling scaling = ggufRopeScaling(path, md, p);
        Config config = build(path, () -> new Config(
                arch,
                dim,
                md.getInt(p + "feed_forward_length"),
                md.getInt(p + "block_count"),
                heads,
                md.getIntOrDefault(p + "attention.head_count_kv", heads),
                headDim,
                embedding.rows(),
                md.getInt(p + "context_length"),
                md.getFloat(p + "attention.layer_norm_rms_epsilon"),
                md.getFloatOrDefault(p + "rope.freq_base", 10000f),
                md.getIntOrDefault(p + "rope.dimension_count", headDim),
                arch.ggufRopeLayout(),
                scaling,
                md.getIntOrDefault(p + "attention.sliding_window", 0)));
        if (md.has(p + "vocab_size") && md.getInt(p + "vocab_size") != config.vocabSize()) {
            throw new ModelFormatException(path, p + "vocab_size = " + md.getInt(p + "vocab_size")
                    + " but token_embd.weight has " + config.vocabSize() + " rows");
        }
        Tensor freqs = file.optionalTensor("rope_freqs.weight");
        float[] freqFactors = freqs == null ? null : vector(file, freqs, config.ropeDims() / 2);
        boolean tied = file.optionalTensor(TensorRole.OUTPUT.gguf(0) + ".weight") == null;
        Weights weights = weights(file, config, config.ropeInvFreq(freqFactors), tied, TensorRole::gguf, arch.biases(),
                false);
        return new Llama(config, weights, parallel, file);
    }

    private static RopeScaling ggufRopeScaling(Path path, GgufMetadata md, String p) {
        String type = md.getStringOrDefault(p + "rope.scaling.type", "none");
        return switch (type) {
            case "none" -> null;
            case "linear" -> new RopeScaling.Linear(md.getFloat(p + "rope.scaling.factor"));
            default -> throw new ModelFormatException(path, p + "rope.scaling.type '" + type
                    + "' is not supported (supported: none, linear; Llama 3 scaling comes as rope_freqs.weight)");
        };
    }

    private static Llama fromHf(HfModelDir hf, Parallel parallel) {
        Json.Obj cfg = hf.config();
        Path cfgFile = hf.dir().resolve(HfModelDir.CONFIG);
        String modelType = cfg.optString("model_type", "llama");
        Architecture arch = Architecture.ofHf(modelType);
        if (arch == null) {
            throw new ModelFormatException(cfgFile, "model_type '" + modelType + "' is not supported (supported: "
                    + Architecture.hfNames() + ")");
        }
        HfConfig.checkActivation(cfgFile, cfg, arch);
        Set<TensorRole> biases = HfConfig.requiredBiases(cfg, arch);
        int dim = cfg.getInt("hidden_size");
        int heads = cfg.getInt("num_attention_heads");
        if (heads <= 0) {
            throw new ModelFormatException(cfgFile, "num_attention_heads is " + heads + ", must be positive");
        }
        int headDim = cfg.optInt("head_dim", dim / heads);
        int ropeDims = HfConfig.ropeDims(cfg, headDim);
        Config config = build(cfgFile, () -> new Config(
                arch,
                dim,
                cfg.getInt("intermediate_size"),
                cfg.getInt("num_hidden_layers"),
                heads,
                cfg.optInt("num_key_value_heads", heads),
                headDim,
                cfg.getInt("vocab_size"),
                cfg.optInt("max_position_embeddings", 2048),
                (float) cfg.optDouble("rms_norm_eps", 1e-6),
                (float) cfg.optDouble("rope_theta", 10000),
                ropeDims,
                Rope.Layout.HALF_SPLIT,
                hfRopeScaling(cfgFile, cfg.optObject("rope_scaling")),
                HfConfig.slidingWindow(cfgFile, cfg, arch)));
        boolean tied = cfg.optBoolean("tie_word_embeddings", arch.has(Architecture.Trait.TIED_BY_DEFAULT));
        Weights weights = weights(hf, config, config.ropeInvFreq(null), tied, TensorRole::hf, biases,
                arch.has(Architecture.Trait.HF_NORM_PLUS_ONE));
        return new Llama(config, weights, parallel, hf);
    }

    private static RopeScaling hfRopeScaling(Path file, Json.Obj s) {
        if (s == null) {
            return null;
        }
        String type = s.optString("rope_type", s.optString("type", "default"));
        return switch (type) {
            case "default" -> null;
            case "linear" -> new RopeScaling.Linear((float) s.getDouble("factor"));
            case "llama3" -> new RopeScaling.Llama3(
                    (float) s.getDouble("factor"),
                    (float) s.getDouble("low_freq_factor"),
                    (float) s.getDouble("high_freq_factor"),
                    s.getInt("original_max_position_embeddings"));
            default -> throw new ModelFormatException(file, "rope_scaling type '" + type
                    + "' is not supported (supported: default, linear, llama3)");
        };
    }

    private static Config build(Path file, Supplier<Config> make) {
        try {
            return make.get();
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, "inconsistent hyper-parameters: " + e.getMessage(), e);
        }
    }

    /** A tensor's name stem in one source: role and layer to {@code blk.L.attn_q} or {@code model.layers.L.self_attn.q_proj}. */
    @FunctionalInterface
    interface Names {
        String stem(TensorRole role, int layer);
    }

    /**
     * Collects and checks the tensors, named by {@code names}; {@code tied}: the output is the
     * embedding. A projection's bias is used when its tensor is there, and must be there for the
     * roles in {@code required}; any other bias tensor is refused.
     */
    private static Weights weights(TensorSource src, Config c, float[] invFreq, boolean tied, Names names,
                                   Set<TensorRole> required, boolean normPlusOne) {
        Set<String> biases = new HashSet<>();
        Matrix embedding = matrix(src, names.stem(TensorRole.TOKEN_EMBEDDING, 0), c.dim(), c.vocabSize());
        boolean fused = c.family().has(Architecture.Trait.FUSED_PROJECTIONS);
        if (c.layers() > src.tensors().size()) {
            throw new ModelFormatException(src.path(), "the config has " + c.layers() + " layers, but the file holds only "
                    + src.tensors().size() + " tensors (each layer has its own)");
        }
        Weights.Layer[] layers = new Weights.Layer[c.layers()];
        for (int l = 0; l < c.layers(); l++) {
            Map<TensorRole, Matrix> m = new EnumMap<>(TensorRole.class);
            for (TensorRole role : TensorRole.BIASED) {
                if (fused && role != TensorRole.O && role != TensorRole.DOWN) {
                    continue;
                }
                int[] colsRows = switch (role) {
                    case Q -> new int[] {c.dim(), c.qDim()};
                    case K, V -> new int[] {c.dim(), c.kvDim()};
                    case O -> new int[] {c.qDim(), c.dim()};
                    case GATE, UP -> new int[] {c.dim(), c.ffnDim()};
                    case DOWN -> new int[] {c.ffnDim(), c.dim()};
                    default -> throw new IllegalStateException(role.name());
                };
                String stem = names.stem(role, l);
                Matrix matrix = matrix(src, stem, colsRows[0], colsRows[1]);
                String biasName = stem + ".bias";
                Tensor bias = src.tensors().get(biasName);
                if (bias != null) {
                    matrix = matrix.withBias(vector(src, bias, colsRows[1]));
                    biases.add(biasName);
                } else if (required.contains(role)) {
                    throw new ModelFormatException(src.path(), "tensor '" + biasName + "' is missing: a "
                            + c.family() + " model" + (c.family().biases().contains(role) ? "" : " of this config")
                            + " has a bias on " + role.ggufInLayer());
                }
                m.put(role, matrix);
            }
            if (fused) {
                Matrix qkv = matrix(src, names.stem(TensorRole.QKV, l), c.dim(), c.qDim() + 2 * c.kvDim());
                m.put(TensorRole.Q, qkv.rowSlice(0, c.qDim()));
                m.put(TensorRole.K, qkv.rowSlice(c.qDim(), c.kvDim()));
                m.put(TensorRole.V, qkv.rowSlice(c.qDim() + c.kvDim(), c.kvDim()));
                Matrix gateUp = matrix(src, names.stem(TensorRole.GATE_UP, l), c.dim(), 2 * c.ffnDim());
                m.put(TensorRole.GATE, gateUp.rowSlice(0, c.ffnDim()));
                m.put(TensorRole.UP, gateUp.rowSlice(c.ffnDim(), c.ffnDim()));
            }
            layers[l] = new Weights.Layer(
                    norm(src, names.stem(TensorRole.ATTN_NORM, l), c.dim(), normPlusOne),
                    m.get(TensorRole.Q), m.get(TensorRole.K), m.get(TensorRole.V), m.get(TensorRole.O),
                    norm(src, names.stem(TensorRole.FFN_NORM, l), c.dim(), normPlusOne),
                    m.get(TensorRole.GATE), m.get(TensorRole.DOWN), m.get(TensorRole.UP));
        }
        for (String name : src.tensors().keySet()) {
            if (name.endsWith(".bias") && !biases.contains(name)) {
                throw new ModelFormatException(src.path(), "tensor '" + name + "' is a bias that llama-simd's "
                        + c.family() + " forward pass has no place for: refused rather than ignored, which would"
                        + " give wrong logits");
            }
        }
        float[] outputNorm = norm(src, names.stem(TensorRole.OUTPUT_NORM, 0), c.dim(), normPlusOne);
        Matrix output = tied ? embedding : matrix(src, names.stem(TensorRole.OUTPUT, 0), c.dim(), c.vocabSize());
        return new Weights(embedding, layers, outputNorm, output, invFreq);
    }

    private static Matrix matrix(TensorSource src, String stem, int cols, int rows) {
        String name = stem + ".weight";
        Tensor t = src.tensor(name);
        if (t.rank() != 2 || t.dim(0) != cols || t.dim(1) != rows) {
            throw new ModelFormatException(src.path(), "tensor '" + name + "' has shape " + t.shapeString()
                    + " (ggml order), expected [" + cols + ", " + rows + "] from the config");
        }
        if (TypeKernels.find(t.type()) == null) {
            throw new ModelFormatException(src.path(), "tensor '" + name + "' has type " + t.type()
                    + ", which llama-simd cannot compute with yet (supported: " + TypeKernels.names() + ")");
        }
        return Matrix.of(t);
    }

    /** A norm's weights; {@code plusOne}: as {@code 1 + w} (in float32, as transformers' Gemma computes it). */
    private static float[] norm(TensorSource src, String stem, int n, boolean plusOne) {
        float[] w = vector(src, src.tensor(stem + ".weight"), n);
        if (plusOne) {
            for (int i = 0; i < n; i++) {
                w[i] = 1f + w[i];
            }
        }
        return w;
    }

    private static float[] vector(TensorSource src, Tensor t, int n) {
        if (t.elementCount() != n || t.dim(0) != n) {
            throw new ModelFormatException(src.path(), "tensor '" + t.name() + "' has shape " + t.shapeString()
                    + ", expected [" + n + "]");
        }
        if (t.type() != GgmlType.F32 && t.type() != GgmlType.F16 && t.type() != GgmlType.BF16) {
            throw new ModelFormatException(src.path(), "vector tensor '" + t.name() + "' has type " + t.type()
                    + " (supported: F32, F16, BF16)");
        }
        float[] v = new float[n];
        Quant.dequantize(t.type(), t.data(), 0, v, 0, n);
        return v;
    }
}
