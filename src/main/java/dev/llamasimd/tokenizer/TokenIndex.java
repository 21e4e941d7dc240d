package dev.llamasimd.tokenizer;

import java.util.Arrays;

/**
 * Token text to id, looked up by a range of a {@link CharSequence} without building a string: open
 * addressing over {@link String#hashCode()}, computed on the fly for the range. Immutable.
 */
final class TokenIndex {
    private final String[] keys;
    private final int[] ids;
    private final int mask;

    /**
     * Indexes every non-null entry of {@code pieces} by its text.
     *
     * @throws IllegalArgumentException naming the text and both ids if two entries have the same text
     */
    TokenIndex(String[] pieces) {
        int capacity = Integer.highestOneBit(Math.max(4, pieces.length * 2 + 1)) << 1;
        keys = new String[capacity];
        ids = new int[capacity];
        Arrays.fill(ids, -1);
        mask = capacity - 1;
        for (int id = 0; id < pieces.length; id++) {
            String piece = pieces[id];
            if (piece == null) {
                continue;
            }
            int slot = mix(piece.hashCode()) & mask;
            while (keys[slot] != null) {
                if (keys[slot].equals(piece)) {
                    throw new IllegalArgumentException("duplicate token '" + piece + "': ids " + ids[slot] + " and " + id);
                }
                slot = (slot + 1) & mask;
            }
            keys[slot] = piece;
            ids[slot] = id;
        }
    }

    /** The id of the token spelled {@code text}, or -1. */
    int get(String text) {
        return get(text, 0, text.length());
    }

    /** The id of the token spelled {@code text[from, to)}, or -1. */
    int get(CharSequence text, int from, int to) {
        int h = 0;
        for (int i = from; i < to; i++) {
            h = 31 * h + text.charAt(i);
        }
        int length = to - from;
        for (int slot = mix(h) & mask; ; slot = (slot + 1) & mask) {
            String key = keys[slot];
            if (key == null) {
                return -1;
            }
            if (key.length() == length && key.hashCode() == h && matches(key, text, from)) {
                return ids[slot];
            }
        }
    }

    private static boolean matches(String key, CharSequence text, int from) {
        for (int i = 0; i < key.length(); i++) {
            if (key.charAt(i) != text.charAt(from + i)) {
                return false;
            }
        }
        return true;
    }

    private static int mix(int h) {
        return (h ^ (h >>> 16)) * 0x9E3779B9;
    }
}
