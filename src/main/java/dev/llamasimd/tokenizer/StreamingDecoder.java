package dev.llamasimd.tokenizer;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Turns a stream of token ids into text, emitting only complete UTF-8 characters: a character
 * whose bytes are split over several tokens is held back until its last byte arrives. Invalid
 * byte sequences come out as U+FFFD, as in {@link Tokenizer#decode}; the text of all pushes and the final
 * {@link #flush()} together is exactly {@code decode} of the tokens pushed. One per stream; not
 * thread-safe.
 */
public final class StreamingDecoder {
    private final Tokenizer tokenizer;
    private final boolean showSpecial;
    private boolean stripSpace;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private ByteBuffer pending = ByteBuffer.allocate(64);
    private final CharBuffer chars = CharBuffer.allocate(64);

    /**
     * @param stripSpace drop one leading space from the first token (the dummy prefix {@code decode} drops)
     */
    StreamingDecoder(Tokenizer tokenizer, boolean showSpecial, boolean stripSpace) {
        this.tokenizer = tokenizer;
        this.showSpecial = showSpecial;
        this.stripSpace = stripSpace;
    }

    /** Feeds one token; returns the text it completes (possibly empty). */
    public String push(int id) {
        byte[] bytes = tokenizer.tokenBytes(id, showSpecial);
        int skip = stripSpace && bytes.length > 0 && bytes[0] == ' ' ? 1 : 0;
        stripSpace = false;
        if (pending.remaining() < bytes.length - skip) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(2 * pending.capacity(), pending.position() + bytes.length));
            pending.flip();
            bigger.put(pending);
            pending = bigger;
        }
        pending.put(bytes, skip, bytes.length - skip);
        return drain(false);
    }

    /** Ends the stream: returns what is left, with an incomplete trailing character as U+FFFD. */
    public String flush() {
        String s = drain(true);
        utf8.reset();
        return s;
    }

    private String drain(boolean end) {
        pending.flip();
        StringBuilder out = new StringBuilder();
        while (true) {
            chars.clear();
            CoderResult r = utf8.decode(pending, chars, end);
            chars.flip();
            out.append(chars);
            if (r.isOverflow()) {
                continue;
            }
            break;
        }
        if (end) {
            chars.clear();
            utf8.flush(chars);
            chars.flip();
            out.append(chars);
        }
        pending.compact();
        return out.toString();
    }
}
