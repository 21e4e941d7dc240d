package dev.llamasimd.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.io.GgufFile;
import dev.llamasimd.io.GgufMetadata;
import dev.llamasimd.testing.Shared;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Hugging Face form of Llama 2's tokenizer (a BPE model with byte fallback over ▁-escaped text), rebuilt
 * from ../shared/tokenizers/ggml-vocab-llama-spm.gguf with merges made as transformers' SentencePiece
 * converter makes them (every split of a piece into two pieces, ordered by the piece's score), gives
 * llama.cpp's ids on its test vectors: the legacy {@code Prepend}/{@code Replace} normalizer exactly, and the
 * newer {@code Metaspace} pre-tokenizer wherever the two agree (text that does not start with a space).
 */
class HfSentencePieceTest {
    @TempDir
    static Path dir;

    private static String[] pieces;
    private static float[] scores;
    private static List<String> merges;

    @BeforeAll
    static void readVocab() throws IOException {
        try (GgufFile gguf = GgufFile.open(Shared.require("tokenizers/ggml-vocab-llama-spm.gguf"))) {
            GgufMetadata md = gguf.metadata();
            pieces = md.getStringArray("tokenizer.ggml.tokens");
            scores = md.getFloatArray("tokenizer.ggml.scores");
        }
        Map<String, Integer> ids = new LinkedHashMap<>();
        for (int id = 0; id < pieces.length; id++) {
            ids.put(pieces[id], id);
        }
        record Merge(String left, String right, int merged) {}
        List<Merge> all = new ArrayList<>();
        for (int id = 259; id < pieces.length; id++) {
            String piece = pieces[id];
            List<Merge> local = new ArrayList<>();
            for (int cut = piece.offsetByCodePoints(0, 1); cut < piece.length(); cut = piece.offsetByCodePoints(cut, 1)) {
                String left = piece.substring(0, cut);
                String right = piece.substring(cut);
                if (ids.containsKey(left) && ids.containsKey(right)) {
                    local.add(new Merge(left, right, id));
                }
            }
            local.sort(Comparator.comparingInt((Merge m) -> ids.get(m.left())).thenComparingInt(m -> ids.get(m.right())));
            all.addAll(local);
        }
        all.sort(Comparator.comparingDouble((Merge m) -> -scores[m.merged()]));
        merges = all.stream().map(m -> m.left() + " " + m.right()).toList();
    }

    private static Path write(String name, Object normalizer, Object preTokenizer) throws IOException {
        Map<String, Object> vocab = new LinkedHashMap<>();
        for (int id = 0; id < pieces.length; id++) {
            vocab.put(pieces[id], id);
        }
        List<Object> added = new ArrayList<>();
        for (int id = 0; id < 3; id++) {
            added.add(Map.of("id", id, "content", pieces[id], "special", true, "lstrip", false, "rstrip", false));
        }
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("unk_token", "<unk>");
        model.put("fuse_unk", true);
        model.put("byte_fallback", true);
        model.put("vocab", vocab);
        model.put("merges", merges);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("added_tokens", added);
        root.put("normalizer", normalizer);
        root.put("pre_tokenizer", preTokenizer);
        root.put("post_processor", Map.of("type", "TemplateProcessing",
                "single", List.of(Map.of("SpecialToken", Map.of("id", "<s>", "type_id", 0)),
                        Map.of("Sequence", Map.of("id", "A", "type_id", 0)))));
        root.put("model", model);
        Path hf = Files.createDirectories(dir.resolve(name));
        Files.writeString(hf.resolve("tokenizer.json"), HfJson.write(root));
        Files.writeString(hf.resolve("tokenizer_config.json"),
                HfJson.write(Map.of("add_bos_token", true, "bos_token", "<s>", "eos_token", "</s>")));
        return hf;
    }

    private static Tokenizer legacy() throws IOException {
        return Tokenizers.load(write("legacy", Map.of("type", "Sequence", "normalizers", List.of(
                Map.of("type", "Prepend", "prepend", "▁"),
                Map.of("type", "Replace", "pattern", Map.of("String", " "), "content", "▁"))), null));
    }

    private static Tokenizer metaspace() throws IOException {
        return Tokenizers.load(write("metaspace", null,
                Map.of("type", "Metaspace", "replacement", "▁", "prepend_scheme", "first", "split", false)));
    }

    @TestFactory
    Stream<DynamicTest> legacyNormalizerGivesLlamaCppIds() throws IOException {
        return vectors(legacy(), false);
    }

    @TestFactory
    Stream<DynamicTest> metaspaceGivesLlamaCppIdsForTextNotStartingWithASpace() throws IOException {
        return vectors(metaspace(), true);
    }

    private static Stream<DynamicTest> vectors(Tokenizer hf, boolean skipLeadingSpace) throws IOException {
        List<String> texts = LlamaCppVectorsTest.inputs(Shared.require("tokenizers/ggml-vocab-llama-spm.gguf.inp"));
        List<int[]> expected = LlamaCppVectorsTest.outputs(Shared.require("tokenizers/ggml-vocab-llama-spm.gguf.out"));
        return IntStream.range(0, texts.size())
                .filter(i -> !(skipLeadingSpace && texts.get(i).startsWith(" ")))
                .mapToObj(i -> DynamicTest.dynamicTest("#" + i + " " + Quote.of(texts.get(i)), () -> {
                    int[] ids = hf.encode(texts.get(i), false, false);
                    assertArrayEquals(expected.get(i), ids, () -> Arrays.toString(ids));
                }));
    }

    @Test
    void specialTokensAndPrefixRules() throws IOException {
        Tokenizer legacy = legacy();
        Tokenizer metaspace = metaspace();
        assertArrayEquals(new int[] {1, 15043, 3186}, legacy.encode("Hello world", true, false));
        assertEquals(1, legacy.bos());
        assertEquals(2, legacy.eos());
        assertTrue(legacy.isEndOfGeneration(2));
        assertTrue(legacy.addsSpacePrefix());
        assertEquals("<0x0A>", legacy.piece(13));
        assertEquals("\n", legacy.decode(new int[] {13}, false));
        // Prepend puts ▁ before the text after a special token too; Metaspace "first" only at the start.
        assertArrayEquals(new int[] {1, 15043}, legacy.encode("<s>Hello", false, true));
        assertArrayEquals(new int[] {1, 10994}, metaspace.encode("<s>Hello", false, true));
        // Metaspace does not add ▁ before text that starts with a space.
        assertArrayEquals(new int[] {15043}, metaspace.encode(" Hello", false, false));
    }
}
