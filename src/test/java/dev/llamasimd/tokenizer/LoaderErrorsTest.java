package dev.llamasimd.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.io.ModelFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Missing, malformed and unsupported tokenizers give errors that name the file and the key at fault. */
class LoaderErrorsTest {

    private static void assertMessage(Executable load, String... parts) {
        RuntimeException e = assertThrows(RuntimeException.class, load);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), () -> "'" + part + "' is not in: " + e.getMessage());
        }
    }

    @Test
    void unknownPreTokenizerListsTheKnownOnes() {
        Path file = TestVocabs.byteLevelFile("bpe-unknown-pre.gguf", "no-such-pre", w -> { });
        assertMessage(() -> Tokenizers.load(file), file.toString(), "tokenizer.ggml.pre", "'no-such-pre'",
                "known: default, gpt-2", "llama-bpe", "qwen2", "deepseek-llm", "deepseek-coder", "falcon", "starcoder",
                "refact", "smollm", "mpt", "gpt-neox");
        assertTrue(Tokenizers.knownPreTokenizers().containsAll(List.of("default", "gpt-2", "llama-bpe", "qwen2")));
    }

    @Test
    void missingPreTokenizerMeansDefault() {
        Tokenizer t = Tokenizers.load(TestVocabs.byteLevelFile("bpe-no-pre.gguf", null, w -> { }));
        assertEquals("a1234!", t.decode(t.encode("a1234!", false, false), false));
    }

    @Test
    void unsupportedModelType() {
        Path file = TestVocabs.write("bert.gguf", w -> w.putString("tokenizer.ggml.model", "bert")
                .putStringArray("tokenizer.ggml.tokens", "a"));
        assertMessage(() -> Tokenizers.load(file), file.toString(), "tokenizer.ggml.model", "'bert'", "supported: llama");
    }

    @Test
    void missingKeys() {
        Path noModel = TestVocabs.write("no-model.gguf", w -> w.putString("general.name", "x"));
        assertMessage(() -> Tokenizers.load(noModel), noModel.toString(), "tokenizer.ggml.model");
        Path noTokens = TestVocabs.write("no-tokens.gguf", w -> w.putString("tokenizer.ggml.model", "llama"));
        assertMessage(() -> Tokenizers.load(noTokens), noTokens.toString(), "tokenizer.ggml.tokens");
        Path noMerges = TestVocabs.write("no-merges.gguf", w -> w.putString("tokenizer.ggml.model", "gpt2")
                .putString("tokenizer.ggml.pre", "gpt-2").putStringArray("tokenizer.ggml.tokens", "a", "b"));
        assertMessage(() -> Tokenizers.load(noMerges), noMerges.toString(), "tokenizer.ggml.merges");
    }

    @Test
    void shortOrDuplicateArrays() {
        Path shortTypes = TestVocabs.write("short-types.gguf", w -> w.putString("tokenizer.ggml.model", "llama")
                .putStringArray("tokenizer.ggml.tokens", "a", "b", "c").putIntArray("tokenizer.ggml.token_type", 1, 1));
        assertMessage(() -> Tokenizers.load(shortTypes), "tokenizer.ggml.token_type", "2 entries for 3 tokens");
        Path shortScores = TestVocabs.write("short-scores.gguf", w -> w.putString("tokenizer.ggml.model", "llama")
                .putStringArray("tokenizer.ggml.tokens", "a", "b", "c").putFloatArray("tokenizer.ggml.scores", 0f));
        assertMessage(() -> Tokenizers.load(shortScores), "tokenizer.ggml.scores", "1 entries for 3 tokens");
        Path duplicate = TestVocabs.write("duplicate.gguf", w -> w.putString("tokenizer.ggml.model", "llama")
                .putStringArray("tokenizer.ggml.tokens", "a", "b", "a"));
        assertMessage(() -> Tokenizers.load(duplicate), duplicate.toString(), "duplicate token 'a': ids 0 and 2");
    }

    @Test
    void missingOrForeignFiles(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("nope.gguf");
        assertMessage(() -> Tokenizers.load(missing), missing.toString(), "no such file");
        Path garbage = Files.write(dir.resolve("garbage.gguf"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        assertMessage(() -> Tokenizers.load(garbage), garbage.toString());
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertMessage(() -> Tokenizers.load(empty), empty.toString(), "no tokenizer.json");
    }

    private static Path hf(Path dir, String name, Map<String, Object> model, Object normalizer, Object pre) throws Exception {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("normalizer", normalizer);
        root.put("pre_tokenizer", pre);
        root.put("model", model);
        Path d = Files.createDirectories(dir.resolve(name));
        Files.writeString(d.resolve("tokenizer.json"), HfJson.write(root));
        return d;
    }

    private static final Map<String, Object> BYTE_LEVEL = Map.of("type", "ByteLevel", "add_prefix_space", false);

    @Test
    void unsupportedHuggingFaceTokenizers(@TempDir Path dir) throws Exception {
        Map<String, Object> bpe = Map.of("type", "BPE", "vocab", Map.of("a", 0, "b", 1), "merges", List.of("a b"));
        Path unigram = hf(dir, "unigram", Map.of("type", "Unigram", "vocab", List.of()), null, null);
        assertMessage(() -> Tokenizers.load(unigram), "tokenizer.json", "model.type", "'Unigram'", "supported: BPE");
        Path lowercase = hf(dir, "lowercase", bpe, Map.of("type", "Lowercase"), BYTE_LEVEL);
        assertMessage(() -> Tokenizers.load(lowercase), "tokenizer.json", "normalizer", "'Lowercase'", "supported:");
        Path removed = hf(dir, "removed", bpe, null, Map.of("type", "Sequence", "pretokenizers", List.of(
                Map.of("type", "Split", "pattern", Map.of("Regex", "\\s+"), "behavior", "Removed", "invert", false),
                BYTE_LEVEL)));
        assertMessage(() -> Tokenizers.load(removed), "pre_tokenizer", "'Removed'");
        Path whitespace = hf(dir, "whitespace", bpe, null, Map.of("type", "Whitespace"));
        assertMessage(() -> Tokenizers.load(whitespace), "pre_tokenizer", "'Whitespace'");
        Path neither = hf(dir, "neither", bpe, null, null);
        assertMessage(() -> Tokenizers.load(neither), "tokenizer.json", "neither ByteLevel nor Metaspace");
        Path badMerge = hf(dir, "bad-merge", Map.of("type", "BPE", "vocab", Map.of("a", 0), "merges", List.of(7)), null, BYTE_LEVEL);
        assertMessage(() -> Tokenizers.load(badMerge), "model.merges[0]");
        Path badRegex = hf(dir, "bad-regex", bpe, null, Map.of("type", "Split", "pattern", Map.of("Regex", "("),
                "behavior", "Isolated", "invert", false));
        assertMessage(() -> Tokenizers.load(badRegex), "pre_tokenizer", "cannot compile");
    }

    /**
     * A tokenizer.json's own expression that backtracks without end ({@code (.*a){12}$} on 30 a's
     * and a '!': about 30^12 / 12! steps, 19 s unchecked) is stopped when it has read too much, with an error naming the file, key and
     * expression, instead of hanging the thread that encodes; on text it matches at once it works.
     */
    @Test
    void aBacktrackingExpressionIsStoppedInsteadOfHanging(@TempDir Path dir) throws Exception {
        Map<String, Object> bpe = Map.of("type", "BPE", "vocab", Map.of("a", 0, "b", 1, "ab", 2), "merges", List.of("a b"));
        Path d = hf(dir, "backtracking", bpe, null, Map.of("type", "Sequence", "pretokenizers", List.of(
                Map.of("type", "Split", "pattern", Map.of("Regex", "(.*a){12}$"), "behavior", "Isolated", "invert", false),
                Map.of("type", "ByteLevel", "add_prefix_space", false, "use_regex", false))));
        Tokenizer tokenizer = Tokenizers.load(d);
        assertArrayEquals(new int[] {2, 0, 0}, tokenizer.encode("abaa", false, false), "no match: one piece");
        String hostile = "a".repeat(30) + "!";
        ModelFormatException e = assertTimeoutPreemptively(Duration.ofMinutes(2),
                () -> assertThrows(ModelFormatException.class, () -> tokenizer.encode(hostile, false, false)));
        for (String part : List.of(d.resolve("tokenizer.json").toString(), "pre_tokenizer", "(.*a){12}$", "31 characters")) {
            assertTrue(e.getMessage().contains(part), () -> "'" + part + "' is not in: " + e.getMessage());
        }
    }

    /** Were an OutOfMemoryError (an id or vocab_size of 2e9), an ArrayIndexOutOfBoundsException (id 2^31-1), and a BOS id outside the vocabulary. */
    @Test
    void huggingFaceIdsFarBeyondTheVocabulary(@TempDir Path dir) throws Exception {
        Map<String, Object> merges = Map.of("type", "BPE", "merges", List.of("a b"));
        for (int id : new int[] {2_000_000_000, Integer.MAX_VALUE}) {
            Map<String, Object> model = new LinkedHashMap<>(merges);
            model.put("vocab", Map.of("a", 0, "b", 1, "big", id));
            Path d = hf(dir, "id-" + id, model, null, BYTE_LEVEL);
            assertMessage(() -> Tokenizers.load(d), "tokenizer.json", "model.vocab.big", "is " + id, "only 3 tokens are named");
        }
        Map<String, Object> model = new LinkedHashMap<>(merges);
        model.put("vocab", Map.of("a", 0, "b", 1));
        Path big = hf(dir, "vocab-size", model, null, BYTE_LEVEL);
        Files.writeString(big.resolve("config.json"), "{\"vocab_size\": 2000000000}");
        assertMessage(() -> Tokenizers.load(big), "config.json", "'vocab_size' is 2000000000", "only 2 tokens are named");
        Path bos = hf(dir, "bos", model, null, BYTE_LEVEL);
        Files.writeString(bos.resolve("config.json"), "{\"bos_token_id\": 99999}");
        Files.writeString(bos.resolve("tokenizer_config.json"), "{\"add_bos_token\": true}");
        assertMessage(() -> Tokenizers.load(bos), "tokenizer.json", "BOS is to be added but no BOS token is named");
    }

    @Test
    void huggingFaceMergesAsPairs(@TempDir Path dir) throws Exception {
        Map<String, Object> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(ByteLevel.charOf(b)), b);
        }
        vocab.put("ab", 256);
        Path d = hf(dir, "pairs", Map.of("type", "BPE", "vocab", vocab, "merges", List.of(List.of("a", "b"))), null, BYTE_LEVEL);
        assertEquals(List.of(256, (int) 'c'), java.util.Arrays.stream(Tokenizers.load(d).encode("abc", false, false)).boxed().toList());
    }
}
