package dev.llamasimd.tokenizer;

/** Test names and messages with control characters and spaces made visible. */
final class Quote {
    private Quote() {}

    static String of(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().limit(40).forEach(c -> b.append(switch (c) {
            case '\n' -> "\\n";
            case '\t' -> "\\t";
            case '\r' -> "\\r";
            case '"' -> "\\\"";
            default -> c < 0x20 || c == 0x7f || c >= 0x80 && c < 0xa0 ? String.format("\\x%02x", c) : Character.toString(c);
        }));
        return b.append(s.codePointCount(0, s.length()) > 40 ? "...\"" : "\"").toString();
    }
}
