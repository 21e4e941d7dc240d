package dev.llamasimd.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.io.GgufFile;
import dev.llamasimd.io.GgufMetadata;
import dev.llamasimd.io.GgufWriter;
import dev.llamasimd.io.ModelFormatException;
import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.kernels.Rope;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Tensor;
import dev.llamasimd.testing.Shared;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model files that parse but do not make a model: missing or misshapen tensors, unsupported
 * types and architectures, inconsistent hyper-parameters. Each must fail with an error naming
 * the file and the culprit, before any forward pass.
 */
class ModelLoaderTest {
    private static final String STORIES = "oracles/llama2c/stories260K-F32.gguf";

    @TempDir
    Path dir;

    @Test
    void readsConfigFromGgufAndHf() {
        try (Llama gguf = ModelLoader.load(Shared.require(STORIES), Parallel.serial());
                Llama hf = ModelLoader.load(Shared.require("oracles/llama2c/stories260K-hf"), Parallel.serial())) {
            Config g = gguf.config();
            assertEquals(64, g.dim());
            assertEquals(172, g.ffnDim());
            assertEquals(5, g.layers());
            assertEquals(8, g.heads());
            assertEquals(4, g.kvHeads());
            assertEquals(8, g.headDim());
            assertEquals(512, g.vocabSize());
            assertEquals(Rope.Layout.INTERLEAVED, g.ropeLayout());
            assertTrue(gguf.weights().tiedOutput());
            Config h = hf.config();
            assertEquals(Rope.Layout.HALF_SPLIT, h.ropeLayout());
            assertEquals(g.dim(), h.dim());
            assertEquals(g.rmsEps(), h.rmsEps());
        }
    }

    @Test
    void tensorShapeThatDisagreesWithTheConfig() throws IOException {
        Path bad = rewrite(Map.of("llama.feed_forward_length", 160), Map.of(), Set.of());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(bad, Parallel.serial()));
        assertMessage(e, bad, "blk.0.ffn_gate.weight", "[64, 172]", "[64, 160]");
    }

    @Test
    void missingTensor() throws IOException {
        Path bad = rewrite(Map.of(), Map.of(), Set.of("blk.3.ffn_up.weight"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(bad, Parallel.serial()));
        assertMessage(e, bad, "missing tensor 'blk.3.ffn_up.weight'");
    }

    @Test
    void tensorOfATypeTheKernelsCannotUse() throws IOException {
        Path bad = rewrite(Map.of(), Map.of("blk.1.attn_q.weight", GgmlType.I32), Set.of());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(bad, Parallel.serial()));
        assertMessage(e, bad, "blk.1.attn_q.weight", "I32", "cannot compute");
    }

    @Test
    void biasesWithNoPlaceAreRefusedNotIgnored() throws IOException {
        Path clean = dir.resolve("clean.gguf");
        SyntheticModel.write(SyntheticModel.Shape.custom(64, 1, 4, 2, 96, 300, 64, false, 1e4f), GgmlType.F32, 1, clean,
                false, SyntheticModel.Progress.NONE);
        Path biased = withExtraVector(clean, "blk.0.attn_q.bias", 64);
        try (Llama model = ModelLoader.load(biased, Parallel.serial())) {
            assertNotNull(model.weights().layers()[0].wq().bias(), "blk.0.attn_q.bias is the q projection's bias");
            assertNull(model.weights().layers()[0].wk().bias());
        }
        Path bad = withExtraVector(clean, "blk.0.attn_norm.bias", 64);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(bad, Parallel.serial()));
        assertMessage(e, bad, "'blk.0.attn_norm.bias'", "is a bias", "refused rather than ignored");
        Path wrongShape = withExtraVector(clean, "blk.0.attn_k.bias", 64);
        e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(wrongShape, Parallel.serial()));
        assertMessage(e, wrongShape, "'blk.0.attn_k.bias'", "expected [32]");
        Path qwen = Shared.require("oracles/hf/qwen2");
        Path noBias = ConvertFixtures.withoutTensor(qwen, dir.resolve("qwen-no-bias"), "model.layers.1.self_attn.v_proj.bias");
        e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(noBias, Parallel.serial()));
        assertMessage(e, noBias, "'model.layers.1.self_attn.v_proj.bias' is missing", "qwen2");
    }

    /** {@code src} with one more F32 vector tensor of {@code n} zeros. */
    private Path withExtraVector(Path src, String name, int n) throws IOException {
        Path out = dir.resolve(name + ".gguf");
        try (GgufFile in = GgufFile.open(src); GgufWriter w = GgufWriter.create(out)) {
            w.putAll(in.metadata());
            for (Tensor t : in.tensors().values()) {
                w.addTensor(t.name(), t.type(), t.ne());
            }
            w.addTensor(name, GgmlType.F32, n);
            for (Tensor t : in.tensors().values()) {
                w.writeTensorData(t.name(), t.data());
            }
            w.writeTensorData(name, new float[n]);
        }
        return out;
    }

    @Test
    void unsupportedArchitecture() throws IOException {
        Path bad = rewrite(Map.of("general.architecture", "rwkv6"), Map.of(), Set.of());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(bad, Parallel.serial()));
        assertMessage(e, bad, "general.architecture", "rwkv6", "supported: llama");
    }

    @Test
    void headCountsThatDoNotDivide() throws IOException {
        Path bad = rewrite(Map.of("llama.attention.head_count_kv", 3), Map.of(), Set.of());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(bad, Parallel.serial()));
        assertMessage(e, bad, "head count 8 is not a multiple of the KV head count 3");
    }

    @Test
    void missingRequiredKey() throws IOException {
        Path bad = rewrite(Map.of("llama.block_count", REMOVE), Map.of(), Set.of());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(bad, Parallel.serial()));
        assertMessage(e, bad, "llama.block_count");
    }

    @Test
    void hfConfigThatDisagreesWithTheWeights() throws IOException {
        Path hf = copyHf(cfg -> cfg.replace("\"intermediate_size\": 172", "\"intermediate_size\": 176"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(hf, Parallel.serial()));
        assertMessage(e, hf, "model.layers.0.mlp.gate_proj.weight", "[64, 176]");
    }

    @Test
    void hfUnknownRopeScaling() throws IOException {
        Path hf = copyHf(cfg -> cfg.replace("\"rope_scaling\": null",
                "\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0}"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(hf, Parallel.serial()));
        assertMessage(e, hf.resolve("config.json"), "rope_scaling type 'yarn'", "llama3");
    }

    @Test
    void hfUntiedWithoutLmHead() throws IOException {
        Path hf = copyHf(cfg -> cfg.replace("\"tie_word_embeddings\": true", "\"tie_word_embeddings\": false"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(hf, Parallel.serial()));
        assertMessage(e, hf, "missing tensor 'lm_head.weight'");
    }

    /** Was an ArithmeticException: the default head size divides by the head count. */
    @Test
    void zeroHeads() throws IOException {
        Path bad = rewrite(Map.of("llama.attention.head_count", 0), Map.of(), Set.of());
        assertMessage(assertThrows(ModelFormatException.class, () -> ModelLoader.load(bad, Parallel.serial())),
                bad, "llama.attention.head_count is 0, must be positive");
    }

    /** Was an OutOfMemoryError: the array of layers was sized by block_count before any tensor was looked up. */
    @Test
    void moreLayersThanTensors() throws IOException {
        Path bad = rewrite(Map.of("llama.block_count", Integer.MAX_VALUE), Map.of(), Set.of());
        assertMessage(assertThrows(ModelFormatException.class, () -> ModelLoader.load(bad, Parallel.serial())),
                bad, "the config has 2147483647 layers, but the file holds only");
    }

    @Test
    void hfZeroHeads() throws IOException {
        Path hf = copyHf(cfg -> cfg.replace("\"num_attention_heads\": 8", "\"num_attention_heads\": 0"));
        assertMessage(assertThrows(ModelFormatException.class, () -> ModelLoader.load(hf, Parallel.serial())),
                hf.resolve("config.json"), "num_attention_heads is 0, must be positive");
    }

    @Test
    void hfMoreLayersThanTensors() throws IOException {
        Path hf = copyHf(cfg -> cfg.replace("\"num_hidden_layers\": 5", "\"num_hidden_layers\": 2000000000"));
        assertMessage(assertThrows(ModelFormatException.class, () -> ModelLoader.load(hf, Parallel.serial())),
                hf, "the config has 2000000000 layers");
    }

    @Test
    void notAModelFile() throws IOException {
        Path text = Files.writeString(dir.resolve("notes.txt"), "hello");
        assertMessage(assertThrows(ModelFormatException.class, () -> ModelLoader.load(text, Parallel.serial())),
                text, "not a GGUF file");
        Path st = Files.copy(Shared.require("oracles/llama2c/stories260K-hf/model.safetensors"), dir.resolve("m.safetensors"));
        assertMessage(assertThrows(ModelFormatException.class, () -> ModelLoader.load(st, Parallel.serial())),
                st, "pass the directory that holds config.json");
        Path missing = dir.resolve("absent.gguf");
        assertMessage(assertThrows(ModelFormatException.class, () -> ModelLoader.load(missing, Parallel.serial())),
                missing, "no such model");
    }

    private static void assertMessage(Exception e, Path file, String... parts) {
        String m = e.getMessage();
        assertTrue(m.contains(file.toString()), "message does not name " + file + ": " + m);
        for (String p : parts) {
            assertTrue(m.contains(p), "message lacks '" + p + "': " + m);
        }
    }

    /** Marks a metadata key to leave out. */
    private static final Object REMOVE = new Object();

    /** A copy of stories260K with metadata overrides, some tensors retyped (same bytes) and some dropped. */
    private Path rewrite(Map<String, Object> overrides, Map<String, GgmlType> retype, Set<String> drop)
            throws IOException {
        Path out = dir.resolve("model.gguf");
        try (GgufFile src = GgufFile.open(Shared.require(STORIES)); GgufWriter w = GgufWriter.create(out)) {
            GgufMetadata md = src.metadata();
            for (String key : md.keys()) {
                Object v = overrides.get(key);
                if (v == null) {
                    w.put(key, md.valueType(key), md.get(key));
                } else if (v instanceof String s) {
                    w.putString(key, s);
                } else if (v instanceof Integer i) {
                    w.putUint32(key, i);
                }
            }
            List<Tensor> kept = src.tensors().values().stream().filter(t -> !drop.contains(t.name())).toList();
            for (Tensor t : kept) {
                w.addTensor(t.name(), retype.getOrDefault(t.name(), t.type()), t.ne());
            }
            for (Tensor t : kept) {
                w.writeTensorData(t.name(), t.data());
            }
        }
        return out;
    }

    private Path copyHf(UnaryOperator<String> editConfig) throws IOException {
        Path src = Shared.require("oracles/llama2c/stories260K-hf");
        Path hf = Files.createDirectory(dir.resolve("hf"));
        Files.copy(src.resolve("model.safetensors"), hf.resolve("model.safetensors"));
        String cfg = Files.readString(src.resolve("config.json"));
        String edited = editConfig.apply(cfg);
        assertTrue(!edited.equals(cfg), "the config edit did not apply to: " + cfg);
        Files.writeString(hf.resolve("config.json"), edited);
        return hf;
    }
}
