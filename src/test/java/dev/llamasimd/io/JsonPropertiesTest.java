package dev.llamasimd.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/** Round trips through a small serializer written here, independent of the parser. */
class JsonPropertiesTest {
    private static final String NOISE = "{}[]\",:\\ -0e.tfnu\u0001\uD800";

    @Property(tries = 500)
    void canonicalRoundTrip(@ForAll("values") Object value) {
        String text = write(value, null);
        assertEquals(value, Json.parse(text));
        assertEquals(text, write(Json.parse(text), null));
    }

    @Property(tries = 500)
    void whitespaceAndEscapesDoNotMatter(@ForAll("values") Object value, @ForAll Random random) {
        assertEquals(value, Json.parse(write(value, random)));
    }

    @Property(tries = 1000)
    void corruptedTextParsesOrFailsWithAJsonException(@ForAll("values") Object value, @ForAll Random random) {
        StringBuilder text = new StringBuilder(write(value, random));
        int at = random.nextInt(text.length() + 1);
        switch (random.nextInt(3)) {
            case 0 -> text.setLength(at);
            case 1 -> text.insert(at, NOISE.charAt(random.nextInt(NOISE.length())));
            default -> {
                if (at < text.length()) {
                    text.deleteCharAt(at);
                }
            }
        }
        try {
            Json.parse(text.toString());
        } catch (JsonException e) {
            assertTrue(e.index() >= 0 && e.index() <= text.length() && e.line() >= 1 && e.column() >= 1,
                    e::getMessage);
        }
    }

    @Provide
    Arbitrary<Object> values() {
        return value(3);
    }

    private static Arbitrary<Object> value(int depth) {
        Arbitrary<Object> scalar = Arbitraries.oneOf(
                Arbitraries.strings().all().ofMaxLength(12).map(s -> s),
                Arbitraries.strings().withCharRange('a', 'e').withChars("\"\\/\n\u0000\u001f ").ofMaxLength(6).map(s -> s),
                Arbitraries.longs().map(x -> x),
                Arbitraries.bigIntegers().between(BigInteger.ONE.shiftLeft(63), BigInteger.ONE.shiftLeft(100))
                        .flatMap(b -> Arbitraries.of(b, b.negate().subtract(BigInteger.TWO))).map(b -> b),
                Arbitraries.doubles().filter(Double::isFinite).map(d -> d),
                Arbitraries.of(1e-300, -0.0, 0.0, 1e300, Double.MIN_VALUE, 32.0).map(d -> d),
                Arbitraries.of(true, false).map(b -> b),
                Arbitraries.just(null));
        if (depth == 0) {
            return scalar;
        }
        Arbitrary<Object> list = value(depth - 1).list().ofMaxSize(4).map(l -> new ArrayList<>(l));
        Arbitrary<Object> map = Arbitraries.maps(Arbitraries.strings().all().ofMaxLength(6), value(depth - 1))
                .ofMaxSize(4).map(m -> new LinkedHashMap<>(m));
        return Arbitraries.frequencyOf(
                Tuple.of(3, scalar), Tuple.of(1, list), Tuple.of(1, map));
    }

    /** Serializes a value; with a Random, adds whitespace and escapes characters at random. */
    private static String write(Object value, Random random) {
        StringBuilder sb = new StringBuilder();
        write(value, random, sb);
        space(random, sb);
        return sb.toString();
    }

    private static void write(Object value, Random random, StringBuilder sb) {
        space(random, sb);
        switch (value) {
            case null -> sb.append("null");
            case String s -> string(s, random, sb);
            case Double d -> sb.append(d);
            case Number n -> sb.append(n);
            case Boolean b -> sb.append(b);
            case List<?> l -> {
                sb.append('[');
                for (int k = 0; k < l.size(); k++) {
                    if (k > 0) {
                        space(random, sb);
                        sb.append(',');
                    }
                    write(l.get(k), random, sb);
                }
                space(random, sb);
                sb.append(']');
            }
            case Map<?, ?> m -> {
                sb.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) {
                        space(random, sb);
                        sb.append(',');
                    }
                    first = false;
                    space(random, sb);
                    string((String) e.getKey(), random, sb);
                    space(random, sb);
                    sb.append(':');
                    write(e.getValue(), random, sb);
                }
                space(random, sb);
                sb.append('}');
            }
            default -> throw new IllegalArgumentException(value.getClass().toString());
        }
    }

    private static void string(String s, Random random, StringBuilder sb) {
        sb.append('"');
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            boolean escapeAnyway = random != null && random.nextInt(5) == 0;
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append(escapeAnyway ? "\\u000A" : "\\n");
                case '\t' -> sb.append("\\t");
                case '/' -> sb.append(escapeAnyway ? "\\/" : "/");
                default -> {
                    if (c < 0x20 || escapeAnyway) {
                        String hex = String.format("%04x", (int) c);
                        sb.append("\\u").append(random != null && random.nextBoolean() ? hex.toUpperCase() : hex);
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    private static void space(Random random, StringBuilder sb) {
        if (random == null) {
            return;
        }
        for (int k = random.nextInt(3); k > 0; k--) {
            sb.append(" \t\n\r".charAt(random.nextInt(4)));
        }
    }
}
