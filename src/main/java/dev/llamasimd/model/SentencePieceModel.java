package dev.llamasimd.model;

import dev.llamasimd.io.ModelFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The pieces of a SentencePiece {@code tokenizer.model}: the {@code pieces} of its
 * {@code ModelProto} (protocol buffers; field 1, each a {@code SentencePiece} with
 * {@code piece} = 1, {@code score} = 2 and {@code type} = 3). The other fields (trainer and
 * normalizer settings) are skipped.
 */
final class SentencePieceModel {
    /** {@code SentencePiece.Type} values. */
    static final int NORMAL = 1;
    static final int UNKNOWN = 2;
    static final int CONTROL = 3;
    static final int UNUSED = 5;
    static final int BYTE = 6;

    /** One piece: its text (with {@code ▁} for a space), score and type. */
    record Piece(String text, float score, int type) {}

    private final Path file;
    private final ByteBuffer in;

    private SentencePieceModel(Path file, ByteBuffer in) {
        this.file = file;
        this.in = in;
    }

    /**
     * Reads the pieces of {@code file}, in id order.
     *
     * @throws ModelFormatException if it is not a protocol buffers message of this shape
     */
    static List<Piece> read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        SentencePieceModel m = new SentencePieceModel(file, ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN));
        List<Piece> pieces = new ArrayList<>();
        while (m.in.hasRemaining()) {
            long key = m.varint();
            if (key >>> 3 == 1 && (key & 7) == 2) {
                pieces.add(m.piece(m.length()));
            } else {
                m.skip((int) (key & 7));
            }
        }
        return pieces;
    }

    private Piece piece(int length) {
        int end = in.position() + length;
        String text = "";
        float score = 0;
        int type = NORMAL;
        while (in.position() < end) {
            long key = varint();
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            if (field == 1 && wire == 2) {
                byte[] utf8 = new byte[length()];
                in.get(utf8);
                text = new String(utf8, StandardCharsets.UTF_8);
            } else if (field == 2 && wire == 5) {
                need(4);
                score = in.getFloat();
            } else if (field == 3 && wire == 0) {
                type = (int) varint();
            } else {
                skip(wire);
            }
        }
        if (in.position() != end) {
            throw error("a piece runs past its length");
        }
        return new Piece(text, score, type);
    }

    private long varint() {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            need(1);
            byte b = in.get();
            v |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return v;
            }
        }
        throw error("a varint is longer than 10 bytes");
    }

    private int length() {
        long n = varint();
        if (n > in.remaining()) {
            throw error("a field of " + n + " bytes runs past the end");
        }
        return (int) n;
    }

    private void skip(int wire) {
        switch (wire) {
            case 0 -> varint();
            case 1 -> advance(8);
            case 2 -> advance(length());
            case 5 -> advance(4);
            default -> throw error("wire type " + wire + " is not a protocol buffers field");
        }
    }

    private void advance(int n) {
        need(n);
        in.position(in.position() + n);
    }

    private void need(int n) {
        if (in.remaining() < n) {
            throw error("the message ends inside a field");
        }
    }

    private ModelFormatException error(String what) {
        return new ModelFormatException(file, in.position(), "not a SentencePiece model: " + what);
    }
}
