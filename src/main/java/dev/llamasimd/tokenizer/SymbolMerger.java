package dev.llamasimd.tokenizer;

import java.util.Arrays;

/**
 * The BPE merge loop shared by both tokenizers: a doubly linked list of symbols and a binary heap of
 * candidate pairs, so a word of n symbols costs O(n log n) however it merges. Each symbol spans
 * {@code [start, start + length)} of some text (chars or bytes, the caller decides) and carries a token
 * id, or -1 when its text is not a token.
 *
 * <p>A {@link Pairs} rule says whether two neighbours may merge, into which token and with what priority.
 * The pair with the lowest priority merges first; on equal priority the leftmost does, as in llama.cpp
 * (and SentencePiece, and Hugging Face tokenizers). A candidate whose symbols changed since it was queued is
 * recognised by its span length and skipped. One instance is reused for many words; not thread-safe.
 */
final class SymbolMerger {
    /** Returned by a {@link Pairs} rule when the two symbols do not merge. */
    static final long NO_MERGE = Long.MIN_VALUE;

    /** The merge rule for two neighbouring symbols. */
    @FunctionalInterface
    interface Pairs {
        /**
         * Whether {@code left} and {@code right} merge: {@link #merge(int, int)} of the priority and the
         * merged token, or {@link #NO_MERGE}.
         *
         * @param from start of the left symbol
         * @param to   end of the right symbol
         */
        long find(int leftId, int rightId, int from, int to);
    }

    /** Packs a priority (lower merges first) and the id of the merged token for {@link Pairs#find}. */
    static long merge(int priority, int mergedId) {
        return (long) priority << 32 | (mergedId & 0xffffffffL);
    }

    private int count;
    private int[] id = new int[16];
    private int[] start = new int[16];
    private int[] length = new int[16];
    private int[] prev = new int[16];
    private int[] next = new int[16];

    private int queued;
    private long[] heapKey = new long[16];
    private int[] heapSpan = new int[16];
    private int[] heapId = new int[16];

    /** Starts a new word. */
    void clear() {
        count = 0;
        queued = 0;
    }

    /** Appends a symbol to the word. */
    void add(int tokenId, int from, int len) {
        if (count == id.length) {
            int n = count * 2;
            id = Arrays.copyOf(id, n);
            start = Arrays.copyOf(start, n);
            length = Arrays.copyOf(length, n);
            prev = Arrays.copyOf(prev, n);
            next = Arrays.copyOf(next, n);
        }
        id[count] = tokenId;
        start[count] = from;
        length[count] = len;
        prev[count] = count - 1;
        next[count] = -1;
        if (count > 0) {
            next[count - 1] = count;
        }
        count++;
    }

    /** Merges the word's symbols until no pair the rule accepts is left. */
    void run(Pairs pairs) {
        for (int i = 1; i < count; i++) {
            offer(pairs, i - 1, i);
        }
        while (queued > 0) {
            long key = heapKey[0];
            int span = heapSpan[0];
            int merged = heapId[0];
            poll();
            int left = (int) key;
            int right = next[left];
            if (length[left] == 0 || right < 0 || length[right] == 0 || length[left] + length[right] != span) {
                continue;
            }
            id[left] = merged;
            length[left] = span;
            length[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            offer(pairs, prev[left], left);
            offer(pairs, left, next[left]);
        }
    }

    /** The first symbol of the word, or -1 if it is empty; then {@link #next(int)} until -1. */
    int first() {
        return count == 0 ? -1 : 0;
    }

    int next(int symbol) {
        return next[symbol];
    }

    int id(int symbol) {
        return id[symbol];
    }

    int start(int symbol) {
        return start[symbol];
    }

    int length(int symbol) {
        return length[symbol];
    }

    private void offer(Pairs pairs, int left, int right) {
        if (left < 0 || right < 0) {
            return;
        }
        long found = pairs.find(id[left], id[right], start[left], start[right] + length[right]);
        if (found == NO_MERGE) {
            return;
        }
        push((found & 0xffffffff00000000L) | left, length[left] + length[right], (int) found);
    }

    private void push(long key, int span, int merged) {
        if (queued == heapKey.length) {
            int n = queued * 2;
            heapKey = Arrays.copyOf(heapKey, n);
            heapSpan = Arrays.copyOf(heapSpan, n);
            heapId = Arrays.copyOf(heapId, n);
        }
        int i = queued++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heapKey[parent] <= key) {
                break;
            }
            move(parent, i);
            i = parent;
        }
        heapKey[i] = key;
        heapSpan[i] = span;
        heapId[i] = merged;
    }

    private void poll() {
        int last = --queued;
        if (last == 0) {
            return;
        }
        long key = heapKey[last];
        int span = heapSpan[last];
        int merged = heapId[last];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= last) {
                break;
            }
            if (child + 1 < last && heapKey[child + 1] < heapKey[child]) {
                child++;
            }
            if (key <= heapKey[child]) {
                break;
            }
            move(child, i);
            i = child;
        }
        heapKey[i] = key;
        heapSpan[i] = span;
        heapId[i] = merged;
    }

    private void move(int from, int to) {
        heapKey[to] = heapKey[from];
        heapSpan[to] = heapSpan[from];
        heapId[to] = heapId[from];
    }
}
