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
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * Opens a model from a GGUF file or a Hugging Face directory ({@code config.json} +
 * safetensors): reads the config, maps the file, and checks every tensor's presence, type and
 * shape against the config before anything runs. Errors name the file, the key or tensor, and
 * what was expected.
 */
public final class ModelLoader {
    private static final String SUPPORTED_ARCHITECTURES = "llama";

    private ModelLoader() {}

    /** Loads the model at {@code path} (a {@code .gguf} file or an HF directory) to run on {@code parallel}. */
    public static Llama load(Path path, Parallel parallel) {
        TensorSource source = open(path);
        try {
            return switch (source) {
                case GgufFile gguf -> fromGguf(gguf, parallel);
                case HfModelDir hf -> fromHf(hf, parallel);
                default -> throw new IllegalStateException("unexpected source " + source);
            };
        } catch (RuntimeException e) {
            source.close();
            throw e;
        }
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
        if (!startsWithGgufMagic(path)) {
            String hint = path.getFileName().toString().endsWith(".safetensors")
                    ? "; for a Hugging Face model pass the directory that holds config.json"
                    : "";
            throw new ModelFormatException(path, 0, "not a GGUF file (no 'GGUF' magic)" + hint);
        }
        try {
            return GgufFile.open(path);
        } catch (IOException e) {
            throw new ModelFormatException(path, "cannot read: " + e.getMessage(), e);
        }
    }

    private static boolean startsWithGgufMagic(Path path) {
        try (InputStream in = Files.newInputStream(path)) {
            return Arrays.equals(in.readNBytes(4), new byte[] {'G', 'G', 'U', 'F'});
        } catch (IOException e) {
            throw new ModelFormatException(path, "cannot read: " + e.getMessage(), e);
        }
    }

    private static Llama fromGguf(GgufFile file, Parallel parallel) {
        Path path = file.path();
        GgufMetadata md = file.metadata();
        String arch = md.getString("general.architecture");
        requireSupported(path, "general.architecture", arch);
        String p = arch + ".";
        int dim = md.getInt(p + "embedding_length");
        int heads = md.getInt(p + "attention.head_count");
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
                Rope.Layout.INTERLEAVED,
                scaling));
        if (md.has(p + "vocab_size") && md.getInt(p + "vocab_size") != config.vocabSize()) {
            throw new ModelFormatException(path, p + "vocab_size = " + md.getInt(p + "vocab_size")
                    + " but token_embd.weight has " + config.vocabSize() + " rows");
        }
        Tensor freqs = file.optionalTensor("rope_freqs.weight");
        float[] freqFactors = freqs == null ? null : vector(file, freqs, config.ropeDims() / 2);
        Weights weights = weights(file, config, config.ropeInvFreq(freqFactors), "token_embd.weight",
                "output_norm.weight", file.optionalTensor("output.weight") == null ? null : "output.weight",
                l -> new String[] {
                    "blk." + l + ".attn_norm.weight", "blk." + l + ".attn_q.weight",
                    "blk." + l + ".attn_k.weight", "blk." + l + ".attn_v.weight",
                    "blk." + l + ".attn_output.weight", "blk." + l + ".ffn_norm.weight",
                    "blk." + l + ".ffn_gate.weight", "blk." + l + ".ffn_down.weight",
                    "blk." + l + ".ffn_up.weight"
                });
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
        String arch = cfg.optString("model_type", "llama");
        requireSupported(cfgFile, "model_type", arch);
        String act = cfg.optString("hidden_act", "silu");
        if (!act.equals("silu")) {
            throw new ModelFormatException(cfgFile, "hidden_act '" + act + "' is not supported (supported: silu)");
        }
        for (String bias : new String[] {"attention_bias", "mlp_bias"}) {
            if (cfg.optBoolean(bias, false)) {
                throw new ModelFormatException(cfgFile, bias + " = true is not supported yet");
            }
        }
        int dim = cfg.getInt("hidden_size");
        int heads = cfg.getInt("num_attention_heads");
        int headDim = cfg.optInt("head_dim", dim / heads);
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
                headDim,
                Rope.Layout.HALF_SPLIT,
                hfRopeScaling(cfgFile, cfg.optObject("rope_scaling"))));
        boolean tied = cfg.optBoolean("tie_word_embeddings", false);
        Weights weights = weights(hf, config, config.ropeInvFreq(null), "model.embed_tokens.weight",
                "model.norm.weight", tied ? null : "lm_head.weight",
                l -> {
                    String b = "model.layers." + l + ".";
                    return new String[] {
                        b + "input_layernorm.weight", b + "self_attn.q_proj.weight",
                        b + "self_attn.k_proj.weight", b + "self_attn.v_proj.weight",
                        b + "self_attn.o_proj.weight", b + "post_attention_layernorm.weight",
                        b + "mlp.gate_proj.weight", b + "mlp.down_proj.weight", b + "mlp.up_proj.weight"
                    };
                });
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

    private static void requireSupported(Path file, String key, String arch) {
        if (!arch.equals("llama")) {
            throw new ModelFormatException(file, key + " '" + arch + "' is not supported (supported: "
                    + SUPPORTED_ARCHITECTURES + ")");
        }
    }

    private static Config build(Path file, Supplier<Config> make) {
        try {
            return make.get();
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, "inconsistent hyper-parameters: " + e.getMessage(), e);
        }
    }

    /**
     * Collects and checks the tensors. {@code layerNames} gives, per layer: attn norm, q, k, v,
     * o, ffn norm, gate (w1), down (w2), up (w3). {@code outputName} null means tied.
     */
    private static Weights weights(TensorSource src, Config c, float[] invFreq, String embeddingName,
                                   String outputNormName, String outputName, IntFunction<String[]> layerNames) {
        for (String name : src.tensors().keySet()) {
            if (name.endsWith(".bias")) {
                throw new ModelFormatException(src.path(), "tensor '" + name + "' is a bias, which llama-simd's "
                        + c.architecture() + " forward pass does not add: refused rather than ignored, which would give"
                        + " wrong logits");
            }
        }
        Matrix embedding = matrix(src, embeddingName, c.dim(), c.vocabSize());
        Weights.Layer[] layers = new Weights.Layer[c.layers()];
        for (int l = 0; l < c.layers(); l++) {
            String[] n = layerNames.apply(l);
            layers[l] = new Weights.Layer(
                    vector(src, src.tensor(n[0]), c.dim()),
                    matrix(src, n[1], c.dim(), c.qDim()),
                    matrix(src, n[2], c.dim(), c.kvDim()),
                    matrix(src, n[3], c.dim(), c.kvDim()),
                    matrix(src, n[4], c.qDim(), c.dim()),
                    vector(src, src.tensor(n[5]), c.dim()),
                    matrix(src, n[6], c.dim(), c.ffnDim()),
                    matrix(src, n[7], c.ffnDim(), c.dim()),
                    matrix(src, n[8], c.dim(), c.ffnDim()));
        }
        float[] outputNorm = vector(src, src.tensor(outputNormName), c.dim());
        Matrix output = outputName == null ? embedding : matrix(src, outputName, c.dim(), c.vocabSize());
        return new Weights(embedding, layers, outputNorm, output, invFreq);
    }

    private static Matrix matrix(TensorSource src, String name, int cols, int rows) {
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
