package dev.llamasimd.tokenizer;

import it.unimi.dsi.fastutil.ints.IntArrayList;

/** How text between special tokens becomes token ids, and how a normal token's text becomes bytes again. */
sealed interface BpeModel permits SentencePieceBpe, ByteLevelBpe {

    /**
     * Appends the tokens of {@code text[from, to)}, a non-empty run of text between special tokens.
     *
     * @param atStart whether the run starts the whole input
     */
    void encode(String text, int from, int to, boolean atStart, IntArrayList out);

    /** The bytes a {@link TokenType#NORMAL} token stands for. */
    byte[] render(String piece);

    /**
     * Whether encoding puts a space in front of the text (SentencePiece's dummy prefix), which decoding
     * takes off the first token again.
     */
    boolean addsSpacePrefix();
}
