package dev.llamasimd.tokenizer;

/**
 * Text to token ids and back, exactly as the model was trained (SentencePiece BPE or byte-level BPE), with
 * llama.cpp's results. Get one from {@link Tokenizers#load}. Implementations are immutable and thread-safe.
 */
public interface Tokenizer {

    int vocabSize();

    /**
     * Encodes text.
     *
     * @param addSpecial   add the BOS (and EOS) tokens the model asks for ({@link #addsBos()} ...)
     * @param parseSpecial recognise special-token text such as {@code <|eot_id|>} as the special
     *                     token; otherwise it is plain text (user-defined added tokens are recognised
     *                     either way, as in llama.cpp and Hugging Face)
     */
    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    /**
     * Decodes ids to text (llama.cpp's {@code llama_detokenize}): the tokens' bytes concatenated, invalid
     * UTF-8 as U+FFFD, control tokens left out unless {@code showSpecial}. When the model puts a space in
     * front of the text on encoding ({@link #addsSpacePrefix()}), the first token's leading space is dropped,
     * so that {@code decode(encode(s, false, false), false)} gives {@code s} back.
     */
    String decode(int[] ids, boolean showSpecial);

    /** The bytes a token stands for (empty for a hidden control token unless {@code showSpecial}). */
    byte[] tokenBytes(int id, boolean showSpecial);

    /** The vocabulary's spelling of a token (e.g. {@code Ġthe}, {@code ▁the}, {@code <0x0A>}). */
    String piece(int id);

    /** The BOS id, or -1 if the model has none. */
    int bos();

    /** The EOS id, or -1 if the model has none. */
    int eos();

    /** Whether {@link #encode} with {@code addSpecial} puts BOS first. */
    boolean addsBos();

    /** Whether generation should stop at this token: EOS, end-of-turn ({@code <|eot_id|>}, {@code <|im_end|>}, ...). */
    boolean isEndOfGeneration(int id);

    /** Whether the token is a control/special token (hidden when decoding by default). */
    boolean isControl(int id);

    /**
     * Whether encoding puts a space in front of the text (SentencePiece's dummy prefix); {@link #decode}
     * drops it from the first token again.
     */
    boolean addsSpacePrefix();

    /** The model's chat template (Jinja source) if the file carries one, else {@code null}. */
    String chatTemplate();

    /**
     * A decoder fed one token at a time that emits only complete UTF-8 text: the concatenation of its output
     * is {@link #decode} of the whole sequence, which starts with the first token pushed.
     */
    default StreamingDecoder streamingDecoder(boolean showSpecial) {
        return new StreamingDecoder(this, showSpecial, addsSpacePrefix());
    }

    /**
     * A streaming decoder for tokens that continue earlier text, such as the tokens generated after a
     * prompt: unlike {@link #streamingDecoder(boolean)} it keeps the first token's leading space.
     */
    default StreamingDecoder continuationDecoder(boolean showSpecial) {
        return new StreamingDecoder(this, showSpecial, false);
    }
}
