package dev.llamasimd.tokenizer;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Writes test tokenizer.json / config files: JSON text from maps, lists, strings, numbers and booleans. */
final class HfJson {
    private HfJson() {}

    static String write(Object value) {
        return switch (value) {
            case null -> "null";
            case String s -> quote(s);
            case Map<?, ?> m -> m.entrySet().stream().map(e -> quote((String) e.getKey()) + ":" + write(e.getValue()))
                    .collect(Collectors.joining(",", "{", "}"));
            case List<?> l -> l.stream().map(HfJson::write).collect(Collectors.joining(",", "[", "]"));
            default -> value.toString();
        };
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
