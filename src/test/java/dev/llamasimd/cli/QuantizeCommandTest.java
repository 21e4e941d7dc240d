package dev.llamasimd.cli;

import static dev.llamasimd.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.cli.Cli.Run;
import dev.llamasimd.io.GgufFile;
import dev.llamasimd.io.GgufMetadata;
import dev.llamasimd.io.GgufWriter;
import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.model.KvCache;
import dev.llamasimd.model.Llama;
import dev.llamasimd.model.ModelLoader;
import dev.llamasimd.model.QuantMix;
import dev.llamasimd.model.State;
import dev.llamasimd.model.SyntheticModel;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Tensor;
import dev.llamasimd.testing.Shared;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code quantize} end to end: the mix, the metadata, the bytes, and what it refuses. */
class QuantizeCommandTest {
    /** Rows of one super-block, 4 layers, GQA 2, untied. */
    private static final SyntheticModel.Shape SHAPE = SyntheticModel.Shape.custom(256, 4, 4, 2, 512, 300, 64, false, 1e4f);

    private static Path f32(Path dir) throws IOException {
        Path in = dir.resolve("in-F32.gguf");
        SyntheticModel.write(SHAPE, GgmlType.F32, 3, in, false, SyntheticModel.Progress.NONE);
        return in;
    }

    private static float[] logits(Path model) {
        try (Llama llama = ModelLoader.load(model, Parallel.serial())) {
            int[] tokens = {298, 'T', 'h', 'e', ' ', 'a'};
            State s = llama.newState(tokens.length, 64, false);
            try (KvCache cache = llama.newCache(64)) {
                llama.forward(s, cache, tokens, 0, tokens.length, 0);
            }
            return Arrays.copyOf(s.logits, llama.config().vocabSize());
        }
    }

    @Test
    void q4KMGivesLlamaCppsMixKeepsTheMetadataAndRuns(@TempDir Path dir) throws IOException {
        Path in = f32(dir);
        Path out = dir.resolve("out-Q4_K_M.gguf");
        Run r = run("quantize", "--in", in.toString(), "--out", out.toString(), "--type", "Q4_K_M", "--threads", "2");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("-> Q6_K") && r.err().contains("wrote " + out), r.err());
        QuantMix mix = QuantMix.of(QuantMix.fileType("Q4_K_M"), false, 4, 4, 2);
        try (GgufFile src = GgufFile.open(in); GgufFile q = GgufFile.open(out)) {
            for (Tensor t : src.tensors().values()) {
                assertEquals(mix.choose(t.name(), t.ne(), t.type(), false).type(), q.tensor(t.name()).type(), t.name());
            }
            assertEquals(GgmlType.Q6_K, q.tensor("output.weight").type());
            assertEquals(GgmlType.Q6_K, q.tensor("blk.2.attn_v.weight").type(), "use_more_bits(2, 4)");
            assertEquals(GgmlType.Q6_K, q.tensor("blk.3.ffn_down.weight").type(), "use_more_bits(3, 4)");
            assertEquals(GgmlType.Q4_K, q.tensor("blk.1.attn_v.weight").type());
            assertEquals(GgmlType.F32, q.tensor("blk.1.ffn_norm.weight").type());
            // llama-quantize's order: tensors outside the blocks first, then block by block, each sorted by name
            List<String> names = new ArrayList<>(q.tensors().keySet());
            assertEquals(List.of("output.weight", "output_norm.weight", "token_embd.weight", "blk.0.attn_k.weight"),
                    names.subList(0, 4));
            GgufMetadata a = src.metadata();
            GgufMetadata b = q.metadata();
            List<String> keys = new ArrayList<>(b.keys());
            assertEquals(List.of("general.quantization_version", "general.file_type"), keys.subList(keys.size() - 2, keys.size()));
            assertEquals(15, b.getInt("general.file_type"));
            assertEquals(2, b.getInt("general.quantization_version"));
            for (String k : a.keys()) {
                if (!k.equals("general.file_type") && !k.equals("general.quantization_version")) {
                    assertEquals(String.valueOf(a.get(k)), String.valueOf(b.get(k)), k);
                }
            }
            assertEquals(32, q.alignment());
        }
        // 4-bit weights move each logit (the quantization error of random weights does not
        // average out), but the logits as a whole must stay those of the same model
        float[] exact = logits(in);
        float[] quantized = logits(out);
        double dot = 0;
        double ee = 0;
        double qq = 0;
        for (int i = 0; i < exact.length; i++) {
            dot += (double) exact[i] * quantized[i];
            ee += (double) exact[i] * exact[i];
            qq += (double) quantized[i] * quantized[i];
        }
        double cosine = dot / Math.sqrt(ee * qq);
        System.out.printf("Q4_K_M vs F32 logits: cosine similarity %.4f%n", cosine);
        assertTrue(cosine > 0.97, "Q4_K_M logits' cosine similarity to F32's: " + cosine);
    }

    @Test
    void rowsThatAreNoSuperBlockFallBackAndSaySo(@TempDir Path dir) throws IOException {
        Path in = dir.resolve("small.gguf");
        SyntheticModel.write(SyntheticModel.Shape.custom(64, 2, 4, 2, 96, 300, 64, false, 1e4f), GgmlType.F16, 1, in,
                false, SyntheticModel.Progress.NONE);
        Path out = dir.resolve("q.gguf");
        Run r = run("quantize", "--in", in.toString(), "--out", out.toString(), "--type", "Q4_K_M");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("warning: tensor 'blk.0.attn_q.weight': rows of 64 are not whole 256-value blocks of Q4_K, falling back to Q5_0"), r.err());
        try (GgufFile q = GgufFile.open(out)) {
            assertEquals(GgmlType.Q5_0, q.tensor("blk.0.attn_q.weight").type());
            assertEquals(GgmlType.Q8_0, q.tensor("output.weight").type());
            assertEquals(GgmlType.Q5_0, q.tensor("blk.1.ffn_up.weight").type());
        }
        logits(out);
    }

    /**
     * The shipped Q8_0 model is llama.cpp's {@code llama-quantize} of the F32 one: our quantize of
     * that F32 file gives the same tensors, byte for byte.
     */
    @Test
    void q8_0OfTinyKjvEqualsLlamaQuantizesFile(@TempDir Path dir) throws IOException {
        Path in = Shared.require("models/tiny-kjv/tiny-kjv-F32.gguf");
        Path out = dir.resolve("kjv-Q8_0.gguf");
        assertEquals(0, run("quantize", "--in", in.toString(), "--out", out.toString(), "--type", "Q8_0").exit());
        try (GgufFile ours = GgufFile.open(out); GgufFile shipped = GgufFile.open(Shared.weights("tiny-kjv-Q8_0.gguf"))) {
            assertEquals(shipped.tensors().keySet(), ours.tensors().keySet());
            for (Tensor t : shipped.tensors().values()) {
                Tensor o = ours.tensor(t.name());
                assertEquals(t.type(), o.type(), t.name());
                assertArrayEquals(t.ne(), o.ne(), t.name());
                long mismatch = t.data().mismatch(o.data());
                assertEquals(-1, mismatch, t.name() + ": first differing byte " + mismatch);
            }
        }
    }

    @Test
    void refusals(@TempDir Path dir) throws IOException {
        Path in = f32(dir);
        Run same = run("quantize", "--in", in.toString(), "--out", in.toString(), "--type", "Q8_0", "--force");
        assertEquals(1, same.exit());
        assertTrue(same.err().contains("is the input file"), same.err());
        Path out = dir.resolve("exists.gguf");
        Files.writeString(out, "precious");
        Run exists = run("quantize", "--in", in.toString(), "--out", out.toString(), "--type", "Q8_0");
        assertEquals(1, exists.exit());
        assertTrue(exists.err().contains("--force"), exists.err());
        assertEquals("precious", Files.readString(out));
        Run type = run("quantize", "--in", in.toString(), "--out", dir.resolve("x.gguf").toString(), "--type", "IQ2_XXS");
        assertEquals(2, type.exit());
        assertTrue(type.err().contains("Q4_K_M"), type.err());

        Path q8 = dir.resolve("q8.gguf");
        assertEquals(0, run("quantize", "--in", in.toString(), "--out", q8.toString(), "--type", "Q8_0").exit());
        Path requant = dir.resolve("requant.gguf");
        Run again = run("quantize", "--in", q8.toString(), "--out", requant.toString(), "--type", "Q4_K_M");
        assertEquals(1, again.exit());
        assertTrue(again.err().contains("--allow-requantize"), again.err());
        assertFalse(Files.exists(requant));
        assertEquals(0, run("quantize", "--in", q8.toString(), "--out", requant.toString(), "--type", "Q4_K_M",
                "--allow-requantize").exit());
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left");
        }
    }

    @Test
    void nonFiniteWeightsAreNamedAndNoFileIsLeft(@TempDir Path dir) throws IOException {
        Path in = dir.resolve("nan.gguf");
        try (GgufWriter w = GgufWriter.create(in)) {
            w.putString("general.architecture", "llama").putUint32("llama.block_count", 1)
                    .putUint32("llama.attention.head_count", 4);
            w.addTensor("blk.0.attn_q.weight", GgmlType.F32, 256, 3);
            float[] v = new float[3 * 256];
            v[256 + 17] = Float.NaN;
            w.writeTensorData("blk.0.attn_q.weight", v);
        }
        Path out = dir.resolve("out.gguf");
        Run r = run("quantize", "--in", in.toString(), "--out", out.toString(), "--type", "Q4_K_M");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("blk.0.attn_q.weight") && r.err().contains("row 1, column 17"), r.err());
        assertFalse(Files.exists(out));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(1, files.count(), "only the input is left");
        }
    }
}
