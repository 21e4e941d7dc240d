package dev.llamasimd.io;

/**
 * Text that is not valid JSON (RFC 8259), or a JSON value that does not have the type a reader
 * asked for. Syntax errors carry the position: the character index into the text and the
 * 1-based line and column (counted in UTF-16 chars); errors without a position have -1 there.
 */
public class JsonException extends RuntimeException {
    private final int index;
    private final int line;
    private final int column;

    /** A syntax error at {@code index} of {@code text}; the message gets the line and column. */
    public JsonException(String text, int index, String what) {
        this(what, index, lineOf(text, index), columnOf(text, index));
    }

    /** An error without a position in the text. */
    public JsonException(String what) {
        super(what);
        this.index = -1;
        this.line = -1;
        this.column = -1;
    }

    private JsonException(String what, int index, int line, int column) {
        super("line " + line + ", column " + column + ": " + what);
        this.index = index;
        this.line = line;
        this.column = column;
    }

    /** Index of the offending char in the text, or -1. */
    public int index() {
        return index;
    }

    /** 1-based line of the error, or -1. */
    public int line() {
        return line;
    }

    /** 1-based column of the error (in chars), or -1. */
    public int column() {
        return column;
    }

    private static int lineOf(String text, int index) {
        int line = 1;
        for (int i = 0; i < index; i++) {
            if (text.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }

    private static int columnOf(String text, int index) {
        return index - (text.lastIndexOf('\n', index - 1) + 1) + 1;
    }
}
