package dev.llamasimd.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.io.GgufFile;
import dev.llamasimd.io.GgufMetadata;
import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.kernels.Rope;
import dev.llamasimd.model.SyntheticModel.Plan;
import dev.llamasimd.model.SyntheticModel.PlannedTensor;
import dev.llamasimd.model.SyntheticModel.Shape;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Quant;
import dev.llamasimd.tensor.Tensor;
import dev.llamasimd.testing.Shared;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Synthetic GGUF models: what they hold, that they load and run, determinism, and the named shapes. */
class SyntheticModelTest {
    /** Small enough to write in milliseconds, with GQA, whole Q8_0/Q4_0 blocks and more tokens than bytes. */
    private static final Shape SMALL = Shape.custom(64, 2, 4, 2, 96, 300, 64, false, 10000f);

    /** The same with rows of one K-quant super-block (256 values). */
    private static final Shape SMALL_K = Shape.custom(256, 2, 4, 2, 256, 300, 64, false, 10000f);

    /** {@link #SMALL}, or {@link #SMALL_K} for types of 256-value blocks. */
    private static Shape small(GgmlType type) {
        return type.blockSize > 32 ? SMALL_K : SMALL;
    }

    private static final RopeScaling.Llama3 LLAMA3 = new RopeScaling.Llama3(32f, 1f, 4f, 8192);

    private static Path write(Path dir, String name, Shape shape, GgmlType type, long seed) throws IOException {
        Path out = dir.resolve(name);
        SyntheticModel.write(shape, type, seed, out, false, SyntheticModel.Progress.NONE);
        return out;
    }

    @Test
    void everyTypeLoadsWithTheShapesConfigAndRunsAForwardPass(@TempDir Path dir) throws IOException {
        for (GgmlType type : SyntheticModel.TYPES) {
            for (boolean tied : new boolean[] {false, true}) {
                Shape base = small(type);
                Shape shape = Shape.custom(base.dim(), base.layers(), base.heads(), base.kvHeads(), base.ffnDim(),
                        base.vocabSize(), base.contextLength(), tied, base.ropeBase());
                Path file = write(dir, type + "-" + tied + ".gguf", shape, type, 1);
                try (Llama llama = ModelLoader.load(file, Parallel.serial())) {
                    assertEquals(shape.config(), llama.config(), type + " tied " + tied);
                    assertEquals(tied, llama.weights().tiedOutput());
                    assertEquals(type, llama.weights().layers()[1].wq().type());
                    int[] tokens = {shape.vocabSize() - 2, 'H', 'i', 299};
                    State state = llama.newState(tokens.length, shape.contextLength(), false);
                    try (KvCache cache = llama.newCache(shape.contextLength())) {
                        llama.forward(state, cache, tokens, 0, tokens.length, 0);
                    }
                    float[] logits = Arrays.copyOf(state.logits, shape.vocabSize());
                    for (float l : logits) {
                        assertTrue(Float.isFinite(l), type + ": logit " + l);
                    }
                    assertTrue(logits[0] != logits[1], type + ": logits that tell tokens apart");
                }
            }
        }
    }

    @Test
    void theFileHoldsThePlannedTensorsAndItsSizeIsTheHeaderPlusThePlannedData(@TempDir Path dir) throws IOException {
        for (GgmlType type : SyntheticModel.TYPES) {
            Plan plan = SyntheticModel.plan(small(type), type);
            try (GgufFile gguf = GgufFile.open(write(dir, type + ".gguf", small(type), type, 2))) {
                List<PlannedTensor> found = new ArrayList<>();
                for (Tensor t : gguf.tensors().values()) {
                    found.add(new PlannedTensor(t.name(), t.type(), t.ne(), initOf(t.name())));
                }
                assertEquals(plan.tensors(), found, type.toString());
                assertEquals(gguf.dataOffset() + plan.dataBytes(), gguf.fileSize(), type.toString());
                Tensor norm = gguf.tensors().get("blk.0.ffn_norm.weight");
                assertEquals(GgmlType.F32, norm.type());
                float[] ones = new float[small(type).dim()];
                Quant.dequantize(norm.type(), norm.data(), 0, ones, 0, ones.length);
                float[] expected = new float[small(type).dim()];
                Arrays.fill(expected, 1f);
                assertArrayEquals(expected, ones);
            }
        }
    }

    private static SyntheticModel.Init initOf(String name) {
        return name.endsWith("norm.weight") ? SyntheticModel.Init.ONES
                : name.equals("rope_freqs.weight") ? SyntheticModel.Init.LLAMA3_ROPE_FACTORS
                : SyntheticModel.Init.RANDOM_NORMAL;
    }

    @Test
    void weightsAreNormalWithStd002(@TempDir Path dir) throws IOException {
        try (GgufFile gguf = GgufFile.open(write(dir, "f32.gguf", SMALL, GgmlType.F32, 3))) {
            Tensor t = gguf.tensors().get("token_embd.weight");
            float[] v = new float[(int) t.elementCount()];
            Quant.dequantize(t.type(), t.data(), 0, v, 0, v.length);
            double sum = 0;
            double sumSq = 0;
            int beyond3Sigma = 0;
            for (float x : v) {
                sum += x;
                sumSq += x * x;
                beyond3Sigma += Math.abs(x) > 3 * SyntheticModel.WEIGHT_STD ? 1 : 0;
            }
            double mean = sum / v.length;
            double std = Math.sqrt(sumSq / v.length - mean * mean);
            assertEquals(0, mean, 0.001);
            assertEquals(SyntheticModel.WEIGHT_STD, std, 0.0005);
            assertEquals(0.0027, (double) beyond3Sigma / v.length, 0.0015, "share beyond 3 sigma");
        }
    }

    @Test
    void metadataAndTokenizerSection(@TempDir Path dir) throws IOException {
        // llama.cpp's LLAMA_FTYPE for every type: the one named after it, or its _M mix
        Map<GgmlType, Integer> fileTypes = Map.ofEntries(Map.entry(GgmlType.F32, 0), Map.entry(GgmlType.F16, 1),
                Map.entry(GgmlType.Q4_0, 2), Map.entry(GgmlType.Q4_1, 3), Map.entry(GgmlType.Q8_0, 7),
                Map.entry(GgmlType.Q5_0, 8), Map.entry(GgmlType.Q5_1, 9), Map.entry(GgmlType.Q2_K, 10),
                Map.entry(GgmlType.Q3_K, 12), Map.entry(GgmlType.Q4_K, 15), Map.entry(GgmlType.Q5_K, 17),
                Map.entry(GgmlType.Q6_K, 18), Map.entry(GgmlType.IQ4_NL, 25), Map.entry(GgmlType.IQ4_XS, 30),
                Map.entry(GgmlType.BF16, 32));
        assertEquals(fileTypes.keySet(), Set.copyOf(SyntheticModel.TYPES));
        for (GgmlType type : SyntheticModel.TYPES) {
            try (GgufFile gguf = GgufFile.open(write(dir, type + ".gguf", SMALL_K, type, 4))) {
                GgufMetadata md = gguf.metadata();
                assertEquals(fileTypes.get(type), md.getInt("general.file_type"), type.toString());
                assertEquals("llama", md.getString("general.architecture"));
                assertTrue(md.getString("general.name").contains("custom"), md.getString("general.name"));
                assertEquals(300, md.getInt("llama.vocab_size"));
                assertEquals(SMALL_K.headDim(), md.getInt("llama.rope.dimension_count"));
                assertEquals("gpt2", md.getString("tokenizer.ggml.model"));
                assertEquals("default", md.getString("tokenizer.ggml.pre"));
                assertEquals(0, md.getStringArray("tokenizer.ggml.merges").length);
                assertEquals(298, md.getInt("tokenizer.ggml.bos_token_id"));
                assertEquals(299, md.getInt("tokenizer.ggml.eos_token_id"));
                assertTrue(md.getBoolean("tokenizer.ggml.add_bos_token"));
                String[] tokens = md.getStringArray("tokenizer.ggml.tokens");
                int[] tokenTypes = md.getIntArray("tokenizer.ggml.token_type");
                assertEquals(300, tokens.length);
                assertEquals(300, tokenTypes.length);
                assertEquals("<|synth_256|>", tokens[256]);
                assertEquals("<|synth_297|>", tokens[297]);
                assertEquals("<|begin_of_text|>", tokens[298]);
                assertEquals("<|end_of_text|>", tokens[299]);
                for (int id = 0; id < 300; id++) {
                    assertEquals(id >= 298 ? 3 : 1, tokenTypes[id], "type of token " + id);
                }
            }
        }
    }

    @Test
    void byteTokensAreGpt2sBytesToUnicodeInLlama3sOrder() throws IOException {
        char[] chars = SyntheticModel.byteChars();
        assertEquals('Ġ', chars[' ']);
        assertEquals('Ċ', chars['\n']);
        assertEquals('A', chars['A']);
        assertEquals('Ā', chars[0]);
        assertEquals('Ń', chars[0xAD]);
        assertEquals(256, new String(chars).chars().distinct().count());
        try (GgufFile llama3 = GgufFile.open(Shared.require("tokenizers/ggml-vocab-llama-bpe.gguf"))) {
            String[] real = llama3.metadata().getStringArray("tokenizer.ggml.tokens");
            assertArrayEquals(Arrays.copyOf(real, 256), Arrays.copyOf(SyntheticModel.tokens(300), 256));
        }
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherBytes(@TempDir Path dir) throws IOException {
        for (GgmlType type : List.of(GgmlType.F16, GgmlType.Q4_0)) {
            Path a = write(dir, type + "-a.gguf", SMALL, type, 42);
            Path b = write(dir, type + "-b.gguf", SMALL, type, 42);
            Path c = write(dir, type + "-c.gguf", SMALL, type, 43);
            assertEquals(-1, Files.mismatch(a, b), type + ": same seed");
            assertEquals(Files.size(a), Files.size(c));
            assertNotEquals(-1, Files.mismatch(a, c), type + ": other seed");
        }
    }

    @Test
    void aTensorsValuesDependOnlyOnTheSeedAndItsName(@TempDir Path dir) throws IOException {
        Shape deeper = Shape.custom(64, 3, 4, 2, 96, 300, 64, true, 10000f);
        try (GgufFile a = GgufFile.open(write(dir, "a.gguf", SMALL, GgmlType.Q8_0, 7));
                GgufFile b = GgufFile.open(write(dir, "b.gguf", deeper, GgmlType.Q8_0, 7))) {
            for (String name : List.of("token_embd.weight", "blk.1.attn_q.weight", "blk.1.ffn_down.weight")) {
                assertEquals(-1, a.tensors().get(name).data().mismatch(b.tensors().get(name).data()), name);
            }
            assertNotEquals(-1, a.tensors().get("blk.0.attn_q.weight").data()
                    .mismatch(a.tensors().get("blk.1.attn_q.weight").data()));
        }
    }

    @Test
    void refusesToOverwriteUnlessAskedAndLeavesNoTemporaryFiles(@TempDir Path dir) throws IOException {
        Path out = write(dir, "m.gguf", SMALL, GgmlType.Q8_0, 1);
        byte[] first = Files.readAllBytes(out);
        assertThrows(FileAlreadyExistsException.class, () -> write(dir, "m.gguf", SMALL, GgmlType.Q8_0, 2));
        assertArrayEquals(first, Files.readAllBytes(out));
        SyntheticModel.write(SMALL, GgmlType.Q8_0, 2, out, true, SyntheticModel.Progress.NONE);
        assertFalse(Arrays.equals(first, Files.readAllBytes(out)));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(out), files.toList());
        }
        assertThrows(NoSuchFileException.class, () -> write(dir.resolve("missing"), "m.gguf", SMALL, GgmlType.F32, 1));
    }

    @Test
    void progressRisesToTheDataSize(@TempDir Path dir) throws IOException {
        long total = SyntheticModel.plan(SMALL, GgmlType.BF16).dataBytes();
        List<Long> seen = new ArrayList<>();
        SyntheticModel.write(SMALL, GgmlType.BF16, 1, dir.resolve("p.gguf"), false, (written, t) -> {
            assertEquals(total, t);
            seen.add(written);
        });
        assertEquals(0L, seen.getFirst());
        assertEquals(total, seen.getLast());
        for (int i = 1; i < seen.size(); i++) {
            assertTrue(seen.get(i) >= seen.get(i - 1), "progress went back at update " + i);
        }
        assertTrue(seen.size() > 2 * SMALL.vocabSize(), "updates within tensors: " + seen.size());
    }

    @Test
    void namedShapesAreTheRealModels() {
        assertEquals(new Config(Architecture.LLAMA, 2048, 8192, 16, 32, 8, 64, 128256, 131072, 1e-5f, 500000f, 64,
                Rope.Layout.INTERLEAVED, null, 0), SyntheticModel.LLAMA_3_2_1B.config());
        assertEquals(new Config(Architecture.LLAMA, 2048, 5632, 22, 32, 4, 64, 32000, 2048, 1e-5f, 10000f, 64,
                Rope.Layout.INTERLEAVED, null, 0), SyntheticModel.TINYLLAMA_1_1B.config());
        assertEquals(new Config(Architecture.LLAMA, 3072, 8192, 28, 24, 8, 128, 128256, 131072, 1e-5f, 500000f, 128,
                Rope.Layout.INTERLEAVED, null, 0), SyntheticModel.LLAMA_3_2_3B.config());
        assertTrue(SyntheticModel.LLAMA_3_2_1B.tiedEmbeddings());
        assertFalse(SyntheticModel.TINYLLAMA_1_1B.tiedEmbeddings());
        assertTrue(SyntheticModel.LLAMA_3_2_3B.tiedEmbeddings());
        assertEquals(LLAMA3, SyntheticModel.LLAMA_3_2_1B.ropeScaling());
        assertEquals(LLAMA3, SyntheticModel.LLAMA_3_2_3B.ropeScaling());
        assertNull(SyntheticModel.TINYLLAMA_1_1B.ropeScaling());
        assertEquals(SyntheticModel.LLAMA_3_2_1B, SyntheticModel.shape("llama-3.2-1b"));
        assertEquals(SyntheticModel.TINYLLAMA_1_1B, SyntheticModel.shape("tinyllama-1.1b"));
        assertEquals(SyntheticModel.LLAMA_3_2_3B, SyntheticModel.shape("llama-3.2-3b"));
    }

    @Test
    void everyFamilyWritesAFileThatLoadsAsThatFamilyAndRuns(@TempDir Path dir) throws IOException {
        for (Architecture family : Architecture.ALL) {
            Shape shape = new Shape("small-" + family, family, 64, 2, 4, 2, family == Architecture.GEMMA ? 32 : 16,
                    96, 300, 64, family.has(Architecture.Trait.TIED_BY_DEFAULT), 10000f, 1e-5f, null,
                    family == Architecture.MISTRAL ? 8 : 0);
            Path file = write(dir, family + ".gguf", shape, GgmlType.Q8_0, 5);
            try (Llama llama = ModelLoader.load(file, Parallel.serial())) {
                assertEquals(shape.config(), llama.config(), family.name());
                State s = llama.newState(4, 64, false);
                try (KvCache cache = llama.newCache(64)) {
                    llama.forward(s, cache, new int[] {1, 2, 3, 4}, 0, 4, 0);
                }
                for (float v : s.logits) {
                    assertTrue(Float.isFinite(v), family + ": non-finite logit");
                }
            }
        }
    }

    @Test
    void namedShapesHaveTheRealParameterCountsAndFileSizes() {
        // The Hugging Face parameter counts, plus the RoPE factors (head dim / 2) of the Llama 3 shapes.
        long llama1b = 1_235_814_400L + 32;
        long tinyllama = 1_100_048_384L;
        long llama3b = 3_212_749_824L + 64;
        assertEquals(llama1b, SyntheticModel.plan(SyntheticModel.LLAMA_3_2_1B, GgmlType.F32).parameterCount());
        assertEquals(tinyllama, SyntheticModel.plan(SyntheticModel.TINYLLAMA_1_1B, GgmlType.F32).parameterCount());
        assertEquals(llama3b, SyntheticModel.plan(SyntheticModel.LLAMA_3_2_3B, GgmlType.F32).parameterCount());
        // transformers' num_parameters() of the real models (qwen2.5 counts its q/k/v biases)
        assertEquals(494_032_768L, SyntheticModel.plan(SyntheticModel.QWEN2_5_0_5B, GgmlType.F32).parameterCount());
        assertEquals(7_241_732_096L, SyntheticModel.plan(SyntheticModel.MISTRAL_7B, GgmlType.F32).parameterCount());
        assertEquals(2_506_172_416L, SyntheticModel.plan(SyntheticModel.GEMMA_2B, GgmlType.F32).parameterCount());
        assertEquals(3_821_079_552L, SyntheticModel.plan(SyntheticModel.PHI_3_MINI, GgmlType.F32).parameterCount());

        Plan plan = SyntheticModel.plan(SyntheticModel.LLAMA_3_2_1B, GgmlType.Q8_0);
        assertEquals(16 * 9 + 3, plan.tensors().size(), "rope_freqs, token_embd, 9 per block, output_norm; no output");
        assertEquals("rope_freqs.weight", plan.tensors().getFirst().name());
        assertEquals("output_norm.weight", plan.tensors().getLast().name());
        // Every tensor of these shapes is a whole number of 32-byte units, so there is no padding.
        long norms = 33 * 2048;
        long matrices = llama1b - 32 - norms;
        assertEquals(4 * llama1b, SyntheticModel.plan(SyntheticModel.LLAMA_3_2_1B, GgmlType.F32).dataBytes());
        assertEquals(2 * matrices + 4 * (norms + 32),
                SyntheticModel.plan(SyntheticModel.LLAMA_3_2_1B, GgmlType.BF16).dataBytes());
        assertEquals(matrices / 32 * 34 + 4 * (norms + 32), plan.dataBytes());
        assertEquals(1_313_251_456L, plan.dataBytes());
        assertEquals(matrices / 32 * 18 + 4 * (norms + 32),
                SyntheticModel.plan(SyntheticModel.LLAMA_3_2_1B, GgmlType.Q4_0).dataBytes());
        for (PlannedTensor t : plan.tensors()) {
            assertEquals(t.name().endsWith("norm.weight") || t.name().startsWith("rope") ? GgmlType.F32 : GgmlType.Q8_0,
                    t.type(), t.name());
        }
        Plan tiny = SyntheticModel.plan(SyntheticModel.TINYLLAMA_1_1B, GgmlType.Q4_0);
        assertEquals(new PlannedTensor("output.weight", GgmlType.Q4_0, new long[] {2048, 32000},
                SyntheticModel.Init.RANDOM_NORMAL), tiny.tensors().getLast());
        assertTrue(tiny.tensors().contains(new PlannedTensor("blk.21.attn_k.weight", GgmlType.Q4_0,
                new long[] {2048, 256}, SyntheticModel.Init.RANDOM_NORMAL)));
        assertTrue(tiny.tensors().contains(new PlannedTensor("blk.21.ffn_down.weight", GgmlType.Q4_0,
                new long[] {5632, 2048}, SyntheticModel.Init.RANDOM_NORMAL)));
    }

    @Test
    void llama3RopeFactorsGiveTransformersScaledFrequencies(@TempDir Path dir) throws IOException {
        float[] factors = SyntheticModel.llama3RopeFactors(64, 500000f, LLAMA3);
        assertEquals(32, factors.length);
        assertEquals(1f, factors[0]);
        assertEquals(32f, factors[31]);
        Config plain = SyntheticModel.LLAMA_3_2_1B.config();
        Config scaled = new Config(Architecture.LLAMA, 2048, 8192, 16, 32, 8, 64, 128256, 131072, 1e-5f, 500000f, 64,
                Rope.Layout.INTERLEAVED, LLAMA3, 0);
        assertFrequenciesClose(scaled.ropeInvFreq(null), plain.ropeInvFreq(factors));

        Shape small = new Shape("small-llama3", 64, 1, 4, 2, 64, 300, 64, true, 500000f, 1e-5f, LLAMA3);
        try (Llama llama = ModelLoader.load(write(dir, "l3.gguf", small, GgmlType.F32, 1), Parallel.serial())) {
            Config smallScaled = new Config(Architecture.LLAMA, 64, 64, 1, 4, 2, 16, 300, 64, 1e-5f, 500000f, 16,
                    Rope.Layout.INTERLEAVED, LLAMA3, 0);
            assertFrequenciesClose(smallScaled.ropeInvFreq(null), llama.weights().ropeInvFreq());
        }
    }

    private static void assertFrequenciesClose(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-6 * expected[i], "pair " + i);
        }
    }

    @Test
    void badShapesTypesAndNamesAreRefusedWithTheValidChoices() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SyntheticModel.shape("llama-7b")).getMessage()
                .contains("llama-3.2-1b, tinyllama-1.1b, llama-3.2-3b, qwen2.5-0.5b, mistral-7b, gemma-2b, phi-3-mini, custom"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SyntheticModel.plan(SMALL, "Q7_K")).getMessage()
                .contains("F32, F16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS, BF16"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SyntheticModel.plan(SMALL, "IQ2_XS")).getMessage()
                .contains("Q4_K_M"));
        assertEquals(Set.of(GgmlType.Q8_0, GgmlType.F32), SyntheticModel.plan(SMALL, "q8_0").tensors().stream()
                .map(PlannedTensor::type).collect(Collectors.toSet()));
        assertThrows(IllegalArgumentException.class, () -> SyntheticModel.plan(SMALL, GgmlType.Q4_K));
        Shape unaligned = Shape.custom(48, 1, 4, 2, 96, 300, 64, false, 10000f);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SyntheticModel.plan(unaligned, GgmlType.Q4_0))
                .getMessage().contains("multiples of it"));
        assertEquals(GgmlType.F16, SyntheticModel.plan(unaligned, GgmlType.F16).tensors().getFirst().type());
        assertThrows(IllegalArgumentException.class, () -> Shape.custom(64, 1, 4, 3, 96, 300, 64, false, 1e4f), "kv heads");
        assertThrows(IllegalArgumentException.class, () -> Shape.custom(64, 1, 5, 5, 96, 300, 64, false, 1e4f), "dim / heads");
        assertThrows(IllegalArgumentException.class, () -> Shape.custom(64, 1, 4, 2, 96, 257, 64, false, 1e4f), "vocab");
        assertThrows(IllegalArgumentException.class, () -> Shape.custom(64, 0, 4, 2, 96, 300, 64, false, 1e4f), "layers");
        assertThrows(IllegalArgumentException.class, () -> Shape.custom(64, 1, 4, 2, 96, 300, 64, false, 0f), "rope base");
    }
}
