package dev.llamasimd.tokenizer;

import it.unimi.dsi.fastutil.longs.Long2LongOpenHashMap;
import java.util.List;

/**
 * Ranked BPE merges by token id: the pair (left, right) merges into the token spelled left + right, and a
 * lower rank (the merge's position in the list) merges first. Implements the {@link SymbolMerger.Pairs}
 * rule of byte-level BPE and of Hugging Face's SentencePiece-style BPE. Immutable after construction.
 */
final class MergeRanks implements SymbolMerger.Pairs {
    private final Long2LongOpenHashMap ranks;

    private MergeRanks(Long2LongOpenHashMap ranks) {
        this.ranks = ranks;
    }

    /**
     * Ranks the merges in list order (the first has rank 0). A merge whose two parts are not both tokens can
     * never apply and is left out; when a pair is listed twice its first rank counts; the merged id is -1 when
     * left + right is not a token.
     *
     * @param merges each merge as its two parts
     */
    static MergeRanks of(List<String[]> merges, TokenIndex index) {
        Long2LongOpenHashMap ranks = new Long2LongOpenHashMap(merges.size());
        ranks.defaultReturnValue(SymbolMerger.NO_MERGE);
        for (int rank = 0; rank < merges.size(); rank++) {
            String[] pair = merges.get(rank);
            int left = index.get(pair[0]);
            int right = index.get(pair[1]);
            if (left >= 0 && right >= 0) {
                ranks.putIfAbsent(key(left, right), SymbolMerger.merge(rank, index.get(pair[0] + pair[1])));
            }
        }
        ranks.trim();
        return new MergeRanks(ranks);
    }

    /**
     * Splits a merge written as one string, {@code "left right"}: at the first space after the first
     * character (so a part may itself start with a space), or null when there is none.
     */
    static String[] split(String merge) {
        int space = merge.indexOf(' ', 1);
        return space < 0 ? null : new String[] {merge.substring(0, space), merge.substring(space + 1)};
    }

    @Override
    public long find(int leftId, int rightId, int from, int to) {
        if (leftId < 0 || rightId < 0) {
            return SymbolMerger.NO_MERGE;
        }
        return ranks.get(key(leftId, rightId));
    }

    private static long key(int left, int right) {
        return (long) left << 32 | (right & 0xffffffffL);
    }
}
