package dev.llamasimd.tokenizer;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Cuts special-token text out of the input before the model sees it (llama.cpp's
 * {@code tokenizer_st_partition}): for each special token, longest first, every occurrence in the text
 * fragments left so far becomes that token. Control and unknown tokens are recognised only with
 * parseSpecial; user-defined tokens always are. A token with lstrip (rstrip) also takes the ASCII
 * whitespace before (after) it.
 */
final class SpecialTokenSplitter {

    /**
     * A piece of the input: either the special token {@code token}, or (token -1) the text
     * {@code [start, end)} still to be tokenized.
     */
    record Fragment(int token, int start, int end) {
        boolean isText() {
            return token < 0;
        }
    }

    private SpecialTokenSplitter() {}

    /** The fragments of {@code text} (none for the empty text), in order. */
    static List<Fragment> split(Vocabulary vocab, String text, boolean parseSpecial) {
        List<Fragment> fragments = new ArrayList<>();
        if (text.isEmpty()) {
            return fragments;
        }
        fragments.add(new Fragment(-1, 0, text.length()));
        BitSet occurring = vocab.specialsIn(text);
        for (int id : vocab.specials()) {
            if (!occurring.get(id) || !parseSpecial && vocab.type(id) != TokenType.USER_DEFINED) {
                continue;
            }
            String special = vocab.piece(id);
            List<Fragment> cut = new ArrayList<>(fragments.size() + 2);
            for (Fragment f : fragments) {
                if (f.isText()) {
                    cut(text, f.start(), f.end(), id, special, vocab.lstrip(id), vocab.rstrip(id), cut);
                } else {
                    cut.add(f);
                }
            }
            fragments = cut;
        }
        return fragments;
    }

    private static void cut(String text, int start, int end, int id, String special, boolean lstrip, boolean rstrip,
                            List<Fragment> out) {
        int at = start;
        int match;
        while ((match = text.indexOf(special, at, end)) >= 0) {
            int left = match;
            if (lstrip) {
                while (left > at && isSpace(text.charAt(left - 1))) {
                    left--;
                }
            }
            if (left > at) {
                out.add(new Fragment(-1, at, left));
            }
            out.add(new Fragment(id, match, match + special.length()));
            at = match + special.length();
            if (rstrip) {
                while (at < end && isSpace(text.charAt(at))) {
                    at++;
                }
            }
        }
        if (at < end) {
            out.add(new Fragment(-1, at, end));
        }
    }

    /** C's {@code isspace} in the C locale, which llama.cpp applies to the UTF-8 bytes. */
    private static boolean isSpace(char c) {
        return c == ' ' || c >= '\t' && c <= '\r';
    }
}
