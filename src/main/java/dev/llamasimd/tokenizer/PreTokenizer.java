package dev.llamasimd.tokenizer;

import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into the pieces that BPE then merges within (never across), with a list of regular
 * expressions applied one after the other: each splits every piece the previous ones made, and text
 * between two matches becomes a piece of its own, so nothing is dropped. This is llama.cpp's
 * {@code unicode_regex_split} and Hugging Face's {@code Split(behavior = Isolated)}.
 *
 * <p>The expressions are compiled with {@link Pattern#UNICODE_CHARACTER_CLASS}: {@code \s} is Unicode
 * White_Space (U+0009..U+000D, space, U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F,
 * U+205F, U+3000), exactly llama.cpp's whitespace table, and {@code \p{L}}, {@code \p{N}}, {@code \p{P}}
 * are the Unicode general categories that llama.cpp's tables are generated from. Lookaheads do not see past
 * the end of the piece being split, as in llama.cpp. Immutable.
 *
 * <p>An expression from a file (a tokenizer.json {@code Split}) is that file's code: one that
 * backtracks without end, such as {@code (.*a){12}$} on thirty a's and a '!', would hang the thread that
 * encodes. So every split counts the characters the matcher reads and stops, with an error naming
 * the file, once a piece has cost more than {@value #READS_PER_CHAR} reads per character (plus
 * {@value #READS_BASE}); the expressions of real tokenizers read each character a few times.
 *
 * @param name     a label for messages
 * @param file     the file the expressions come from, or null for the built-in ones
 * @param patterns the expressions, applied in order
 */
record PreTokenizer(String name, Path file, List<Pattern> patterns) {

    /** Matcher reads allowed per character of a piece, and in addition per piece. */
    static final long READS_PER_CHAR = 1_000, READS_BASE = 100_000;

    /** GPT-2's expression (with its final {@code \s+}, which llama.cpp's hand-written splitter implies). */
    static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    /** The case-insensitive contractions of the Llama 3 family as Hugging Face writes them. */
    static final String CONTRACTIONS_IGNORE_CASE = "(?i:'s|'t|'re|'ve|'m|'ll|'d)";

    /** The same contractions as llama.cpp spells them, case by case in ASCII. */
    static final String CONTRACTIONS_ASCII = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";

    /** Llama 3's expression as llama.cpp adapts it (with {@link #CONTRACTIONS_ASCII}). */
    static final String LLAMA3 = CONTRACTIONS_ASCII
            + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** Qwen2's expression: Llama 3's with single digits. */
    static final String QWEN2 = LLAMA3.replace("\\p{N}{1,3}", "\\p{N}");

    PreTokenizer {
        patterns = List.copyOf(patterns);
    }

    /** Compiles built-in expressions (Java syntax, see the class comment for the flags). */
    static PreTokenizer of(String name, List<String> regexes) {
        return of(name, null, regexes);
    }

    /** Compiles the expressions {@code file} holds. */
    static PreTokenizer of(String name, Path file, List<String> regexes) {
        return new PreTokenizer(name, file, regexes.stream().map(PreTokenizer::compile).toList());
    }

    /**
     * Compiles one expression, first replacing {@link #CONTRACTIONS_IGNORE_CASE} by
     * {@link #CONTRACTIONS_ASCII}, so that a model loaded from tokenizer.json splits as its GGUF conversion
     * does in llama.cpp (Java's Unicode case folding would also take, say, {@code 'ſ} for {@code 's}).
     */
    static Pattern compile(String regex) {
        return Pattern.compile(regex.replace(CONTRACTIONS_IGNORE_CASE, CONTRACTIONS_ASCII), Pattern.UNICODE_CHARACTER_CLASS);
    }

    /**
     * Splits {@code text[from, to)} and adds the pieces' boundaries to {@code bounds}, as pairs
     * (start, end) in order, skipping empty pieces.
     */
    void split(String text, int from, int to, IntArrayList bounds) {
        bounds.clear();
        addPiece(bounds, from, to);
        IntArrayList refined = new IntArrayList();
        CountedReads counted = new CountedReads(text);
        for (Pattern pattern : patterns) {
            refined.clear();
            Matcher m = pattern.matcher(counted);
            for (int k = 0; k < bounds.size(); k += 2) {
                int start = bounds.getInt(k);
                int end = bounds.getInt(k + 1);
                counted.left = READS_BASE + READS_PER_CHAR * (end - start);
                m.region(start, end);
                int at = start;
                try {
                    while (m.find()) {
                        addPiece(refined, at, m.start());
                        addPiece(refined, m.start(), m.end());
                        at = m.end();
                    }
                } catch (BudgetSpent e) {
                    throw tooSlow(pattern, end - start);
                }
                addPiece(refined, at, end);
            }
            bounds.clear();
            bounds.addAll(refined);
        }
    }

    private RuntimeException tooSlow(Pattern pattern, int length) {
        String what = "has the expression " + pattern.pattern() + ", which read a piece of " + length
                + " characters more than " + READS_PER_CHAR + " times per character (it backtracks without end)"
                + "; llama-simd stops it rather than hang";
        if (file == null) {
            return new IllegalStateException(name + " pre-tokenizer " + what);
        }
        return HfTokenizerLoader.error(file, "pre_tokenizer", what);
    }

    /** The text as the matcher reads it, one read fewer left with every character. */
    private static final class CountedReads implements CharSequence {
        private final String text;
        long left;

        CountedReads(String text) {
            this.text = text;
        }

        @Override
        public char charAt(int index) {
            if (--left < 0) {
                spent();
            }
            return text.charAt(index);
        }

        /** Out of line, so that {@link #charAt} stays small enough to inline into every matcher node. */
        private static void spent() {
            throw new BudgetSpent();
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return text.substring(start, end);
        }

        @Override
        public String toString() {
            return text;
        }
    }

    /** Thrown inside the matcher when a piece's reads are spent; no stack trace to fill. */
    private static final class BudgetSpent extends RuntimeException {
        BudgetSpent() {
            super(null, null, false, false);
        }
    }

    private static void addPiece(IntArrayList bounds, int start, int end) {
        if (end > start) {
            bounds.add(start);
            bounds.add(end);
        }
    }
}
