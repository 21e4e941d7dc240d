package dev.llamasimd.model;

import static dev.llamasimd.model.ConvertFixtures.assertSameTensors;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.generate.CacheType;
import dev.llamasimd.io.GgufFile;
import dev.llamasimd.io.GgufMetadata;
import dev.llamasimd.io.GgufValueType;
import dev.llamasimd.io.GgufWriter;
import dev.llamasimd.io.HfModelDir;
import dev.llamasimd.io.Json;
import dev.llamasimd.io.ModelFormatException;
import dev.llamasimd.io.SafetensorsFile;
import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.model.ConvertFixtures.Entry;
import dev.llamasimd.model.LogitsRun;
import dev.llamasimd.tensor.FileType;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Tensor;
import dev.llamasimd.testing.Compare;
import dev.llamasimd.testing.Golden;
import dev.llamasimd.testing.Shared;
import dev.llamasimd.tokenizer.Tokenizer;
import dev.llamasimd.tokenizer.Tokenizers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Converter}: every oracle (Llama, Llama with biases, Qwen2, Mistral, Phi-3, Gemma)
 * converted to F32 runs with the logits of its Hugging Face directory and of its golden file, and
 * each family has llama.cpp's architecture, keys and tensors; a Q8_0 conversion runs; tiny-kjv's conversion tokenizes as its directory does and
 * matches the shipped GGUFs tensor for tensor; the tokenizer keys reproduce llama.cpp's own
 * vocabulary files; the quantized types equal llama-quantize of the F32 conversion byte for
 * byte; and bad input is refused naming the file and the field or tensor.
 */
class ConverterTest {
    @TempDir
    static Path tmp;

    private static Parallel parallel;
    private static final Map<String, Path> CONVERTED = new HashMap<>();

    /**
     * @param tolerance the oracle README's bound on the logits against the golden file
     */
    record Case(String name, String dir, String golden, double tolerance) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final List<Case> ORACLES = List.of(
            new Case("hf/seed", "oracles/hf/seed", "oracles/hf/seed/golden.safetensors", 1e-4),
            new Case("hf/gqa", "oracles/hf/gqa", "oracles/hf/gqa/golden.safetensors", 1e-4),
            new Case("hf/llama3", "oracles/hf/llama3", "oracles/hf/llama3/golden.safetensors", 5e-4),
            new Case("hf/long", "oracles/hf/long", "oracles/hf/long/golden.safetensors", 1e-4),
            new Case("hf/bf16", "oracles/hf/bf16", "oracles/hf/bf16/golden.safetensors", 1e-4),
            new Case("tiny-kjv", "models/tiny-kjv/hf", "models/tiny-kjv/golden/hf-golden.safetensors", 1e-4),
            new Case("stories260K", "oracles/llama2c/stories260K-hf", "oracles/llama2c/stories260K.golden.safetensors",
                    1e-4),
            new Case("hf/qwen2", "oracles/hf/qwen2", "oracles/hf/qwen2/golden.safetensors", 5e-4),
            new Case("hf/mistral", "oracles/hf/mistral", "oracles/hf/mistral/golden.safetensors", 5e-4),
            new Case("hf/phi3", "oracles/hf/phi3", "oracles/hf/phi3/golden.safetensors", 5e-4),
            new Case("hf/gemma", "oracles/hf/gemma", "oracles/hf/gemma/golden.safetensors", 5e-4),
            new Case("hf/llama-bias", "oracles/hf/llama-bias", "oracles/hf/llama-bias/golden.safetensors", 5e-4));

    @BeforeAll
    static void pool() {
        parallel = Parallel.pool(2);
    }

    @AfterAll
    static void closePool() {
        parallel.close();
    }

    private static Converter.Result convert(Path in, Path out, FileType type) throws IOException {
        return Converter.convert(in, out, new Converter.Options(type, false, 2), false, (i, n, name, from, to) -> { },
                w -> System.out.println("warning: " + w));
    }

    /** The conversion of a shared directory, made once per type. */
    private static Path converted(String dir, FileType type) throws IOException {
        String key = dir + " " + type;
        Path out = CONVERTED.get(key);
        if (out == null) {
            out = tmp.resolve(dir.replace('/', '-') + "-" + type.label + ".gguf");
            convert(Shared.require(dir), out, type);
            CONVERTED.put(key, out);
        }
        return out;
    }

    private static float[] promptLogits(Path model, int[] ids) {
        try (Llama llama = ModelLoader.load(model, parallel)) {
            return LogitsRun.cached(llama, ids, ids.length, 0, CacheType.F32).logits();
        }
    }

    @TestFactory
    Stream<DynamicTest> f32ConversionHasTheLogitsOfTheHfDirectoryAndOfTheGolden() {
        return ORACLES.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            Path dir = Shared.require(c.dir());
            Path gguf = converted(c.dir(), FileType.ALL_F32);
            try (Golden g = new Golden(Shared.require(c.golden()))) {
                int[] ids = g.ints("input_ids");
                float[] golden = g.floats("logits");
                float[] hf = promptLogits(dir, ids);
                float[] ours = promptLogits(gguf, ids);
                int n = golden.length;
                double vsHf = Compare.maxAbsDiff(ours, 0, hf, 0, n);
                double vsGolden = Compare.maxAbsDiff(ours, 0, golden, 0, n);
                System.out.printf("convert %-12s F32 GGUF vs HF dir: max |diff| %.3g; vs golden: %.3g (tolerance %.0e,"
                        + " %d prompt rows)%n", c, vsHf, vsGolden, c.tolerance(), ids.length);
                assertTrue(vsHf <= 1e-4, c + ": GGUF vs HF dir " + vsHf);
                assertTrue(vsGolden <= c.tolerance(), c + ": GGUF vs golden " + vsGolden);
            }
            try (GgufFile f = GgufFile.open(gguf)) {
                for (Tensor t : f.tensors().values()) {
                    assertEquals(GgmlType.F32, t.type(), t.name());
                }
                assertEquals(0, f.metadata().getInt("general.file_type"));
            }
        }));
    }

    @Test
    void tinyKjvTokenizesAsItsHfDirectoryAndLlamaCpp() throws IOException {
        Path gguf = converted("models/tiny-kjv/hf", FileType.ALL_F32);
        Tokenizer hf = Tokenizers.load(Shared.require("models/tiny-kjv/hf"));
        Tokenizer ours = Tokenizers.load(gguf);
        List<Json.Obj> cases = Json.parseObject(Shared.require("models/tiny-kjv/golden/tokenizer-tests.json"))
                .getObjectList("cases");
        List<String> texts = new ArrayList<>(List.of("", "In the beginning", " leading space", "<|endoftext|>x"));
        for (Json.Obj c : cases) {
            String text = c.getString("text");
            int[] expected = c.getList("ids").stream().mapToInt(v -> ((Long) v).intValue()).toArray();
            assertArrayEquals(expected, ours.encode(text, true, true), "llama-tokenize's ids of " + text);
            texts.add(text);
        }
        for (String text : texts) {
            for (boolean special : new boolean[] {false, true}) {
                int[] ids = hf.encode(text, special, special);
                assertArrayEquals(ids, ours.encode(text, special, special), text);
                assertEquals(hf.decode(ids, special), ours.decode(ids, special), text);
            }
        }
        assertEquals(hf.bos(), ours.bos());
        assertEquals(hf.eos(), ours.eos());
        assertEquals(hf.addsBos(), ours.addsBos());
        System.out.printf("tiny-kjv: %d strings tokenize identically from the HF directory and the conversion%n",
                texts.size());
    }

    @Test
    void tinyKjvQ8_0EqualsTheShippedLlamaCppFileTensorForTensor() throws IOException {
        Path ours = converted("models/tiny-kjv/hf", FileType.MOSTLY_Q8_0);
        assertSameTensors(Shared.require("models/tiny-kjv/tiny-kjv-Q8_0.gguf"), ours);
        try (GgufFile f = GgufFile.open(ours)) {
            assertEquals(7, f.metadata().getInt("general.file_type"));
            assertEquals(GgmlType.Q8_0, f.tensor("token_embd.weight").type(), "the script has no Q6_K output rule");
        }
    }

    /**
     * The shipped F32 file was written by the model's own export script with gguf-py, not by
     * convert_hf_to_gguf.py: the tensors are the same, the metadata is the script's plus the
     * keys listed here, and its name and description are the export script's.
     */
    @Test
    void tinyKjvF32MatchesTheShippedFileAndDiffersOnlyInTheKeysTheScriptAdds() throws IOException {
        Path shipped = Shared.require("models/tiny-kjv/tiny-kjv-F32.gguf");
        Path ours = converted("models/tiny-kjv/hf", FileType.ALL_F32);
        assertSameTensors(shipped, ours);
        try (GgufFile a = GgufFile.open(shipped); GgufFile b = GgufFile.open(ours)) {
            GgufMetadata x = a.metadata();
            GgufMetadata y = b.metadata();
            Set<String> differ = new TreeSet<>();
            for (String k : x.keys()) {
                if (!y.has(k) || x.valueType(k) != y.valueType(k) || !Objects.equals(x.get(k), y.get(k))) {
                    differ.add(k);
                }
            }
            Set<String> added = new TreeSet<>(y.keys());
            added.removeAll(x.keys());
            System.out.println("tiny-kjv F32: keys with other values than the shipped file's: " + differ
                    + "; keys it lacks: " + added);
            assertEquals(Set.of("general.name", "general.description"), differ);
            assertEquals("Hf", y.getString("general.name"), "the directory-name heuristic on 'hf'");
            assertFalse(y.has("general.description"), "comes from a README model card, which convert does not read");
            assertEquals(Set.of("general.type", "general.size_label", "general.quantization_version",
                    "llama.attention.key_length", "llama.attention.value_length", "tokenizer.ggml.seperator_token_id",
                    "tokenizer.ggml.add_sep_token"), added);
            assertEquals("2.8M", y.getString("general.size_label"));
            assertTrue(y.getBoolean("tokenizer.ggml.add_sep_token"), "gguf-py: the pair template has BOS=EOS between A and B");
            assertEquals(2047, y.getInt("tokenizer.ggml.seperator_token_id"));
        }
    }

    @Test
    void stories260KMatchesItsShippedGguf() throws IOException {
        assertSameTensors(Shared.require("oracles/llama2c/stories260K-F32.gguf"),
                converted("oracles/llama2c/stories260K-hf", FileType.ALL_F32));
    }

    @Test
    void metadataAndTensorsAreInTheScriptsOrder() throws IOException {
        Path gguf = converted("oracles/hf/seed", FileType.ALL_F32);
        try (GgufFile f = GgufFile.open(gguf)) {
            GgufMetadata md = f.metadata();
            assertEquals(List.of("general.architecture", "general.type", "general.name", "general.size_label",
                    "llama.block_count", "llama.context_length", "llama.embedding_length", "llama.feed_forward_length",
                    "llama.attention.head_count", "llama.attention.head_count_kv", "llama.rope.freq_base",
                    "llama.attention.layer_norm_rms_epsilon", "llama.attention.key_length", "llama.attention.value_length",
                    "general.file_type", "llama.vocab_size", "llama.rope.dimension_count", "general.quantization_version",
                    "tokenizer.ggml.model"), List.copyOf(md.keys()));
            assertEquals("Seed", md.getString("general.name"));
            assertEquals("1.4M", md.getString("general.size_label"));
            assertEquals("none", md.getString("tokenizer.ggml.model"), "the oracle has no tokenizer");
            assertEquals(2048, md.getInt("llama.context_length"));
            assertEquals(1e-6f, md.getFloat("llama.attention.layer_norm_rms_epsilon"));
            assertEquals(64, md.getInt("llama.rope.dimension_count"));
            List<String> names = List.copyOf(f.tensors().keySet());
            assertEquals(List.of("output.weight", "token_embd.weight", "blk.0.attn_norm.weight", "blk.0.ffn_down.weight",
                    "blk.0.ffn_gate.weight", "blk.0.ffn_up.weight", "blk.0.ffn_norm.weight", "blk.0.attn_k.weight",
                    "blk.0.attn_output.weight", "blk.0.attn_q.weight", "blk.0.attn_v.weight"), names.subList(0, 11));
            assertEquals("output_norm.weight", names.getLast());
        }
        try (GgufFile f = GgufFile.open(converted("oracles/hf/llama3", FileType.ALL_F32))) {
            Tensor freqs = f.tensors().firstEntry().getValue();
            assertEquals("rope_freqs.weight", freqs.name(), "generated tensors come first");
            assertArrayEquals(SyntheticModel.llama3RopeFactors(32, 500000f, new RopeScaling.Llama3(32f, 1f, 4f, 64)),
                    ConvertFixtures.floats(freqs));
            assertFalse(f.metadata().has("llama.rope.scaling.type"));
        }
    }

    @Test
    void queryAndKeyRowsArePermutedAsTheScriptPermutesThem() throws IOException {
        Path dir = Shared.require("models/tiny-kjv/hf");
        try (HfModelDir hf = HfModelDir.open(dir); GgufFile f = GgufFile.open(converted("models/tiny-kjv/hf", FileType.ALL_F32))) {
            Tensor q = hf.tensor("model.layers.3.self_attn.q_proj.weight");
            Tensor k = hf.tensor("model.layers.3.self_attn.k_proj.weight");
            Tensor gq = f.tensor("blk.3.attn_q.weight");
            Tensor gk = f.tensor("blk.3.attn_k.weight");
            // head_dim 48: GGUF row 2i + j of a head is HF row j * 24 + i of it
            for (int[] rc : new int[][] {{0, 0}, {1, 24}, {2, 1}, {3, 25}, {47, 47}, {48, 48}, {49, 72}}) {
                assertEquals(-1, ConvertFixtures.rows(q, rc[1], 1).mismatch(ConvertFixtures.rows(gq, rc[0], 1)), "q row " + rc[0]);
            }
            assertEquals(-1, ConvertFixtures.rows(k, 72, 1).mismatch(ConvertFixtures.rows(gk, 49, 1)), "k head 1");
            assertEquals(-1, hf.tensor("model.layers.3.self_attn.v_proj.weight").data().mismatch(
                    f.tensor("blk.3.attn_v.weight").data()), "v is not permuted");
        }
        assertEquals(0, Converter.halfSplitRow(0, 8));
        assertEquals(4, Converter.halfSplitRow(1, 8));
        assertEquals(1, Converter.halfSplitRow(2, 8));
        assertEquals(15, Converter.halfSplitRow(15, 8));
    }

    // --- the other families, as llama.cpp's converter writes them ---

    /** The keys after the naming ones, up to the tokenizer's: each family's set, in its converter class's order. */
    private static List<String> familyKeys(GgufMetadata md) {
        List<String> keys = List.copyOf(md.keys());
        return keys.subList(keys.indexOf("general.size_label") + 1, keys.indexOf("tokenizer.ggml.model"));
    }

    private static float[] hfFloats(HfModelDir hf, String name) {
        return ConvertFixtures.floats(hf.tensor(name));
    }

    @Test
    void qwen2HasItsBiasesAndTheBaseKeysWithoutPermutation() throws IOException {
        try (HfModelDir hf = HfModelDir.open(Shared.require("oracles/hf/qwen2"));
                GgufFile f = GgufFile.open(converted("oracles/hf/qwen2", FileType.ALL_F32))) {
            GgufMetadata md = f.metadata();
            assertEquals("qwen2", md.getString("general.architecture"));
            assertEquals(List.of("qwen2.block_count", "qwen2.context_length", "qwen2.embedding_length",
                    "qwen2.feed_forward_length", "qwen2.attention.head_count", "qwen2.attention.head_count_kv",
                    "qwen2.rope.freq_base", "qwen2.attention.layer_norm_rms_epsilon", "general.file_type",
                    "general.quantization_version"), familyKeys(md), "no head_dim in the config: no key length");
            assertEquals(1e6f, md.getFloat("qwen2.rope.freq_base"));
            assertEquals("qwen2.vocab_size", List.copyOf(md.keys()).getLast(),
                    "no vocabulary: the size llama.cpp needs to load it, after tokenizer.ggml.model = none");
            assertEquals(384, md.getInt("qwen2.vocab_size"));
            assertEquals(32768, md.getInt("qwen2.context_length"));
            assertFalse(f.tensors().containsKey("output.weight"), "tied");
            for (int l = 0; l < 2; l++) {
                for (String[] qkv : new String[][] {{"q", "128"}, {"k", "32"}, {"v", "32"}}) {
                    Tensor b = f.tensor("blk." + l + ".attn_" + qkv[0] + ".bias");
                    assertEquals(GgmlType.F32, b.type());
                    assertArrayEquals(new long[] {Long.parseLong(qkv[1])}, b.ne());
                    assertArrayEquals(hfFloats(hf, "model.layers." + l + ".self_attn." + qkv[0] + "_proj.bias"),
                            ConvertFixtures.floats(b), "half-split RoPE: no permutation");
                }
                assertFalse(f.tensors().containsKey("blk." + l + ".attn_output.bias"));
            }
            assertEquals(-1, hf.tensor("model.layers.1.self_attn.k_proj.weight").data().mismatch(
                    f.tensor("blk.1.attn_k.weight").data()), "k rows stay in transformers' order");
        }
    }

    @Test
    void mistralIsArchLlamaWithItsSlidingWindowAndPermutedRows() throws IOException {
        try (HfModelDir hf = HfModelDir.open(Shared.require("oracles/hf/mistral"));
                GgufFile f = GgufFile.open(converted("oracles/hf/mistral", FileType.ALL_F32))) {
            GgufMetadata md = f.metadata();
            assertEquals("llama", md.getString("general.architecture"));
            assertEquals(32, md.getInt("llama.attention.sliding_window"));
            assertEquals(GgufValueType.UINT32, md.valueType("llama.attention.sliding_window"));
            assertEquals("llama.attention.sliding_window", familyKeys(md).get(familyKeys(md).size() - 2),
                    "after LlamaModel's keys, before the quantization version");
            assertEquals(32, md.getInt("llama.attention.key_length"));
            assertEquals(320, md.getInt("llama.vocab_size"));
            // head_dim 32: GGUF row 2i + j of a head is HF row j * 16 + i of it
            Tensor k = hf.tensor("model.layers.0.self_attn.k_proj.weight");
            Tensor gk = f.tensor("blk.0.attn_k.weight");
            for (int[] rc : new int[][] {{0, 0}, {1, 16}, {2, 1}, {33, 48}}) {
                assertEquals(-1, ConvertFixtures.rows(k, rc[1], 1).mismatch(ConvertFixtures.rows(gk, rc[0], 1)),
                        "k row " + rc[0]);
            }
            assertTrue(f.tensors().containsKey("output.weight"));
        }
    }

    @Test
    void phi3KeepsItsFusedProjectionsAndHasItsKeys() throws IOException {
        try (HfModelDir hf = HfModelDir.open(Shared.require("oracles/hf/phi3"));
                GgufFile f = GgufFile.open(converted("oracles/hf/phi3", FileType.ALL_F32))) {
            GgufMetadata md = f.metadata();
            assertEquals("phi3", md.getString("general.architecture"));
            assertEquals(List.of("phi3.context_length", "phi3.rope.scaling.original_context_length",
                    "phi3.embedding_length", "phi3.feed_forward_length", "phi3.block_count", "phi3.attention.head_count",
                    "phi3.attention.head_count_kv", "phi3.attention.layer_norm_rms_epsilon", "phi3.rope.dimension_count",
                    "phi3.rope.freq_base", "general.file_type", "phi3.attention.sliding_window",
                    "general.quantization_version"), familyKeys(md));
            assertEquals(4096, md.getInt("phi3.rope.scaling.original_context_length"));
            assertEquals(32, md.getInt("phi3.rope.dimension_count"));
            assertEquals(0, md.getInt("phi3.attention.sliding_window"), "sliding_window null: 0, as the script writes it");
            assertEquals(1e-5f, md.getFloat("phi3.attention.layer_norm_rms_epsilon"));
            for (int l = 0; l < 2; l++) {
                Tensor qkv = f.tensor("blk." + l + ".attn_qkv.weight");
                Tensor up = f.tensor("blk." + l + ".ffn_up.weight");
                assertArrayEquals(new long[] {128, 3 * 128}, qkv.ne());
                assertArrayEquals(new long[] {128, 2 * 256}, up.ne(), "gate rows, then up rows");
                assertEquals(-1, hf.tensor("model.layers." + l + ".self_attn.qkv_proj.weight").data().mismatch(qkv.data()));
                assertEquals(-1, hf.tensor("model.layers." + l + ".mlp.gate_up_proj.weight").data().mismatch(up.data()));
                for (String absent : List.of("attn_q", "attn_k", "attn_v", "ffn_gate")) {
                    assertFalse(f.tensors().containsKey("blk." + l + "." + absent + ".weight"), absent);
                }
            }
            assertEquals(3 + 2 * 6, f.tensors().size());
        }
    }

    @Test
    void gemmaNormsHoldOnePlusTheHfWeightsAndItHasNoOutputMatrix() throws IOException {
        try (HfModelDir hf = HfModelDir.open(Shared.require("oracles/hf/gemma"));
                GgufFile f = GgufFile.open(converted("oracles/hf/gemma", FileType.ALL_F32))) {
            GgufMetadata md = f.metadata();
            assertEquals("gemma", md.getString("general.architecture"));
            assertEquals(List.of("gemma.context_length", "gemma.embedding_length", "gemma.block_count",
                    "gemma.feed_forward_length", "gemma.attention.head_count", "gemma.attention.head_count_kv",
                    "gemma.attention.layer_norm_rms_epsilon", "gemma.attention.key_length", "gemma.attention.value_length",
                    "general.file_type", "general.quantization_version"), familyKeys(md));
            assertEquals(32, md.getInt("gemma.attention.key_length"));
            assertEquals(1, md.getInt("gemma.attention.head_count_kv"));
            assertFalse(f.tensors().containsKey("output.weight"));
            Map<String, String> norms = new LinkedHashMap<>();
            norms.put("model.norm.weight", "output_norm.weight");
            for (int l = 0; l < 2; l++) {
                norms.put("model.layers." + l + ".input_layernorm.weight", "blk." + l + ".attn_norm.weight");
                norms.put("model.layers." + l + ".post_attention_layernorm.weight", "blk." + l + ".ffn_norm.weight");
            }
            norms.forEach((hfName, name) -> {
                float[] w = hfFloats(hf, hfName);
                float[] expected = new float[w.length];
                for (int i = 0; i < w.length; i++) {
                    expected[i] = 1f + w[i];
                }
                assertArrayEquals(expected, ConvertFixtures.floats(f.tensor(name)), name);
            });
            assertEquals(-1, hf.tensor("model.layers.0.self_attn.q_proj.weight").data().mismatch(
                    f.tensor("blk.0.attn_q.weight").data()), "half-split RoPE: no permutation");
        }
    }

    @Test
    void llamaBiasesAreWrittenAndTheQueryAndKeyBiasesPermuted() throws IOException {
        try (HfModelDir hf = HfModelDir.open(Shared.require("oracles/hf/llama-bias"));
                GgufFile f = GgufFile.open(converted("oracles/hf/llama-bias", FileType.ALL_F32))) {
            assertEquals("llama", f.metadata().getString("general.architecture"));
            assertFalse(f.metadata().has("llama.attention.sliding_window"));
            Map<String, Integer> heads = Map.of("q", 4, "k", 2);
            for (TensorRole role : TensorRole.BIASED) {
                float[] w = hfFloats(hf, role.hf(1) + ".bias");
                float[] ours = ConvertFixtures.floats(f.tensor(role.gguf(1) + ".bias"));
                String proj = role.hfInLayer().replace("self_attn.", "").replace("_proj", "");
                Integer n = heads.get(proj);
                float[] expected = new float[w.length];
                for (int i = 0; i < w.length; i++) {
                    // head_dim 24: value 2i + j of a head is HF value j * 12 + i of it
                    expected[i] = n == null ? w[i] : w[(int) Converter.halfSplitRow(i, w.length / n)];
                }
                assertArrayEquals(expected, ours, role.gguf(1) + ".bias");
            }
            assertEquals(3 + 2 * (9 + 7), f.tensors().size());
        }
    }

    /**
     * Q8_0 of the families with biases, fused projections and (1 + w) norms: matrices Q8_0 (the
     * bytes of quantize's Q8_0 of the F32 conversion), vectors F32, and it runs near the HF
     * directory. These oracles' large weights (init 0.15 to 0.2) amplify Q8_0's rounding: the
     * Llama path gives mistral 0.33 and llama-bias 0.18 too.
     */
    @TestFactory
    Stream<DynamicTest> q8_0OfTheOtherFamiliesRuns() {
        return Stream.of("qwen2", "phi3", "gemma").map(name -> DynamicTest.dynamicTest(name, () -> {
            String dir = "oracles/hf/" + name;
            Path gguf = converted(dir, FileType.MOSTLY_Q8_0);
            try (GgufFile f = GgufFile.open(gguf)) {
                assertEquals(7, f.metadata().getInt("general.file_type"));
                for (Tensor t : f.tensors().values()) {
                    assertEquals(t.rank() == 1 ? GgmlType.F32 : GgmlType.Q8_0, t.type(), t.name());
                }
            }
            Path viaQuantize = tmp.resolve(name + "-quantized-Q8_0.gguf");
            Quantizer.quantize(converted(dir, FileType.ALL_F32), viaQuantize,
                    new Quantizer.Options(FileType.MOSTLY_Q8_0, false, false, 2), false, (i, n, t, from, to) -> { }, l -> { });
            assertSameTensors(viaQuantize, gguf);
            try (Golden g = new Golden(Shared.require(dir + "/golden.safetensors"))) {
                int[] ids = g.ints("input_ids");
                float[] hf = promptLogits(Shared.require(dir), ids);
                float[] ours = promptLogits(gguf, ids);
                double d = Compare.maxAbsDiff(ours, 0, hf, 0, hf.length);
                int agree = 0;
                int vocab = hf.length / ids.length;
                for (int r = 0; r < ids.length; r++) {
                    agree += argmax(ours, r * vocab, vocab) == argmax(hf, r * vocab, vocab) ? 1 : 0;
                }
                System.out.printf("convert hf/%-7s Q8_0 GGUF vs HF dir: max |diff| %.3g (max |logit| %.3g), argmax equal"
                        + " at %d of %d rows%n", name, d, Compare.maxAbs(hf), agree, ids.length);
                assertTrue(d <= 0.1 * Compare.maxAbs(hf), name + ": Q8_0 vs HF dir " + d);
                assertTrue(agree >= ids.length * 4 / 5, name + ": argmax equal at " + agree + " of " + ids.length);
            }
        }));
    }

    private static int argmax(float[] v, int from, int n) {
        int best = from;
        for (int i = from + 1; i < from + n; i++) {
            best = v[i] > v[best] ? i : best;
        }
        return best - from;
    }

    /**
     * A Gemma vocabulary: the script's SentencePiece one, then GemmaModel's eot id and
     * add_space_prefix = false (tokenizer_config.json's add_prefix_space is Llama's alone); from
     * tokenizer.json alone it is refused, as the script only reads tokenizer.model.
     */
    @Test
    void gemmaVocabularyGetsItsEotIdAndNoSpacePrefix(@TempDir Path dir) throws IOException {
        Path hf = ConvertFixtures.copyDir(Shared.require("oracles/hf/gemma"), dir.resolve("gemma"));
        String[] pieces = {"<pad>", "<eos>", "<bos>", "<unk>", "▁a", "▁b", "c", "d"};
        Files.write(hf.resolve("tokenizer.model"), ConvertFixtures.sentencePieceModel(pieces,
                new float[] {0, 0, 0, 0, -1, -2, -3, -4}, new int[] {3, 3, 3, 2, 1, 1, 1, 1}));
        ConvertFixtures.writeJson(hf.resolve("tokenizer_config.json"), Map.of("add_prefix_space", true,
                "add_bos_token", true, "add_eos_token", false));
        Path gguf = dir.resolve("gemma.gguf");
        Converter.Result r = convert(hf, gguf, FileType.ALL_F32);
        assertEquals(List.of(), r.warnings());
        try (GgufFile f = GgufFile.open(gguf)) {
            GgufMetadata md = f.metadata();
            List<String> keys = List.copyOf(md.keys());
            assertEquals("llama", md.getString("tokenizer.ggml.model"));
            assertEquals(256, md.getStringArray("tokenizer.ggml.tokens").length);
            assertEquals(107, md.getInt("tokenizer.ggml.eot_token_id"));
            assertEquals("tokenizer.ggml.add_space_prefix", keys.getLast());
            assertFalse(md.getBoolean("tokenizer.ggml.add_space_prefix"));
            assertEquals(2, md.getInt("tokenizer.ggml.bos_token_id"), "config.json's bos_token_id");
            assertTrue(md.getBoolean("tokenizer.ggml.add_bos_token"));
        }
        Files.delete(hf.resolve("tokenizer.model"));
        ConvertFixtures.writeJson(hf.resolve("tokenizer.json"), Map.of("model", Map.of("type", "BPE", "vocab", Map.of(),
                "merges", List.of())));
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> convert(hf, dir.resolve("json.gguf"), FileType.ALL_F32));
        assertTrue(e.getMessage().contains(hf.resolve("tokenizer.json").toString())
                && e.getMessage().contains("read from tokenizer.model"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("json.gguf")));
    }

    @Test
    void autoIsTheSourcesSixteenBitType() throws IOException {
        Path bf16 = tmp.resolve("bf16-auto.gguf");
        Converter.Result r = convert(Shared.require("oracles/hf/bf16"), bf16, null);
        assertEquals(FileType.MOSTLY_BF16, r.fileType());
        Path seed = tmp.resolve("seed-auto.gguf");
        assertEquals(FileType.MOSTLY_F16, convert(Shared.require("oracles/hf/seed"), seed, null).fileType(),
                "F32 weights: the script's auto gives F16");
        try (GgufFile f = GgufFile.open(bf16); HfModelDir hf = HfModelDir.open(Shared.require("oracles/hf/bf16"))) {
            assertEquals(32, f.metadata().getInt("general.file_type"));
            assertEquals(GgmlType.BF16, f.tensor("blk.2.ffn_down.weight").type());
            assertEquals(GgmlType.F32, f.tensor("blk.2.ffn_norm.weight").type());
            assertEquals(-1, hf.tensor("model.layers.2.mlp.down_proj.weight").data().mismatch(
                    f.tensor("blk.2.ffn_down.weight").data()), "BF16 through F32 and back is exact");
        }
        try (Golden g = new Golden(Shared.require("oracles/hf/bf16/golden.safetensors"))) {
            int[] ids = g.ints("input_ids");
            double d = Compare.maxAbsDiff(promptLogits(bf16, ids), 0, promptLogits(Shared.require("oracles/hf/bf16"), ids),
                    0, g.floats("logits").length);
            System.out.printf("convert hf/bf16 auto (BF16) GGUF vs HF dir: max |diff| %.3g%n", d);
            assertTrue(d <= 1e-4, "BF16 GGUF vs HF dir " + d);
        }
        try (GgufFile f = GgufFile.open(seed)) {
            assertEquals(GgmlType.F16, f.tensor("output.weight").type());
            assertEquals(1, f.metadata().getInt("general.file_type"));
        }
    }

    /** A llama-quantize type: the bytes of llama-quantize (Quantizer) run on the F32 conversion, key order included. */
    @TestFactory
    Stream<DynamicTest> quantizedTypesAreLlamaQuantizeOfTheLosslessConversion() {
        return Stream.of("models/tiny-kjv/hf Q4_K_M", "oracles/llama2c/stories260K-hf Q4_K_M", "oracles/hf/gqa Q6_K",
                "oracles/hf/seed Q4_0", "models/tiny-kjv/hf Q5_K_S").map(s -> DynamicTest.dynamicTest(s, () -> {
            String[] p = s.split(" ");
            FileType type = QuantMix.fileType(p[1]);
            Path viaQuantize = tmp.resolve(p[0].replace('/', '-') + "-quantized-" + p[1] + ".gguf");
            Quantizer.quantize(converted(p[0], FileType.ALL_F32), viaQuantize,
                    new Quantizer.Options(type, false, false, 2), false, (i, n, name, from, to) -> { }, l -> { });
            Path direct = tmp.resolve(p[0].replace('/', '-') + "-direct-" + p[1] + ".gguf");
            Converter.Result r = convert(Shared.require(p[0]), direct, type);
            assertEquals(type, r.fileType());
            assertArrayEquals(Files.readAllBytes(viaQuantize), Files.readAllBytes(direct), s);
            System.out.printf("convert %s: %d fallbacks, the same %d bytes as quantize of the F32 conversion%n", s,
                    r.warnings().size(), Files.size(direct));
        }));
    }

    @Test
    void shardedWeightsConvertAsOneFile(@TempDir Path dir) throws IOException {
        Path seed = Shared.require("oracles/hf/seed");
        Path single = ConvertFixtures.copyDir(seed, dir.resolve("a").resolve("seed"));
        Path sharded = Files.createDirectories(dir.resolve("b").resolve("seed"));
        Files.copy(seed.resolve("config.json"), sharded.resolve("config.json"));
        List<Entry> entries = new ArrayList<>();
        try (SafetensorsFile f = SafetensorsFile.open(seed.resolve("model.safetensors"))) {
            f.tensors().keySet().stream().sorted().forEach(n -> entries.add(Entry.of(f.tensor(n))));
        }
        int half = entries.size() / 2;
        List<List<Entry>> shards = List.of(entries.subList(half, entries.size()), entries.subList(0, half));
        Map<String, Object> weightMap = new LinkedHashMap<>();
        for (int s = 0; s < 2; s++) {
            // shard names sort in the reverse of index order: the script goes by file name
            String name = "model-0000" + (2 - s) + "-of-00002.safetensors";
            ConvertFixtures.writeSafetensors(sharded.resolve(name), shards.get(s));
            shards.get(s).forEach(e -> weightMap.put(e.name(), name));
        }
        ConvertFixtures.writeJson(sharded.resolve(HfModelDir.INDEX), Map.of("metadata", Map.of(), "weight_map", weightMap));
        Path a = dir.resolve("single.gguf");
        Path b = dir.resolve("sharded.gguf");
        convert(single, a, FileType.ALL_F32);
        convert(sharded, b, FileType.ALL_F32);
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    }

    @Test
    void linearRopeScalingBecomesItsKeys(@TempDir Path dir) throws IOException {
        Path hf = ConvertFixtures.withConfig(Shared.require("oracles/hf/seed"), dir.resolve("linear"),
                cfg -> cfg.put("rope_scaling", Map.of("type", "linear", "factor", 4.0)));
        Path gguf = dir.resolve("linear.gguf");
        convert(hf, gguf, FileType.ALL_F32);
        try (GgufFile f = GgufFile.open(gguf)) {
            GgufMetadata md = f.metadata();
            assertEquals("linear", md.getString("llama.rope.scaling.type"));
            assertEquals(4f, md.getFloat("llama.rope.scaling.factor"));
            List<String> keys = List.copyOf(md.keys());
            assertEquals(keys.indexOf("llama.attention.head_count_kv") + 1, keys.indexOf("llama.rope.scaling.type"));
        }
        int[] ids = {5, 17, 99, 3, 3, 42, 0, 61};
        double d = Compare.maxAbsDiff(promptLogits(gguf, ids), 0, promptLogits(hf, ids), 0, ids.length * 100);
        assertTrue(d <= 1e-4, "linear-scaled GGUF vs HF dir " + d);
    }

    @Test
    void generationConfigGivesTheSamplingKeys(@TempDir Path dir) throws IOException {
        Path hf = ConvertFixtures.copyDir(Shared.require("oracles/hf/gqa"), dir.resolve("Llama-3.2-1B-Instruct"));
        ConvertFixtures.writeJson(hf.resolve(HfModelDir.GENERATION_CONFIG),
                Map.of("temperature", 0.6, "top_p", 0.9, "top_k", 40, "repetition_penalty", 1.1));
        Path gguf = dir.resolve("out.gguf");
        convert(hf, gguf, FileType.ALL_F32);
        try (GgufFile f = GgufFile.open(gguf)) {
            GgufMetadata md = f.metadata();
            assertEquals(List.of("general.architecture", "general.type", "general.sampling.top_k",
                    "general.sampling.top_p", "general.sampling.temp", "general.sampling.penalty_repeat", "general.name",
                    "general.finetune", "general.basename", "general.size_label"), List.copyOf(md.keys()).subList(0, 10));
            assertEquals(40, md.getInt("general.sampling.top_k"));
            assertEquals(0.6f, md.getFloat("general.sampling.temp"));
            assertEquals("Llama 3.2 1B Instruct", md.getString("general.name"));
            assertEquals("Llama-3.2", md.getString("general.basename"));
            assertEquals("1b-Instruct", md.getString("general.finetune"),
                    "1B is far from the model's size, so gguf-py takes it for a context length, part of the fine-tune");
            long params = f.tensors().values().stream().mapToLong(Tensor::elementCount).sum();
            assertEquals(GeneralKeys.sizeLabel(params), md.getString("general.size_label"));
        }
    }

    /** Model ids, titles and size labels as gguf-py (llama.cpp v0.5.0) gives them for these inputs. */
    @Test
    void modelIdHeuristicsAreGgufPys() {
        String[][] ids = {
            // id, parameter count, then gguf-py's full name, organization, basename, finetune, version, size label
            {"Llama-3.2-1B-Instruct", "1240000000", "Llama-3.2-1B-Instruct", null, "Llama-3.2", "Instruct", null, "1B"},
            {"Llama-3.2-1B-Instruct", "250000", "Llama-3.2-1B-Instruct", null, "Llama-3.2", "1b-Instruct", null, null},
            {"TinyLlama/TinyLlama-1.1B-Chat-v1.0", "1100048384", "TinyLlama-1.1B-Chat-v1.0", "TinyLlama", "TinyLlama",
                "Chat", "v1.0", "1.1B"},
            {"stories15M", "15000000", "stories15M", null, null, null, null, null},
            {"stories260K-hf", "260000", "stories260K-hf", null, null, null, null, null},
            {"Mixtral-8x7B-Instruct-v0.1", "46000000000", "Mixtral-8x7B-Instruct-v0.1", null, "Mixtral", "Instruct",
                "v0.1", "8x7B"},
            {"bloom-7b1", "7000000000", "bloom-7b1", null, "bloom", null, null, "7.1B"},
            {"Qwen2.5-Coder-32B-Instruct-GGUF-Q4_K_M", "32000000000", "Qwen2.5-Coder-32B-Instruct-GGUF-Q4_K_M", null,
                "Qwen2.5-Coder", "Instruct-GGUF", null, "32B"},
            {"Meta-Llama-3-8B", "8000000000", "Meta-Llama-3-8B", null, "Meta-Llama-3", null, null, "8B"},
            {"gpt2-xl", "1500000000", "gpt2-xl", null, "gpt2", null, null, "xl"},
            {"Mistral-7B-v0.1-128k", "7000000000", "Mistral-7B-v0.1-128k", null, "Mistral", "128k", "v0.1", "7B"},
        };
        for (String[] c : ids) {
            assertEquals(new GeneralKeys.Components(c[2], c[3], c[4], c[5], c[6], c[7]),
                    GeneralKeys.components(c[0], Long.parseLong(c[1])), c[0] + " at " + c[1]);
        }
        assertEquals("Llama 3.2 1B Instruct", GeneralKeys.title("Llama-3.2-1B-Instruct"));
        assertEquals("Tinyllama v1.0 Chat", GeneralKeys.title("tinyllama-v1.0-chat"));
        assertEquals("Stories15M", GeneralKeys.title("stories15m"));
        assertEquals("stories260K Hf", GeneralKeys.title("stories260K-hf"));
        assertEquals("Mixtral 8x7b", GeneralKeys.title("mixtral-8x7b"));
        long[] counts = {2_828_736, 1_235_814_400, 260_000, 15_000_000, 1_363_200, 999, 1500, 2_500_000, 25_000, 995_000};
        String[] labels = {"2.8M", "1.2B", "260K", "15M", "1.4M", "1.0K", "1.5K", "2.5M", "25K", "995K"};
        for (int i = 0; i < counts.length; i++) {
            assertEquals(labels[i], GeneralKeys.sizeLabel(counts[i]), "size label of " + counts[i]);
        }
    }

    // --- the tokenizer keys against llama.cpp's own vocabulary files ---

    /** A tokenizer.json (and config files) for one of llama.cpp's byte-level vocabulary GGUFs, as the model's repository has it. */
    private static Path byteLevelDir(String vocab, Path dir) throws IOException {
        try (GgufFile gguf = GgufFile.open(Shared.require("tokenizers/ggml-vocab-" + vocab + ".gguf"))) {
            GgufMetadata md = gguf.metadata();
            String[] tokens = md.getStringArray("tokenizer.ggml.tokens");
            int[] types = md.getIntArray("tokenizer.ggml.token_type");
            Map<String, Object> vocabMap = new LinkedHashMap<>();
            List<Object> added = new ArrayList<>();
            for (int id = 0; id < tokens.length; id++) {
                if (types[id] == 3) {
                    added.add(Map.of("id", id, "content", tokens[id], "single_word", false, "lstrip", false,
                            "rstrip", false, "normalized", false, "special", true));
                } else if (types[id] == 1) {
                    vocabMap.put(tokens[id], id);
                }
            }
            Map<String, Object> model = new LinkedHashMap<>();
            model.put("type", "BPE");
            model.put("byte_fallback", false);
            model.put("ignore_merges", vocab.equals("llama-bpe"));
            model.put("vocab", vocabMap);
            model.put("merges", List.of(md.getStringArray("tokenizer.ggml.merges")));
            Map<String, Object> root = new LinkedHashMap<>();
            root.put("added_tokens", added);
            Map<String, Object> byteLevel = Map.of("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", false,
                    "use_regex", false);
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("vocab_size", tokens.length);
            Map<String, Object> tc = new LinkedHashMap<>();
            switch (vocab) {
                case "llama-bpe" -> {
                    root.put("pre_tokenizer", Map.of("type", "Sequence", "pretokenizers", List.of(
                            split(LLAMA3_SPLIT), byteLevel)));
                    Map<String, Object> bos = Map.of("SpecialToken", Map.of("id", "<|begin_of_text|>", "type_id", 0));
                    root.put("post_processor", Map.of("type", "Sequence", "processors", List.of(
                            Map.of("type", "ByteLevel", "add_prefix_space", true, "trim_offsets", false, "use_regex", true),
                            Map.of("type", "TemplateProcessing",
                                    "single", List.of(bos, Map.of("Sequence", Map.of("id", "A", "type_id", 0))),
                                    "pair", List.of(bos, Map.of("Sequence", Map.of("id", "A", "type_id", 0)), bos,
                                            Map.of("Sequence", Map.of("id", "B", "type_id", 1)))))));
                    tc.put("bos_token", "<|begin_of_text|>");
                    tc.put("eos_token", "<|end_of_text|>");
                    config.put("bos_token_id", 128000);
                    config.put("eos_token_id", 128001);
                }
                case "qwen2" -> {
                    root.put("normalizer", Map.of("type", "NFC"));
                    root.put("pre_tokenizer", Map.of("type", "Sequence", "pretokenizers", List.of(
                            split(QWEN2_SPLIT), byteLevel)));
                    root.put("post_processor", Map.of("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", false,
                            "use_regex", false));
                    tc.put("bos_token", null);
                    tc.put("eos_token", "<|endoftext|>");
                    tc.put("pad_token", "<|endoftext|>");
                    config.put("bos_token_id", 151643);
                    config.put("eos_token_id", 151643);
                }
                default -> {
                    root.put("pre_tokenizer", Map.of("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", true,
                            "use_regex", true));
                    root.put("post_processor", Map.of("type", "ByteLevel", "add_prefix_space", true, "trim_offsets", false,
                            "use_regex", true));
                    config.put("bos_token_id", 50256);
                    config.put("eos_token_id", 50256);
                }
            }
            root.put("decoder", Map.of("type", "ByteLevel", "add_prefix_space", true, "trim_offsets", true, "use_regex", true));
            root.put("model", model);
            Path hf = Files.createDirectories(dir.resolve(vocab));
            ConvertFixtures.writeJson(hf.resolve("tokenizer.json"), root);
            ConvertFixtures.writeJson(hf.resolve("config.json"), config);
            if (!tc.isEmpty()) {
                ConvertFixtures.writeJson(hf.resolve("tokenizer_config.json"), tc);
            }
            return hf;
        }
    }

    /** Llama 3's Split expression as its tokenizer.json writes it; Qwen2's takes single digits. */
    private static final String LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String QWEN2_SPLIT = LLAMA3_SPLIT.replace("\\p{N}{1,3}", "\\p{N}");

    private static Map<String, Object> split(String regex) {
        return Map.of("type", "Split", "pattern", Map.of("Regex", regex), "behavior", "Isolated", "invert", false);
    }

    /** The vocabulary keys {@link HfVocab} writes for a directory, and its warnings. */
    private record Vocab(KeyValues kv, List<String> warnings, Path gguf) {
        Object get(String key) {
            KeyValues.Value v = kv.values().get(key);
            return v == null ? null : v.value();
        }
    }

    private static Vocab vocab(Path hf, String name) throws IOException {
        Json.Obj config = Json.parseObject(hf.resolve("config.json"));
        KeyValues kv = new KeyValues();
        List<String> warnings = new ArrayList<>();
        HfVocab.put(hf, config, config.getInt("vocab_size"), kv, warnings::add);
        Path gguf = tmp.resolve("vocab-" + name + ".gguf");
        try (GgufWriter w = GgufWriter.create(gguf, true)) {
            w.putString("general.architecture", "llama");
            kv.writeTo(w);
        }
        return new Vocab(kv, warnings, gguf);
    }

    @TestFactory
    Stream<DynamicTest> byteLevelVocabulariesAreLlamaCppsAndThePreTokenizerIsFoundByItsHash() {
        return Stream.of("llama-bpe", "gpt-2", "qwen2").map(name -> DynamicTest.dynamicTest(name, () -> {
            Vocab v = vocab(byteLevelDir(name, tmp.resolve("byte-level")), name);
            assertEquals(List.of(), v.warnings(), "the check text's hash is a known one: no fallback");
            try (GgufFile ref = GgufFile.open(Shared.require("tokenizers/ggml-vocab-" + name + ".gguf"));
                    GgufFile ours = GgufFile.open(v.gguf())) {
                GgufMetadata a = ref.metadata();
                GgufMetadata b = ours.metadata();
                assertEquals("gpt2", b.getString("tokenizer.ggml.model"));
                assertEquals(a.getString("tokenizer.ggml.pre"), b.getString("tokenizer.ggml.pre"));
                assertArrayEquals(a.getStringArray("tokenizer.ggml.tokens"), b.getStringArray("tokenizer.ggml.tokens"));
                assertArrayEquals(a.getStringArray("tokenizer.ggml.merges"), b.getStringArray("tokenizer.ggml.merges"));
                int[] types = b.getIntArray("tokenizer.ggml.token_type");
                int[] expected = a.getIntArray("tokenizer.ggml.token_type");
                if (name.equals("qwen2")) {
                    // the reference predates the [PADn] fillers' UNUSED type (it has USER_DEFINED)
                    for (int i = 151646; i < expected.length; i++) {
                        assertEquals(5, types[i]);
                        expected[i] = 5;
                    }
                }
                assertArrayEquals(expected, types);
                for (String key : List.of("tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id")) {
                    assertEquals(a.getInt(key), b.getInt(key), key);
                }
                if (name.equals("llama-bpe")) {
                    assertTrue(b.getBoolean("tokenizer.ggml.add_bos_token"));
                    assertFalse(b.getBoolean("tokenizer.ggml.add_sep_token"), "the pair template has BOS, not EOS, between");
                }
                Tokenizer t = Tokenizers.load(b);
                List<String> texts = inputs(Shared.require("tokenizers/ggml-vocab-" + name + ".gguf.inp"));
                List<int[]> ids = outputs(Shared.require("tokenizers/ggml-vocab-" + name + ".gguf.out"));
                for (int i = 0; i < texts.size(); i++) {
                    assertArrayEquals(ids.get(i), t.encode(texts.get(i), false, false), texts.get(i));
                }
            }
        }));
    }

    @Test
    void tokenizerModelGivesLlamaCppsSentencePieceVocabulary(@TempDir Path dir) throws IOException {
        Path hf = Files.createDirectories(dir.resolve("llama-2"));
        try (GgufFile ref = GgufFile.open(Shared.require("tokenizers/ggml-vocab-llama-spm.gguf"))) {
            GgufMetadata md = ref.metadata();
            String[] tokens = md.getStringArray("tokenizer.ggml.tokens");
            Files.write(hf.resolve("tokenizer.model"), ConvertFixtures.sentencePieceModel(tokens,
                    md.getFloatArray("tokenizer.ggml.scores"), md.getIntArray("tokenizer.ggml.token_type")));
            List<Object> added = new ArrayList<>();
            for (int id = 0; id < 3; id++) {
                added.add(Map.of("id", id, "content", tokens[id], "special", true));
            }
            ConvertFixtures.writeJson(hf.resolve("tokenizer.json"), Map.of("added_tokens", added));
            ConvertFixtures.writeJson(hf.resolve("tokenizer_config.json"), Map.of("add_bos_token", true,
                    "add_eos_token", false, "bos_token", "<s>", "eos_token", "</s>", "unk_token", "<unk>"));
            ConvertFixtures.writeJson(hf.resolve("config.json"), Map.of("vocab_size", 32000, "bos_token_id", 1,
                    "eos_token_id", 2));
            Vocab v = vocab(hf, "llama-spm");
            assertEquals(List.of(), v.warnings());
            try (GgufFile ours = GgufFile.open(v.gguf())) {
                GgufMetadata b = ours.metadata();
                assertEquals(List.of("tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens",
                        "tokenizer.ggml.scores", "tokenizer.ggml.token_type", "tokenizer.ggml.bos_token_id",
                        "tokenizer.ggml.eos_token_id", "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.add_bos_token",
                        "tokenizer.ggml.add_eos_token"), List.copyOf(b.keys()).subList(1, b.size()));
                for (String key : b.keys()) {
                    if (!key.equals("general.architecture")) {
                        assertEquals(md.get(key), b.get(key), key);
                    }
                }
                Tokenizer t = Tokenizers.load(b);
                List<String> texts = inputs(Shared.require("tokenizers/ggml-vocab-llama-spm.gguf.inp"));
                List<int[]> ids = outputs(Shared.require("tokenizers/ggml-vocab-llama-spm.gguf.out"));
                for (int i = 0; i < texts.size(); i++) {
                    assertArrayEquals(ids.get(i), t.encode(texts.get(i), false, false), texts.get(i));
                }
            }
        }
    }

    @Test
    void sentencePieceStyleTokenizerJsonAloneIsWrittenAsTheScriptDoesWithAWarning(@TempDir Path dir) throws IOException {
        Path hf = Files.createDirectories(dir.resolve("llama-hf"));
        Map<String, Object> vocab = new LinkedHashMap<>();
        String[] pieces = {"<unk>", "<s>", "</s>", "<0x0A>", "▁a", "b", "▁ab"};
        for (int i = 0; i < pieces.length; i++) {
            vocab.put(pieces[i], i);
        }
        ConvertFixtures.writeJson(hf.resolve("tokenizer.json"), Map.of(
                "added_tokens", List.of(Map.of("id", 7, "content", "<extra>", "special", false)),
                "decoder", Map.of("type", "Sequence", "decoders", List.of()),
                "model", Map.of("type", "BPE", "byte_fallback", true, "vocab", vocab, "merges", List.of("▁a b"))));
        ConvertFixtures.writeJson(hf.resolve("tokenizer_config.json"), Map.of("tokenizer_class", "LlamaTokenizer",
                "add_bos_token", true));
        ConvertFixtures.writeJson(hf.resolve("config.json"), Map.of("vocab_size", 8));
        Vocab v = vocab(hf, "llama-hf");
        assertEquals(1, v.warnings().size());
        assertTrue(v.warnings().getFirst().contains("every score is written as -1000"), v.warnings().getFirst());
        assertEquals("llama", v.get("tokenizer.ggml.model"));
        try (GgufFile f = GgufFile.open(v.gguf())) {
            GgufMetadata md = f.metadata();
            assertArrayEquals(new String[] {"<unk>", "<s>", "</s>", "<0x0A>", "▁a", "b", "▁ab", "<extra>"},
                    md.getStringArray("tokenizer.ggml.tokens"));
            assertArrayEquals(new int[] {3, 3, 3, 6, 1, 1, 1, 4}, md.getIntArray("tokenizer.ggml.token_type"));
            float[] scores = md.getFloatArray("tokenizer.ggml.scores");
            assertTrue(Arrays.equals(scores, new float[] {-1000, -1000, -1000, -1000, -1000, -1000, -1000, -1000}));
            assertTrue(md.getBoolean("tokenizer.ggml.add_bos_token"));
            assertFalse(md.has("tokenizer.ggml.merges"));
        }
    }

    /**
     * gguf-py's SpecialVocab on five tokenizer layouts, the expected keys as running it (llama.cpp
     * v0.5.0's gguf-py) gave them: AddedToken objects and config.json ids, RobertaProcessing, a
     * trailing special token that is not EOS (the old EOS becomes EOT) with named chat templates,
     * no tokenizer_config.json (an id out of range is skipped), and cls/sep standing in for bos/eos.
     */
    @TestFactory
    Stream<DynamicTest> specialTokensAreFoundAsGgufPyFindsThem(@TempDir Path dir) {
        Map<String, Object> eot = Map.of("id", 3, "content", "<|eot|>", "special", true);
        List<Object> added = List.of(Map.of("id", 0, "content", "<unk>", "special", true),
                Map.of("id", 1, "content", "<s>", "special", true), Map.of("id", 2, "content", "</s>", "special", true), eot);
        Map<String, Object> a = Map.of("Sequence", Map.of("id", "A", "type_id", 0));
        Map<String, Object> b = Map.of("Sequence", Map.of("id", "B", "type_id", 1));
        java.util.function.Function<String, Object> st = t -> Map.of("SpecialToken", Map.of("id", t, "type_id", 0));
        java.util.function.Function<String, Object> addedToken = c -> Map.of("__type", "AddedToken", "content", c,
                "lstrip", false, "normalized", false, "rstrip", false, "single_word", false);
        Map<String, Object> tcA = new LinkedHashMap<>();
        tcA.put("bos_token", addedToken.apply("<s>"));
        tcA.put("eos_token", addedToken.apply("</s>"));
        tcA.put("unk_token", addedToken.apply("<unk>"));
        tcA.put("pad_token", null);
        tcA.put("add_bos_token", true);
        tcA.put("add_eos_token", false);
        tcA.put("chat_template", "T");
        record Layout(String name, Map<String, Object> tc, Object postProcessor, Map<String, Object> config,
                      List<String> expected) {}
        List<Layout> layouts = List.of(
                new Layout("a", tcA, Map.of("type", "TemplateProcessing", "single", List.of(st.apply("<s>"), a),
                        "pair", List.of(st.apply("<s>"), a, st.apply("<s>"), b)),
                        Map.of("bos_token_id", 1, "eos_token_id", 2, "pad_token_id", 0),
                        List.of("bos_token_id=1", "eos_token_id=2", "unknown_token_id=0", "padding_token_id=0",
                                "add_bos_token=true", "add_sep_token=false", "add_eos_token=false", "chat_template=T")),
                new Layout("b", Map.of("bos_token", "<s>", "eos_token", "</s>"), Map.of("type", "RobertaProcessing",
                        "sep", List.of("</s>", 2), "cls", List.of("<s>", 1)), Map.of(),
                        List.of("bos_token_id=1", "eos_token_id=2", "seperator_token_id=2", "add_bos_token=true",
                                "add_eos_token=true", "add_sep_token=true")),
                new Layout("c", Map.of("bos_token", "<s>", "eos_token", "</s>", "chat_template", List.of(
                        Map.of("name", "default", "template", "D"), Map.of("name", "tool use", "template", "X"))),
                        Map.of("type", "TemplateProcessing", "single", List.of(st.apply("<s>"), a, st.apply("<|eot|>")),
                                "pair", List.of(st.apply("<s>"), a, st.apply("<|eot|>"), st.apply("<s>"), b,
                                        st.apply("<|eot|>"))), Map.of("eos_token_id", List.of(2, 3)),
                        List.of("bos_token_id=1", "eos_token_id=3", "eot_token_id=2", "add_bos_token=true",
                                "add_eos_token=true", "add_sep_token=false", "chat_template.tool_use=X",
                                "chat_templates=STRING[1]{tool_use}", "chat_template=D")),
                new Layout("d", null, Map.of("type", "TemplateProcessing", "single", List.of(st.apply("<s>"), a,
                        st.apply("</s>")), "pair", List.of()), Map.of("bos_token_id", 1, "eos_token_id", 2, "unk_token_id", 9),
                        List.of("bos_token_id=1", "eos_token_id=2", "add_bos_token=true", "add_eos_token=true")),
                new Layout("e", Map.of("cls_token", "<s>", "sep_token", "</s>", "add_eos_token", true),
                        Map.of("type", "Sequence", "processors", List.of(Map.of("type", "ByteLevel"),
                                Map.of("type", "TemplateProcessing", "single", List.of(st.apply("<s>"), a, st.apply("</s>")),
                                        "pair", List.of(st.apply("<s>"), a, st.apply("</s>"), b, st.apply("</s>"))))),
                        Map.of(), List.of("bos_token_id=1", "eos_token_id=2", "seperator_token_id=2",
                                "add_bos_token=true", "add_eos_token=true", "add_sep_token=false")));
        return layouts.stream().map(l -> DynamicTest.dynamicTest(l.name(), () -> {
            Path hf = Files.createDirectories(dir.resolve(l.name()));
            String[] pieces = {"<unk>", "<s>", "</s>", "<|eot|>", "▁a", "▁b", "c", "d"};
            float[] scores = {0, 0, 0, 0, -1, -2, -3, -4};
            int[] types = {2, 3, 3, 3, 1, 1, 1, 1};
            Files.write(hf.resolve("tokenizer.model"), ConvertFixtures.sentencePieceModel(pieces, scores, types));
            ConvertFixtures.writeJson(hf.resolve("tokenizer.json"), Map.of("added_tokens", added,
                    "post_processor", l.postProcessor()));
            if (l.tc() != null) {
                ConvertFixtures.writeJson(hf.resolve("tokenizer_config.json"), l.tc());
            }
            Map<String, Object> config = new LinkedHashMap<>(l.config());
            config.put("vocab_size", 8);
            ConvertFixtures.writeJson(hf.resolve("config.json"), config);
            Vocab v = vocab(hf, "special-" + l.name());
            List<String> keys = new ArrayList<>();
            v.kv().values().forEach((k, x) -> {
                if (!Set.of("model", "pre", "tokens", "scores", "token_type").contains(k.replace("tokenizer.ggml.", ""))) {
                    keys.add(k.replace("tokenizer.ggml.", "").replace("tokenizer.", "") + "=" + x.value());
                }
            });
            assertEquals(l.expected(), keys);
            assertEquals(l.name().equals("d") ? 1 : 0, v.warnings().size(), v.warnings().toString());
        }));
    }

    private static List<String> inputs(Path inp) throws IOException {
        String separator = "\n__ggml_vocab_test__\n";
        String all = Files.readString(inp, StandardCharsets.UTF_8);
        List<String> tests = new ArrayList<>();
        for (int at = 0, next; (next = all.indexOf(separator, at)) >= 0; at = next + separator.length()) {
            tests.add(all.substring(at, next));
        }
        return tests;
    }

    private static List<int[]> outputs(Path out) throws IOException {
        return Files.readAllLines(out, StandardCharsets.UTF_8).stream()
                .map(line -> line.isBlank() ? new int[0]
                        : Arrays.stream(line.strip().split(" ")).mapToInt(Integer::parseInt).toArray())
                .toList();
    }

    // --- refusals ---

    @Test
    void unsupportedArchitectureIsRefusedNamingTheFileAndField(@TempDir Path dir) throws IOException {
        Path hf = ConvertFixtures.withConfig(Shared.require("oracles/hf/seed"), dir.resolve("m"),
                cfg -> cfg.put("architectures", List.of("Qwen3ForCausalLM")));
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> convert(hf, dir.resolve("out.gguf"), FileType.ALL_F32));
        assertTrue(e.getMessage().contains(hf.resolve("config.json").toString()) && e.getMessage().contains("architectures")
                && e.getMessage().contains("Qwen3ForCausalLM") && e.getMessage().contains("supported: LlamaForCausalLM,"
                + " Qwen2ForCausalLM, MistralForCausalLM, Phi3ForCausalLM, GemmaForCausalLM"), e.getMessage());
        Path noArch = ConvertFixtures.withConfig(Shared.require("oracles/hf/seed"), dir.resolve("n"),
                cfg -> cfg.remove("architectures"));
        e = assertThrows(ModelFormatException.class, () -> convert(noArch, dir.resolve("out.gguf"), FileType.ALL_F32));
        assertTrue(e.getMessage().contains("'architectures' is missing"), e.getMessage());
        Path mismatch = ConvertFixtures.withConfig(Shared.require("oracles/hf/seed"), dir.resolve("t"),
                cfg -> cfg.put("architectures", List.of("MistralForCausalLM")));
        e = assertThrows(ModelFormatException.class, () -> convert(mismatch, dir.resolve("out.gguf"), FileType.ALL_F32));
        assertTrue(e.getMessage().contains("key 'model_type' is 'llama' but architectures names MistralForCausalLM"
                + " (model_type mistral)"), e.getMessage());
        assertEquals(List.of(), ConvertFixtures.ggufFiles(dir));
    }

    /** What the loader refuses, or what a family's GGUF keys as llama.cpp writes them cannot carry, is refused by name. */
    @Test
    void configsTheFamilyCannotCarryAreRefused(@TempDir Path dir) throws IOException {
        record Refused(String oracle, String key, Object value, String message) {}
        List<Refused> cases = List.of(
                new Refused("qwen2", "use_sliding_window", true, "key 'use_sliding_window' is true"),
                new Refused("qwen2", "rope_scaling", Map.of("rope_type", "llama3", "factor", 8.0),
                        "key 'rope_scaling.rope_type' is 'llama3' (supported for qwen2: default, linear)"),
                new Refused("phi3", "rope_scaling", Map.of("type", "longrope", "long_factor", List.of(1.0)),
                        "key 'rope_scaling.rope_type' is 'longrope' (supported for phi3: default)"),
                new Refused("phi3", "original_max_position_embeddings", null,
                        "key 'original_max_position_embeddings' is missing"),
                new Refused("gemma", "tie_word_embeddings", false, "key 'tie_word_embeddings' is false"),
                new Refused("gemma", "rope_theta", 500000.0, "key 'rope_theta' is 500000.0"),
                new Refused("gemma", "hidden_activation", "gelu", "key 'hidden_activation' is 'gelu'"
                        + " (supported for gemma: gelu_pytorch_tanh)"),
                new Refused("mistral", "partial_rotary_factor", 0.5, "key 'partial_rotary_factor' rotates 16 of 32"));
        for (Refused c : cases) {
            Path hf = ConvertFixtures.withConfig(Shared.require("oracles/hf/" + c.oracle()),
                    dir.resolve(c.oracle() + "-" + c.key()), cfg -> cfg.put(c.key(), c.value()));
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> convert(hf, dir.resolve("out.gguf"), FileType.ALL_F32), c.toString());
            assertTrue(e.getMessage().contains(hf.resolve("config.json").toString())
                    && e.getMessage().contains(c.message()), e.getMessage());
        }
        Path noBias = ConvertFixtures.withoutTensor(Shared.require("oracles/hf/qwen2"), dir.resolve("no-bias"),
                "model.layers.1.self_attn.k_proj.bias");
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> convert(noBias, dir.resolve("out.gguf"), FileType.ALL_F32));
        assertTrue(e.getMessage().contains("tensor 'model.layers.1.self_attn.k_proj.bias' (GGUF blk.1.attn_k.bias) is"
                + " missing: a qwen2 model has a bias on attn_k"), e.getMessage());
        assertEquals(List.of(), ConvertFixtures.ggufFiles(dir));
    }

    @Test
    void missingConfigFieldIsNamed(@TempDir Path dir) throws IOException {
        Path hf = ConvertFixtures.withConfig(Shared.require("oracles/hf/seed"), dir.resolve("m"),
                cfg -> cfg.remove("intermediate_size"));
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> convert(hf, dir.resolve("out.gguf"), FileType.ALL_F32));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("'intermediate_size' is missing"),
                e.getMessage());
        Path rope = ConvertFixtures.withConfig(Shared.require("oracles/hf/seed"), dir.resolve("r"),
                cfg -> cfg.put("rope_scaling", Map.of("rope_type", "yarn", "factor", 4.0)));
        e = assertThrows(ModelFormatException.class, () -> convert(rope, dir.resolve("out.gguf"), FileType.ALL_F32));
        assertTrue(e.getMessage().contains("rope_scaling.rope_type' is 'yarn'"), e.getMessage());
    }

    @Test
    void shapesThatDoNotMatchTheConfigAreRefusedNamingTheTensor(@TempDir Path dir) throws IOException {
        Path hf = ConvertFixtures.withConfig(Shared.require("oracles/hf/seed"), dir.resolve("m"),
                cfg -> cfg.put("num_key_value_heads", 2));
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> convert(hf, dir.resolve("out.gguf"), FileType.ALL_F32));
        assertTrue(e.getMessage().contains("model.safetensors") && e.getMessage().contains("self_attn.k_proj.weight")
                && e.getMessage().contains("[256, 256]") && e.getMessage().contains("[128, 256]"), e.getMessage());
        Path untied = ConvertFixtures.withConfig(Shared.require("models/tiny-kjv/hf"), dir.resolve("t"),
                cfg -> cfg.put("tie_word_embeddings", false));
        e = assertThrows(ModelFormatException.class, () -> convert(untied, dir.resolve("out.gguf"), FileType.ALL_F32));
        assertTrue(e.getMessage().contains("'lm_head.weight'") && e.getMessage().contains("missing"), e.getMessage());
        assertEquals(List.of(), ConvertFixtures.ggufFiles(dir));
    }

    @Test
    void nanWeightsAreRefusedAndNoFileIsLeft(@TempDir Path dir) throws IOException {
        Path seed = Shared.require("oracles/hf/seed");
        Path hf = Files.createDirectories(dir.resolve("nan"));
        Files.copy(seed.resolve("config.json"), hf.resolve("config.json"));
        List<Entry> entries = new ArrayList<>();
        try (SafetensorsFile f = SafetensorsFile.open(seed.resolve("model.safetensors"))) {
            f.tensors().values().forEach(t -> entries.add(Entry.of(t)));
        }
        Entry up = entries.stream().filter(e -> e.name().equals("model.layers.1.mlp.up_proj.weight")).findFirst().orElseThrow();
        ConvertFixtures.setF32(up, 3 * 256 + 7, Float.NaN);
        ConvertFixtures.writeSafetensors(hf.resolve("model.safetensors"), entries);
        Path out = dir.resolve("out.gguf");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> convert(hf, out, FileType.MOSTLY_F16));
        assertTrue(e.getMessage().contains("model.layers.1.mlp.up_proj.weight") && e.getMessage().contains("NaN")
                && e.getMessage().contains("row 3, column 7") && e.getMessage().contains("model.safetensors"), e.getMessage());
        assertEquals(List.of(), ConvertFixtures.ggufFiles(dir));
    }

    @Test
    void outputMustBeNeitherAnInputFileNorAnExistingFileUnlessOverwriting(@TempDir Path dir) throws IOException {
        Path hf = ConvertFixtures.copyDir(Shared.require("oracles/hf/seed"), dir.resolve("seed"));
        byte[] weights = Files.readAllBytes(hf.resolve("model.safetensors"));
        for (boolean overwrite : new boolean[] {false, true}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Converter.convert(hf,
                    hf.resolve("model.safetensors"), new Converter.Options(FileType.ALL_F32, false, 1), overwrite,
                    (i, n, name, from, to) -> { }, w -> { }));
            assertTrue(e.getMessage().contains("is model.safetensors of the input directory"), e.getMessage());
        }
        assertArrayEquals(weights, Files.readAllBytes(hf.resolve("model.safetensors")));
        assertThrows(IllegalArgumentException.class, () -> convert(hf, dir, FileType.ALL_F32));
        Path out = dir.resolve("out.gguf");
        Files.writeString(out, "keep me");
        assertThrows(FileAlreadyExistsException.class, () -> convert(hf, out, FileType.ALL_F32));
        assertEquals("keep me", Files.readString(out));
        Converter.convert(hf, out, new Converter.Options(FileType.ALL_F32, false, 1), true, (i, n, name, from, to) -> { },
                w -> { });
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(3 + 2 * 9, f.tensors().size());
        }
        Path inside = hf.resolve("seed-F32.gguf");
        convert(hf, inside, FileType.ALL_F32);
        assertTrue(Files.size(inside) > 0, "a new file in the input directory is fine, as the script's default");
    }
}
