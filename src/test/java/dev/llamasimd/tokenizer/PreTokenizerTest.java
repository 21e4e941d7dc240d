package dev.llamasimd.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How the pre-tokenizer expressions split text, as llama.cpp's {@code unicode_regex_split} does. */
class PreTokenizerTest {

    private static List<String> split(PreTokenizer pre, String text) {
        IntArrayList bounds = new IntArrayList();
        pre.split(text, 0, text.length(), bounds);
        List<String> pieces = new ArrayList<>();
        for (int k = 0; k < bounds.size(); k += 2) {
            pieces.add(text.substring(bounds.getInt(k), bounds.getInt(k + 1)));
        }
        return pieces;
    }

    private static PreTokenizer preset(String name) {
        return PreTokenizerPresets.byName(name).orElseThrow().pre();
    }

    @Test
    void gpt2KeepsTheLastSpaceForTheNextWord() {
        PreTokenizer gpt2 = preset("gpt-2");
        assertEquals(List.of("Hello", " world"), split(gpt2, "Hello world"));
        assertEquals(List.of("  ", " Hello", "\n\u00a0", " x"), split(gpt2, "   Hello\n\u00a0 x"), "NBSP is whitespace");
        assertEquals(List.of("don", "'t", " I", "'", "M"), split(gpt2, "don't I'M"), "contractions are lowercase only");
        assertEquals(List.of(" 🦙.", "cpp"), split(gpt2, " 🦙.cpp"), "emoji and dot are both neither letter nor digit");
    }

    @Test
    void llama3GroupsDigitsByThreeAndNewlinesWithTheirSpaces() {
        PreTokenizer llama3 = preset("llama-bpe");
        assertEquals(List.of("123", "456", "7"), split(llama3, "1234567"));
        assertEquals(List.of("Hello", " \n\n", "  ", " x"), split(llama3, "Hello \n\n   x"));
        assertEquals(List.of("I", "'M", " here"), split(llama3, "I'M here"), "contractions in either case");
        assertEquals(List.of("1", "2", "3"), split(preset("qwen2"), "123"));
    }

    @Test
    void expressionsApplyOneAfterAnother() {
        assertEquals(List.of("a", "1", "2", " b"), split(preset("starcoder"), "a12 b"));
        assertEquals(List.of("!!", "x", "123", "4"), split(preset("default"), "!!x1234"));
    }

    @Test
    void lookaheadsStopAtTheEndOfThePiece() {
        PreTokenizer twice = PreTokenizer.of("test", List.of("x", "\\s+(?!\\S)|\\s+"));
        assertEquals(List.of("  ", "x", "  "), split(twice, "  x  "));
    }

    @Test
    void huggingFaceContractionsAreSpelledOutInAscii() {
        PreTokenizer hf = PreTokenizer.of("tokenizer.json", List.of(PreTokenizer.CONTRACTIONS_IGNORE_CASE
                + PreTokenizer.LLAMA3.substring(PreTokenizer.CONTRACTIONS_ASCII.length())));
        assertEquals(split(preset("llama-bpe"), "'ſt 'St"), split(hf, "'ſt 'St"));
        assertEquals(List.of("'ſt", " '", "St"), split(hf, "'ſt 'St"), "ſ (long s) is not an s here");
    }
}
