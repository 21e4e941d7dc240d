package dev.llamasimd.tokenizer;

import java.util.BitSet;

/**
 * The special token ids a tokenizer needs beyond its vocabulary, -1 where the model has none.
 *
 * @param bos            beginning of sequence
 * @param eos            end of sequence
 * @param addBos         encode puts {@code bos} first when asked to add special tokens
 * @param addEos         encode puts {@code eos} last when asked to add special tokens
 * @param endOfGeneration the tokens that end generation (EOS, end of turn, ...)
 */
record SpecialIds(int bos, int eos, boolean addBos, boolean addEos, BitSet endOfGeneration) {
    SpecialIds {
        endOfGeneration = (BitSet) endOfGeneration.clone();
    }

    boolean endsGeneration(int id) {
        return id >= 0 && endOfGeneration.get(id);
    }
}
