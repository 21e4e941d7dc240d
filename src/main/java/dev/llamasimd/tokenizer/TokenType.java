package dev.llamasimd.tokenizer;

/**
 * The kind of a vocabulary entry, numbered as in GGUF's {@code tokenizer.ggml.token_type} (llama.cpp's
 * {@code llama_token_type}). It decides how a token is rendered and whether its text is recognised as a
 * special token.
 */
enum TokenType {
    /** Code 0, and any code outside 0..6: rendered as nothing. */
    UNDEFINED,
    /** A piece of text: {@code ▁} stands for a space (SentencePiece) or the bytes are GPT-2's byte alphabet. */
    NORMAL,
    /** {@code <unk>}: hidden on decode, recognised in text only with parseSpecial. */
    UNKNOWN,
    /** BOS, EOS, end-of-turn and the like: hidden on decode, recognised in text only with parseSpecial. */
    CONTROL,
    /** Added text: always recognised in text, rendered verbatim. */
    USER_DEFINED,
    /** A placeholder: rendered as nothing. */
    UNUSED,
    /** {@code <0xNN>}: one raw byte (SentencePiece byte fallback). */
    BYTE;

    private static final TokenType[] BY_CODE = values();

    static TokenType fromGguf(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : UNDEFINED;
    }

    /** Whether decoding leaves the token out unless asked to show special tokens. */
    boolean hidden() {
        return this == CONTROL || this == UNKNOWN;
    }

    /** Whether the token's text is looked for in the input before the model sees it. */
    boolean special() {
        return this == CONTROL || this == UNKNOWN || this == USER_DEFINED;
    }
}
