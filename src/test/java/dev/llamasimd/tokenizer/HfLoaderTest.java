package dev.llamasimd.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a Hugging Face directory contributes besides the BPE model: BOS/EOS from the post-processor or
 * tokenizer_config.json, end-of-generation ids from config.json and generation_config.json, padding to
 * config.json's vocab_size, the chat template from either place, Unicode normalization, Digits.
 */
class HfLoaderTest {

    /** A byte-level tokenizer.json (ids = byte values, then the added tokens) with these extra keys. */
    private static Path dir(Path parent, String name, Map<String, Object> extra, List<String> added) throws Exception {
        Map<String, Object> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(ByteLevel.charOf(b)), b);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("added_tokens", added.stream().map(t -> Map.of("id", 256 + added.indexOf(t), "content", t, "special", true))
                .toList());
        root.put("pre_tokenizer", Map.of("type", "ByteLevel", "add_prefix_space", false, "use_regex", true));
        root.put("model", Map.of("type", "BPE", "vocab", vocab, "merges", List.of()));
        root.putAll(extra);
        Path d = Files.createDirectories(parent.resolve(name));
        Files.writeString(d.resolve("tokenizer.json"), HfJson.write(root));
        return d;
    }

    @Test
    void bosFromThePostProcessorAndEndOfGenerationFromTheConfigs(@TempDir Path parent) throws Exception {
        Path d = dir(parent, "llama3", Map.of("post_processor", Map.of("type", "Sequence", "processors", List.of(
                Map.of("type", "ByteLevel"),
                Map.of("type", "TemplateProcessing", "single", List.of(
                        Map.of("SpecialToken", Map.of("id", "<|begin_of_text|>", "type_id", 0)),
                        Map.of("Sequence", Map.of("id", "A", "type_id", 0))))))),
                List.of("<|begin_of_text|>", "<|end_of_text|>", "<|eom_id|>", "<|my_end|>"));
        Files.writeString(d.resolve("config.json"), HfJson.write(Map.of("vocab_size", 300, "eos_token_id", 257)));
        Files.writeString(d.resolve("generation_config.json"), HfJson.write(Map.of("eos_token_id", List.of(257, 259))));
        Tokenizer t = Tokenizers.load(d);
        assertEquals(300, t.vocabSize(), "padded to config.json's vocab_size");
        assertEquals("[PAD299]", t.piece(299));
        assertEquals(256, t.bos());
        assertEquals(257, t.eos());
        assertTrue(t.addsBos());
        assertArrayEquals(new int[] {256, 'h', 'i'}, t.encode("hi", true, false));
        assertTrue(t.isEndOfGeneration(257));
        assertTrue(t.isEndOfGeneration(258), "<|eom_id|> by its text");
        assertTrue(t.isEndOfGeneration(259), "generation_config.json");
        assertFalse(t.isEndOfGeneration(256));
        assertNull(t.chatTemplate());
    }

    @Test
    void tokenizerConfigOverridesAndNamesTheChatTemplate(@TempDir Path parent) throws Exception {
        Path d = dir(parent, "config", Map.of(), List.of("<s>", "</s>"));
        Files.writeString(d.resolve("tokenizer_config.json"), HfJson.write(Map.of("add_bos_token", true,
                "bos_token", Map.of("content", "<s>", "lstrip", false), "eos_token", "</s>",
                "chat_template", List.of(Map.of("name", "tool_use", "template", "T"), Map.of("name", "default", "template", "D")))));
        Tokenizer t = Tokenizers.load(d);
        assertEquals(256, t.bos());
        assertEquals(257, t.eos());
        assertEquals(256, t.encode("x", true, false)[0]);
        assertEquals("D", t.chatTemplate());
        Files.writeString(d.resolve("chat_template.jinja"), "{{ messages }}");
        assertEquals("{{ messages }}", Tokenizers.load(d).chatTemplate());
    }

    @Test
    void normalizationAndDigits(@TempDir Path parent) throws Exception {
        Path d = dir(parent, "nfc", Map.of("normalizer", Map.of("type", "NFC"), "pre_tokenizer", Map.of("type", "Sequence",
                "pretokenizers", List.of(Map.of("type", "Digits", "individual_digits", true),
                        Map.of("type", "ByteLevel", "add_prefix_space", false, "use_regex", false)))), List.of());
        Tokenizer t = Tokenizers.load(d);
        assertEquals("\u00e9", t.decode(t.encode("e\u0301", false, false), false), "NFC composes é");
        assertArrayEquals(new int[] {'1', '2'}, t.encode("12", false, false));
    }
}
