package dev.llamasimd.tokenizer;

import dev.llamasimd.io.Json;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Writes test tokenizer.json / config files: JSON text from maps, lists, strings, numbers and booleans. */
final class HfJson {
    private HfJson() {}

    static String write(Object value) {
        return switch (value) {
            case null -> "null";
            case String s -> Json.quote(s);
            case Map<?, ?> m -> m.entrySet().stream().map(e -> Json.quote((String) e.getKey()) + ":" + write(e.getValue()))
                    .collect(Collectors.joining(",", "{", "}"));
            case List<?> l -> l.stream().map(HfJson::write).collect(Collectors.joining(",", "[", "]"));
            default -> value.toString();
        };
    }
}
