package dev.llamasimd.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Tensor;
import dev.llamasimd.testing.Shared;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Reads real GGUF files: stories260K ships with the tests, the llama.cpp Q8_0 file is in {@code ../shared}. */
class GgufRealFilesTest {
    @TempDir
    Path dir;

    @Test
    void stories260K() throws IOException {
        Path file = Shared.require("oracles/llama2c/stories260K-F32.gguf");
        try (GgufFile g = GgufFile.open(file)) {
            assertEquals(3, g.version());
            assertEquals(47, g.tensors().size());
            assertEquals(23, g.metadata().size());
            assertEquals(1_055_136, g.fileSize());
            assertEquals(32, g.alignment());
            assertEquals(15_008, g.dataOffset());
            GgufMetadata m = g.metadata();
            assertEquals("llama", m.getString("general.architecture"));
            assertEquals("stories260K", m.getString("general.name"));
            assertEquals(64, m.getInt("llama.embedding_length"));
            assertEquals(GgufValueType.UINT32, m.valueType("llama.embedding_length"));
            assertEquals(5, m.getInt("llama.block_count"));
            assertEquals(172, m.getInt("llama.feed_forward_length"));
            assertEquals(4, m.getInt("llama.attention.head_count_kv"));
            assertEquals(1e-5f, m.getFloat("llama.attention.layer_norm_rms_epsilon"));
            assertEquals(10000f, m.getFloat("llama.rope.freq_base"));
            assertTrue(m.getBoolean("tokenizer.ggml.add_bos_token"));
            assertFalse(m.getBoolean("tokenizer.ggml.add_eos_token"));
            String[] tokens = m.getStringArray("tokenizer.ggml.tokens");
            assertEquals(512, tokens.length);
            assertEquals(List.of("<unk>", "<s>", "</s>", "<0x00>"), List.of(tokens).subList(0, 4));
            assertEquals("tok511", tokens[511]);
            assertEquals(512, m.getFloatArray("tokenizer.ggml.scores").length);
            int[] types = m.getIntArray("tokenizer.ggml.token_type");
            assertArrayEquals(new int[] {2, 3, 3, 6}, java.util.Arrays.copyOf(types, 4));
            assertEquals(1, types[511]);

            Tensor embd = g.tensor("token_embd.weight");
            assertEquals(GgmlType.F32, embd.type());
            assertArrayEquals(new long[] {64, 512}, embd.ne());
            assertEquals(List.of("token_embd.weight", "blk.0.attn_norm.weight"), List.copyOf(g.tensors().keySet()).subList(0, 2));
            assertEquals("output_norm.weight", g.tensors().lastEntry().getKey());
            assertArrayEquals(new long[] {172, 64}, g.tensor("blk.0.ffn_down.weight").ne());

            // The same weights as the llama2.c checkpoint, whose embedding table follows a 28-byte header.
            Path bin = file.resolveSibling("stories260K.bin");
            if (Files.isRegularFile(bin)) {
                byte[] ref = Files.readAllBytes(bin);
                assertEquals(-1, embd.data().mismatch(MemorySegment.ofArray(ref).asSlice(28, embd.data().byteSize())));
            }
        }
    }

    @Test
    void llamaCppQ8_0() throws IOException {
        Path file = Shared.require("oracles/llamacpp/tiny-llama-spm-d64-Q8_0.gguf");
        try (GgufFile g = GgufFile.open(file)) {
            assertEquals(3, g.version());
            GgufMetadata m = g.metadata();
            assertEquals(32000, m.getInt("llama.vocab_size"));
            String[] tokens = m.getStringArray("tokenizer.ggml.tokens");
            assertEquals(32000, tokens.length);
            assertEquals("<unk>", tokens[0]);
            assertEquals(32000, m.getFloatArray("tokenizer.ggml.scores").length);
            assertEquals(32000, m.getIntArray("tokenizer.ggml.token_type").length);
            assertEquals(7, m.getInt("general.file_type"));
            Tensor out = g.tensor("output.weight");
            assertEquals(GgmlType.Q8_0, out.type());
            assertArrayEquals(new long[] {64, 32000}, out.ne());
            assertEquals(GgmlType.F32, g.tensor("output_norm.weight").type());
            assertEquals(GgmlType.Q8_0, g.tensor("token_embd.weight").type());
            for (Tensor t : g.tensors().values()) {
                assertEquals(0, t.data().address() % g.alignment(), t.name());
            }
        }
    }

    /** Copying metadata and tensors through the writer reproduces the llama.cpp-written files byte for byte. */
    @ParameterizedTest
    @ValueSource(strings = {"oracles/llama2c/stories260K-F32.gguf", "oracles/llamacpp/tiny-llama-spm-d64-Q8_0.gguf"})
    void rewritingReproducesTheFile(String name) throws IOException {
        Path file = Shared.require(name);
        Path copy = dir.resolve(file.getFileName());
        try (GgufFile g = GgufFile.open(file); GgufWriter w = GgufWriter.create(copy)) {
            w.putAll(g.metadata());
            for (Tensor t : g.tensors().values()) {
                w.addTensor(t.name(), t.type(), t.ne());
            }
            for (Tensor t : g.tensors().values()) {
                w.writeTensorData(t.name(), t.data());
            }
        }
        assertEquals(-1, Files.mismatch(file, copy), name);
    }
}
