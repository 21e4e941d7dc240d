package dev.llamasimd.tokenizer;

import it.unimi.dsi.fastutil.ints.Int2ObjectOpenHashMap;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;

/**
 * The token table: each id's text as the vocabulary spells it, its {@link TokenType}, and whether a special
 * token swallows the whitespace beside it (Hugging Face's {@code lstrip}/{@code rstrip}); with the index
 * from text to id and the special tokens in the order llama.cpp looks for them. Immutable.
 */
final class Vocabulary {
    private final String[] pieces;
    private final TokenType[] types;
    private final boolean[] lstrip;
    private final boolean[] rstrip;
    private final TokenIndex index;
    private final int[] specials;
    private final BitSet specialStarts = new BitSet(Character.MAX_VALUE + 1);
    private final int prefixLength;
    private final Int2ObjectOpenHashMap<int[]> specialsByPrefix = new Int2ObjectOpenHashMap<>();

    /**
     * @param pieces each token's text, by id (none empty)
     * @param types  each token's type, by id
     * @param lstrip which special tokens remove the whitespace before them
     * @param rstrip which special tokens remove the whitespace after them
     * @param index  the index of {@code pieces}
     */
    Vocabulary(String[] pieces, TokenType[] types, boolean[] lstrip, boolean[] rstrip, TokenIndex index) {
        if (types.length != pieces.length || lstrip.length != pieces.length || rstrip.length != pieces.length) {
            throw new IllegalArgumentException("pieces, types and strip flags differ in length");
        }
        for (int id = 0; id < pieces.length; id++) {
            if (pieces[id].isEmpty()) {
                throw new IllegalArgumentException("token " + id + " has no text");
            }
        }
        this.pieces = pieces.clone();
        this.types = types.clone();
        this.lstrip = lstrip.clone();
        this.rstrip = rstrip.clone();
        this.index = index;
        List<Integer> special = new ArrayList<>();
        for (int id = 0; id < pieces.length; id++) {
            if (types[id].special()) {
                special.add(id);
            }
        }
        special.sort(Comparator.<Integer>comparingInt(id -> utf8Length(pieces[id])).reversed());
        this.specials = special.stream().mapToInt(Integer::intValue).toArray();
        this.prefixLength = Arrays.stream(specials).map(id -> pieces[id].length()).min().orElse(1);
        for (int id : specials) {
            specialStarts.set(pieces[id].charAt(0));
            int key = prefixHash(pieces[id], 0);
            int[] ids = specialsByPrefix.get(key);
            int[] more = ids == null ? new int[1] : Arrays.copyOf(ids, ids.length + 1);
            more[more.length - 1] = id;
            specialsByPrefix.put(key, more);
        }
    }

    private int prefixHash(String s, int at) {
        int h = 0;
        for (int i = at; i < at + prefixLength; i++) {
            h = 31 * h + s.charAt(i);
        }
        return h;
    }

    /** Sorting by UTF-8 length (not UTF-16) keeps llama.cpp's order for non-ASCII special tokens. */
    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    int size() {
        return pieces.length;
    }

    String piece(int id) {
        return pieces[id];
    }

    TokenType type(int id) {
        return types[id];
    }

    boolean lstrip(int id) {
        return lstrip[id];
    }

    boolean rstrip(int id) {
        return rstrip[id];
    }

    TokenIndex index() {
        return index;
    }

    /** The ids of the control, unknown and user-defined tokens, longest UTF-8 text first (ties by id). */
    int[] specials() {
        return specials;
    }

    /**
     * The ids of the special tokens whose text occurs in {@code text}, found in one pass over it: where a
     * special token's first character is, the candidates are those that share the next few characters (as
     * many as the shortest special token has).
     */
    BitSet specialsIn(String text) {
        BitSet found = new BitSet();
        for (int i = 0, last = text.length() - prefixLength; i <= last; i++) {
            if (specialStarts.get(text.charAt(i))) {
                int[] candidates = specialsByPrefix.get(prefixHash(text, i));
                if (candidates != null) {
                    for (int id : candidates) {
                        if (text.startsWith(pieces[id], i)) {
                            found.set(id);
                        }
                    }
                }
            }
        }
        return found;
    }
}
