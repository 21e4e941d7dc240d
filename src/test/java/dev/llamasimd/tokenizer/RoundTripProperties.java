package dev.llamasimd.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.testing.Shared;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * {@code decode(encode(s)) == s} for arbitrary Unicode text, and the streaming decoder gives exactly
 * {@code decode} wherever the stream is cut: on the small test vocabularies always, and on llama.cpp's
 * vocabularies in ../shared/tokenizers when they are there.
 */
class RoundTripProperties {
    private static final List<Tokenizer> SENTENCE_PIECE = new ArrayList<>();
    private static final List<Tokenizer> BYTE_LEVEL = new ArrayList<>();

    static {
        SENTENCE_PIECE.add(TestVocabs.spm());
        BYTE_LEVEL.add(TestVocabs.byteLevel("gpt-2"));
        BYTE_LEVEL.add(TestVocabs.byteLevel("llama-bpe"));
        BYTE_LEVEL.add(TestVocabs.byteLevel("qwen2"));
        addIfShared(SENTENCE_PIECE, "llama-spm");
        addIfShared(BYTE_LEVEL, "gpt-2");
        addIfShared(BYTE_LEVEL, "llama-bpe");
        addIfShared(BYTE_LEVEL, "qwen2");
    }

    private static void addIfShared(List<Tokenizer> list, String vocab) {
        String file = "tokenizers/ggml-vocab-" + vocab + ".gguf";
        Shared.find(file).ifPresentOrElse(p -> list.add(Tokenizers.load(p)),
                () -> System.out.println("RoundTripProperties runs without " + file + ": it is absent"));
    }

    /**
     * Without U+2581 (which decodes as a space) and without user-defined token text (which is a token even
     * without parseSpecial, and llama.cpp puts the dummy-prefix space before the text after every token).
     */
    @Property(tries = 400)
    void sentencePieceDecodesWhatItEncodes(@ForAll("sentencePiece") Tokenizer t, @ForAll("text") String s) {
        String text = s.replace(SentencePieceBpe.SPACE, ' ');
        while (text.contains(TestVocabs.USER)) {
            text = text.replace(TestVocabs.USER, "");
        }
        assertEquals(text, t.decode(t.encode(text, false, false), false));
    }

    @Property(tries = 400)
    void byteLevelDecodesWhatItEncodes(@ForAll("byteLevel") Tokenizer t, @ForAll("text") String s) {
        assertEquals(s, t.decode(t.encode(s, false, false), false));
    }

    @Property(tries = 400)
    void streamingGivesDecodeOfEveryPrefix(@ForAll("any") Tokenizer t, @ForAll("text") String s,
                                           @ForAll boolean showSpecial) {
        checkStreaming(t, t.encode(s, true, true), showSpecial);
    }

    @Property(tries = 400)
    void streamingGivesDecodeOfEveryPrefixOfRandomIds(@ForAll("any") Tokenizer t,
                                                      @ForAll("fractions") List<Double> picks,
                                                      @ForAll boolean showSpecial) {
        int[] ids = picks.stream().mapToInt(p -> (int) (p * t.vocabSize())).toArray();
        checkStreaming(t, ids, showSpecial);
    }

    /**
     * After each token the text streamed so far is a prefix of the whole decode, and flushing there gives
     * the decode of the tokens so far.
     */
    private static void checkStreaming(Tokenizer t, int[] ids, boolean showSpecial) {
        String whole = t.decode(ids, showSpecial);
        StreamingDecoder stream = t.streamingDecoder(showSpecial);
        StringBuilder streamed = new StringBuilder();
        for (int k = 0; k < ids.length; k++) {
            streamed.append(stream.push(ids[k]));
            assertTrue(whole.startsWith(streamed.toString()), () -> "streamed " + Quote.of(streamed.toString())
                    + " is not a prefix of " + Quote.of(whole));
            StreamingDecoder upToHere = t.streamingDecoder(showSpecial);
            StringBuilder prefix = new StringBuilder();
            for (int i = 0; i <= k; i++) {
                prefix.append(upToHere.push(ids[i]));
            }
            prefix.append(upToHere.flush());
            assertEquals(t.decode(java.util.Arrays.copyOf(ids, k + 1), showSpecial), prefix.toString());
        }
        streamed.append(stream.flush());
        assertEquals(whole, streamed.toString());
    }

    @Provide
    Arbitrary<Tokenizer> sentencePiece() {
        return Arbitraries.of(SENTENCE_PIECE);
    }

    @Provide
    Arbitrary<Tokenizer> byteLevel() {
        return Arbitraries.of(BYTE_LEVEL);
    }

    @Provide
    Arbitrary<Tokenizer> any() {
        List<Tokenizer> all = new ArrayList<>(SENTENCE_PIECE);
        all.addAll(BYTE_LEVEL);
        return Arbitraries.of(all);
    }

    @Provide
    Arbitrary<List<Double>> fractions() {
        return Arbitraries.doubles().between(0, 1).withSpecialValue(0.0).filter(d -> d < 1).list().ofMaxSize(24);
    }

    /** Text biased to what tokenizers find hard: spaces, newlines, contractions, digits, special-token text. */
    @Provide
    Arbitrary<String> text() {
        Arbitrary<Integer> tricky = Arbitraries.of(' ', ' ', '\n', '\t', '\r', '\'', 's', 't', 'h', 'e', 'a', 'n', 'S',
                '1', '2', '3', '.', '!', '<', '|', '>').map(c -> (int) c);
        Arbitrary<Integer> unicode = Arbitraries.of(0xA0, 0x85, 0x2028, 0x3000, 0x200D, 0xE9, 0x301, 0x65E5, 0x672C,
                0x1F600, 0x1F3FD, 0x1D400, 0x0661, 0x00BD, 0xFFFD, 0x7F, 0x0, 0x1C);
        Arbitrary<Integer> anyCodePoint = Arbitraries.integers().between(0, Character.MAX_CODE_POINT)
                .filter(cp -> cp < Character.MIN_SURROGATE || cp > Character.MAX_SURROGATE);
        Arbitrary<String> chars = Arbitraries.frequencyOf(
                        Tuple.of(6, tricky), Tuple.of(3, Arbitraries.integers().between(0x20, 0x7e)),
                        Tuple.of(2, unicode), Tuple.of(2, anyCodePoint))
                .list().ofMaxSize(30)
                .map(cps -> cps.stream().collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString());
        Arbitrary<String> specials = Arbitraries.of(TestVocabs.USER, TestVocabs.CONTROL, TestVocabs.EOT, "<s>", "</s>",
                "<unk>", "<|begin_of_text|>", "<|im_end|>");
        return Arbitraries.frequencyOf(Tuple.of(4, chars), Tuple.of(1, specials))
                .list().ofMaxSize(4).map(parts -> String.join("", parts));
    }
}
