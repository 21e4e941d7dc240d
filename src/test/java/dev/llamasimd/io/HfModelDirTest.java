package dev.llamasimd.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.io.SafetensorsFixtures.Entry;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Tensor;
import dev.llamasimd.testing.Shared;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfModelDirTest {
    private static final String SHARD1 = "model-00001-of-00002.safetensors";
    private static final String SHARD2 = "model-00002-of-00002.safetensors";

    @TempDir
    Path tmp;

    @Test
    void opensTinyKjv() {
        Path hf = Shared.require("models/tiny-kjv/hf");
        assertTrue(HfModelDir.looksLikeHfDir(hf));
        try (HfModelDir model = HfModelDir.open(hf)) {
            assertEquals(hf, model.dir());
            assertEquals(hf, model.path());
            assertEquals(2048, model.config().getInt("vocab_size"));
            assertEquals("llama", model.config().getString("model_type"));
            assertTrue(model.config().getBoolean("tie_word_embeddings"));
            assertEquals(hf.resolve("config.json"), model.config().file());
            assertTrue(model.tokenizerConfig().getBoolean("add_bos_token"));
            assertEquals("<|endoftext|>", model.tokenizerConfig().getString("eos_token"));
            assertEquals(2047, model.generationConfig().getInt("eos_token_id"));
            assertEquals(1, model.files().size());
            assertEquals(56, model.tensors().size());
            assertNull(model.optionalTensor("lm_head.weight"), "tied: no lm_head");
            Tensor embed = model.tensor("model.embed_tokens.weight");
            assertEquals(GgmlType.F32, embed.type());
            assertArrayEquals(new long[] {192, 2048}, embed.ne());
            assertArrayEquals(new long[] {192, 96}, model.tensor("model.layers.5.self_attn.k_proj.weight").ne());
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> model.tensor("lm_head.weight"));
            assertEquals(hf, e.file());
        }
    }

    @Test
    void oracleDirsHaveNoTokenizerOrGenerationConfig() {
        Path seed = Shared.require("oracles/hf/seed");
        assertTrue(HfModelDir.looksLikeHfDir(seed));
        try (HfModelDir model = HfModelDir.open(seed)) {
            assertNull(model.tokenizerConfig());
            assertNull(model.generationConfig());
            assertFalse(model.config().has("rope_scaling"));
            assertEquals(21, model.tensors().size());
        }
    }

    @Test
    void looksLikeHfDir() throws Exception {
        Path kjv = Shared.require("models/tiny-kjv");
        assertFalse(HfModelDir.looksLikeHfDir(kjv), "no config.json at the top");
        assertFalse(HfModelDir.looksLikeHfDir(kjv.resolve("tiny-kjv-F32.gguf")), "a file");
        assertFalse(HfModelDir.looksLikeHfDir(tmp.resolve("absent")));
        Files.writeString(tmp.resolve("config.json"), "{}");
        assertFalse(HfModelDir.looksLikeHfDir(tmp), "config but no weights");
        Files.writeString(tmp.resolve(HfModelDir.INDEX), "{}");
        assertTrue(HfModelDir.looksLikeHfDir(tmp), "config and an index");
    }

    /** Splits tiny-kjv into two shards plus an index, in a fresh directory. */
    private Path shardedCopy(Path hf, Map<String, String> weightMapOverride) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("sharded"));
        Files.copy(hf.resolve("config.json"), dir.resolve("config.json"));
        Map<String, String> weightMap = new TreeMap<>();
        try (SafetensorsFile single = SafetensorsFile.open(hf.resolve("model.safetensors"))) {
            List<Tensor> all = List.copyOf(single.tensors().values());
            int half = all.size() / 2;
            List<Entry> first = new ArrayList<>();
            List<Entry> second = new ArrayList<>();
            for (int k = 0; k < all.size(); k++) {
                (k < half ? first : second).add(Entry.of(all.get(k)));
                weightMap.put(all.get(k).name(), k < half ? SHARD1 : SHARD2);
            }
            SafetensorsFixtures.write(dir.resolve(SHARD1), Map.of("format", "pt"), first);
            SafetensorsFixtures.write(dir.resolve(SHARD2), Map.of("format", "pt"), second.reversed());
        }
        weightMap.putAll(weightMapOverride);
        weightMap.values().removeIf(String::isEmpty);
        StringJoiner wm = new StringJoiner(",\n    ", "{\n    ", "\n  }");
        weightMap.forEach((k, v) -> wm.add(SafetensorsFixtures.quote(k) + ": " + SafetensorsFixtures.quote(v)));
        Files.writeString(dir.resolve(HfModelDir.INDEX),
                "{\n  \"metadata\": {\"total_size\": 11314688},\n  \"weight_map\": " + wm + "\n}\n");
        return dir;
    }

    @Test
    void shardedDirYieldsTheSameTensors() throws Exception {
        Path hf = Shared.require("models/tiny-kjv/hf");
        Path dir = shardedCopy(hf, Map.of());
        assertTrue(HfModelDir.looksLikeHfDir(dir));
        try (HfModelDir single = HfModelDir.open(hf); HfModelDir sharded = HfModelDir.open(dir)) {
            assertEquals(2, sharded.files().size(), "each shard opened once");
            assertEquals(dir.resolve(SHARD1), sharded.files().get(0).path());
            assertEquals(single.tensors().keySet(), sharded.tensors().keySet());
            for (Tensor a : single.tensors().values()) {
                Tensor b = sharded.tensor(a.name());
                assertEquals(a.type(), b.type(), a.name());
                assertArrayEquals(a.ne(), b.ne(), a.name());
                assertEquals(-1, MemorySegment.mismatch(a.data(), 0, a.data().byteSize(), b.data(), 0,
                        b.data().byteSize()), a.name());
            }
            List<String> order = List.copyOf(sharded.tensors().keySet());
            List<String> expected = new ArrayList<>();
            sharded.files().forEach(f -> expected.addAll(f.tensors().keySet()));
            assertEquals(expected, order, "shard by shard, file order within a shard");
            assertEquals(192, sharded.config().getInt("hidden_size"));
        }
    }

    @Test
    void theIndexDecidesWhichTensorsExist() throws Exception {
        Path hf = Shared.require("models/tiny-kjv/hf");
        Path dir = shardedCopy(hf, Map.of("model.norm.weight", ""));
        try (HfModelDir sharded = HfModelDir.open(dir)) {
            assertEquals(55, sharded.tensors().size());
            assertNull(sharded.optionalTensor("model.norm.weight"));
        }
    }

    @Test
    void tensorMissingFromItsShard() throws Exception {
        Path hf = Shared.require("models/tiny-kjv/hf");
        Path dir = shardedCopy(hf, Map.of("model.extra.weight", SHARD2));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfModelDir.open(dir));
        assertEquals(dir.resolve(HfModelDir.INDEX), e.file());
        assertTrue(e.getMessage().contains("tensor 'model.extra.weight' in shard '" + SHARD2 + "'"), e.getMessage());
    }

    @Test
    void tensorMappedToTheWrongShard() throws Exception {
        Path hf = Shared.require("models/tiny-kjv/hf");
        Path dir = shardedCopy(hf, Map.of("model.embed_tokens.weight", SHARD2));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfModelDir.open(dir));
        assertTrue(e.getMessage().contains("'model.embed_tokens.weight'"), e.getMessage());
    }

    @Test
    void missingOrEscapingShard() throws Exception {
        Path hf = Shared.require("models/tiny-kjv/hf");
        Path dir = shardedCopy(hf, Map.of("model.extra.weight", "model-00003-of-00003.safetensors"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfModelDir.open(dir));
        assertEquals(dir.resolve(HfModelDir.INDEX), e.file());
        assertTrue(e.getMessage().contains("'model-00003-of-00003.safetensors', which does not exist"), e.getMessage());
        for (String name : List.of("../" + SHARD1, "/etc/passwd", "sub/" + SHARD1, "..")) {
            Files.writeString(dir.resolve(HfModelDir.INDEX), "{\"weight_map\": {\"w\": "
                    + SafetensorsFixtures.quote(name) + "}}");
            e = assertThrows(ModelFormatException.class, () -> HfModelDir.open(dir));
            assertTrue(e.getMessage().contains("not a plain file name"), e.getMessage());
        }
    }

    @Test
    void malformedIndex() throws Exception {
        Files.writeString(tmp.resolve("config.json"), "{\"hidden_size\": 8}");
        Path index = tmp.resolve(HfModelDir.INDEX);
        Files.writeString(index, "{\"metadata\": {}}");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfModelDir.open(tmp));
        assertEquals(index, e.file());
        assertTrue(e.getMessage().contains("key 'weight_map' is missing"), e.getMessage());
        Files.writeString(index, "{\"weight_map\": {}}");
        e = assertThrows(ModelFormatException.class, () -> HfModelDir.open(tmp));
        assertTrue(e.getMessage().contains("weight_map is empty"), e.getMessage());
        Files.writeString(index, "{\"weight_map\": {\"w\": 3}}");
        e = assertThrows(ModelFormatException.class, () -> HfModelDir.open(tmp));
        assertTrue(e.getMessage().contains("key 'weight_map.w' must be a string"), e.getMessage());
        Files.writeString(index, "{\"weight_map\": {\"w\": \"x.safetensors\"");
        e = assertThrows(ModelFormatException.class, () -> HfModelDir.open(tmp));
        assertTrue(e.getMessage().contains("invalid JSON"), e.getMessage());
    }

    @Test
    void badShardIsNamed() throws Exception {
        Files.writeString(tmp.resolve("config.json"), "{}");
        SafetensorsFixtures.write(tmp.resolve(SHARD1), Map.of(), List.of(Entry.f32("a", new long[] {1}, 1f)));
        Files.write(tmp.resolve(SHARD2), new byte[] {1, 2, 3});
        Files.writeString(tmp.resolve(HfModelDir.INDEX),
                "{\"weight_map\": {\"a\": \"" + SHARD1 + "\", \"b\": \"" + SHARD2 + "\"}}");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfModelDir.open(tmp));
        assertEquals(tmp.resolve(SHARD2), e.file());
    }

    @Test
    void missingFiles() throws Exception {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfModelDir.open(tmp));
        assertTrue(e.getMessage().contains("no config.json"), e.getMessage());
        Files.writeString(tmp.resolve("config.json"), "{}");
        e = assertThrows(ModelFormatException.class, () -> HfModelDir.open(tmp));
        assertTrue(e.getMessage().contains("neither model.safetensors nor model.safetensors.index.json"), e.getMessage());
        e = assertThrows(ModelFormatException.class, () -> HfModelDir.open(tmp.resolve("config.json")));
        assertTrue(e.getMessage().contains("not a directory"), e.getMessage());
        Files.writeString(tmp.resolve("config.json"), "{\"a\": }");
        e = assertThrows(ModelFormatException.class, () -> HfModelDir.open(tmp));
        assertEquals(tmp.resolve("config.json"), e.file());
    }

    @Test
    void singleFileDirAndClose() throws Exception {
        Files.writeString(tmp.resolve("config.json"), "{\"hidden_size\": 2}");
        Files.writeString(tmp.resolve("generation_config.json"), "{\"eos_token_id\": [1, 2]}");
        SafetensorsFixtures.write(tmp.resolve("model.safetensors"), Map.of(),
                List.of(Entry.f32("w", new long[] {1, 2}, 3f, 4f)));
        HfModelDir model = HfModelDir.open(tmp);
        assertEquals(List.of(1L, 2L), model.generationConfig().getList("eos_token_id"));
        assertNull(model.tokenizerConfig());
        Tensor w = model.tensor("w");
        assertArrayEquals(new long[] {2, 1}, w.ne());
        model.close();
        model.close();
        assertThrows(IllegalStateException.class, () -> w.data().get(ValueLayout.JAVA_BYTE, 0));
    }
}
