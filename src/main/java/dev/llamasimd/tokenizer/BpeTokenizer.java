package dev.llamasimd.tokenizer;

import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@link Tokenizer} over a vocabulary and a {@link BpeModel}, with llama.cpp's handling of special
 * tokens: their text is cut out of the input first ({@link SpecialTokenSplitter}), BOS/EOS are added as the
 * model asks, and decoding renders each token as llama.cpp's {@code token_to_piece} does, dropping the
 * dummy-prefix space from the first token as {@code llama_detokenize} does. Immutable and thread-safe.
 */
final class BpeTokenizer implements Tokenizer {
    private static final Pattern BYTE_PIECE = Pattern.compile("<0x([0-9A-Fa-f]{2})>");
    private static final byte[] NOTHING = new byte[0];

    private final Vocabulary vocab;
    private final BpeModel model;
    private final SpecialIds ids;
    private final Normalizer.Form normalization;
    private final String chatTemplate;
    private final byte[][] rendered;

    /**
     * @param normalization Unicode normalization applied to text between special tokens (Hugging Face's
     *                      NFC/NFD/NFKC/NFKD normalizers), or null
     * @param chatTemplate  the Jinja chat template the model file carries, or null
     */
    BpeTokenizer(Vocabulary vocab, BpeModel model, SpecialIds ids, Normalizer.Form normalization, String chatTemplate) {
        this.vocab = vocab;
        this.model = model;
        this.ids = ids;
        this.normalization = normalization;
        this.chatTemplate = chatTemplate;
        this.rendered = new byte[vocab.size()][];
        for (int id = 0; id < rendered.length; id++) {
            rendered[id] = render(id);
        }
    }

    /** llama.cpp's {@code token_to_piece} with special tokens shown. */
    private byte[] render(int id) {
        String piece = vocab.piece(id);
        return switch (vocab.type(id)) {
            case NORMAL -> model.render(piece);
            case CONTROL, UNKNOWN, USER_DEFINED -> piece.getBytes(StandardCharsets.UTF_8);
            case BYTE -> {
                Matcher m = BYTE_PIECE.matcher(piece);
                yield m.matches() ? new byte[] {(byte) Integer.parseInt(m.group(1), 16)}
                        : piece.getBytes(StandardCharsets.UTF_8);
            }
            case UNUSED, UNDEFINED -> NOTHING;
        };
    }

    @Override
    public int vocabSize() {
        return vocab.size();
    }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        IntArrayList out = new IntArrayList(text.length() / 3 + 2);
        if (addSpecial && ids.addBos()) {
            out.add(ids.bos());
        }
        for (SpecialTokenSplitter.Fragment f : SpecialTokenSplitter.split(vocab, text, parseSpecial)) {
            if (!f.isText()) {
                out.add(f.token());
            } else if (normalization == null) {
                model.encode(text, f.start(), f.end(), f.start() == 0, out);
            } else {
                String normalized = Normalizer.normalize(text.substring(f.start(), f.end()), normalization);
                model.encode(normalized, 0, normalized.length(), f.start() == 0, out);
            }
        }
        if (addSpecial && ids.addEos()) {
            out.add(ids.eos());
        }
        return out.toIntArray();
    }

    @Override
    public String decode(int[] tokens, boolean showSpecial) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(tokens.length * 4);
        for (int i = 0; i < tokens.length; i++) {
            byte[] bytes = bytes(tokens[i], showSpecial);
            int skip = i == 0 && addsSpacePrefix() && bytes.length > 0 && bytes[0] == ' ' ? 1 : 0;
            out.write(bytes, skip, bytes.length - skip);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] tokenBytes(int id, boolean showSpecial) {
        return bytes(id, showSpecial).clone();
    }

    private byte[] bytes(int id, boolean showSpecial) {
        checkId(id);
        return !showSpecial && vocab.type(id).hidden() ? NOTHING : rendered[id];
    }

    @Override
    public String piece(int id) {
        checkId(id);
        return vocab.piece(id);
    }

    @Override
    public int bos() {
        return ids.bos();
    }

    @Override
    public int eos() {
        return ids.eos();
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return ids.endsGeneration(id);
    }

    @Override
    public boolean isControl(int id) {
        checkId(id);
        return vocab.type(id).hidden();
    }

    @Override
    public boolean addsBos() {
        return ids.addBos();
    }

    @Override
    public boolean addsSpacePrefix() {
        return model.addsSpacePrefix();
    }

    @Override
    public String chatTemplate() {
        return chatTemplate;
    }

    private void checkId(int id) {
        if (id < 0 || id >= vocab.size()) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary (0.." + (vocab.size() - 1) + ")");
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + vocab.size() + " tokens, " + model.getClass().getSimpleName()
                + ", bos " + ids.bos() + ", eos " + ids.eos() + "]";
    }
}
