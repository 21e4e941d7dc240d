package dev.llamasimd.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.llamasimd.io.GgufFile;
import dev.llamasimd.io.GgufMetadata;
import dev.llamasimd.testing.Shared;
import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The heap-based merging (and SentencePiece's cutting of the text into segments) gives the same tokens as
 * the algorithm read literally: over the whole text, merge the best adjacent pair (highest score, or lowest
 * rank; leftmost on ties) until none is left. O(n²) here, so on short texts only.
 */
class NaiveMergeProperties {
    /** A GGUF vocabulary as plain maps. */
    record Vocab(String name, Tokenizer tokenizer, String[] pieces, float[] scores, Map<String, Integer> ids,
                 Map<String, Integer> ranks) {
        static Vocab read(Path file) {
            try (GgufFile gguf = GgufFile.open(file)) {
                GgufMetadata md = gguf.metadata();
                String[] pieces = md.getStringArray("tokenizer.ggml.tokens");
                Map<String, Integer> ids = new HashMap<>();
                for (int i = 0; i < pieces.length; i++) {
                    ids.put(pieces[i], i);
                }
                Map<String, Integer> ranks = new HashMap<>();
                if (md.has("tokenizer.ggml.merges")) {
                    String[] merges = md.getStringArray("tokenizer.ggml.merges");
                    for (int r = 0; r < merges.length; r++) {
                        ranks.putIfAbsent(merges[r], r);
                    }
                }
                float[] scores = md.has("tokenizer.ggml.scores") ? md.getFloatArray("tokenizer.ggml.scores") : null;
                return new Vocab(file.getFileName().toString(), Tokenizers.load(gguf), pieces, scores, ids, ranks);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static final List<Vocab> SPM = new ArrayList<>();
    private static final List<Vocab> BYTE_LEVEL = new ArrayList<>();

    static {
        SPM.add(Vocab.read(TestVocabs.spmFile("naive-spm.gguf", w -> { })));
        BYTE_LEVEL.add(Vocab.read(TestVocabs.byteLevelFile("naive-bpe.gguf", "gpt-2", w -> { })));
        Shared.find("tokenizers/ggml-vocab-llama-spm.gguf").ifPresent(p -> SPM.add(Vocab.read(p)));
        Shared.find("tokenizers/ggml-vocab-gpt-2.gguf").ifPresent(p -> BYTE_LEVEL.add(Vocab.read(p)));
    }

    @Property(tries = 300)
    void sentencePieceMatchesNaiveMerging(@ForAll("spm") Vocab v, @ForAll("words") String text) {
        List<String> symbols = new ArrayList<>();
        if (!text.isEmpty()) {
            ("▁" + text.replace(' ', '▁')).codePoints().forEach(cp -> symbols.add(Character.toString(cp)));
        }
        while (true) {
            int best = -1;
            float bestScore = 0;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                Integer id = v.ids().get(symbols.get(i) + symbols.get(i + 1));
                if (id != null && (best < 0 || v.scores()[id] > bestScore)) {
                    best = i;
                    bestScore = v.scores()[id];
                }
            }
            if (best < 0) {
                break;
            }
            symbols.set(best, symbols.get(best) + symbols.remove(best + 1));
        }
        IntArrayList expected = new IntArrayList();
        for (String s : symbols) {
            Integer id = v.ids().get(s);
            if (id != null) {
                expected.add(id);
            } else {
                for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
                    expected.add(v.ids().get(String.format("<0x%02X>", b & 0xff)));
                }
            }
        }
        assertArrayEquals(expected.toIntArray(), v.tokenizer().encode(text, false, false));
    }

    @Property(tries = 300)
    void byteLevelMatchesNaiveMerging(@ForAll("byteLevel") Vocab v, @ForAll("words") String text) {
        IntArrayList expected = new IntArrayList();
        IntArrayList bounds = new IntArrayList();
        PreTokenizer.of("gpt-2", List.of(PreTokenizer.GPT2)).split(text, 0, text.length(), bounds);
        for (int k = 0; k < bounds.size(); k += 2) {
            List<String> symbols = new ArrayList<>();
            for (byte b : text.substring(bounds.getInt(k), bounds.getInt(k + 1)).getBytes(StandardCharsets.UTF_8)) {
                symbols.add(String.valueOf(ByteLevel.charOf(b)));
            }
            while (true) {
                int best = -1;
                int bestRank = Integer.MAX_VALUE;
                for (int i = 0; i + 1 < symbols.size(); i++) {
                    Integer rank = v.ranks().get(symbols.get(i) + " " + symbols.get(i + 1));
                    if (rank != null && rank < bestRank) {
                        best = i;
                        bestRank = rank;
                    }
                }
                if (best < 0) {
                    break;
                }
                symbols.set(best, symbols.get(best) + symbols.remove(best + 1));
            }
            symbols.forEach(s -> expected.add(v.ids().get(s)));
        }
        assertArrayEquals(expected.toIntArray(), v.tokenizer().encode(text, false, false));
    }

    @Provide
    Arbitrary<Vocab> spm() {
        return Arbitraries.of(SPM);
    }

    @Provide
    Arbitrary<Vocab> byteLevel() {
        return Arbitraries.of(BYTE_LEVEL);
    }

    /** Short texts of words, spaces and a few non-ASCII characters. */
    @Provide
    Arbitrary<String> words() {
        Arbitrary<String> word = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Arbitraries.strings().withChars("aehinorst'").ofMinLength(1).ofMaxLength(9)),
                net.jqwik.api.Tuple.of(1, Arbitraries.strings().withChars("éü日本ж😀\t\n").ofMinLength(1).ofMaxLength(3)),
                net.jqwik.api.Tuple.of(1, Arbitraries.strings().withChars(' ').ofMinLength(1).ofMaxLength(5)));
        return word.list().ofMaxSize(8).map(w -> String.join(" ", w));
    }
}
