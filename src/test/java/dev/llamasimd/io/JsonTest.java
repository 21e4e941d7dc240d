package dev.llamasimd.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.testing.Shared;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonTest {

    @Test
    void parsesEveryKindOfValue() {
        Object v = Json.parse(" {\"a\": [1, -2.5, \"x\", true, false, null, {}, []], \"b\": {\"c\": 0}} ");
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("a", new ArrayList<>(Arrays.asList(1L, -2.5, "x", true, false, null,
                new LinkedHashMap<>(), new ArrayList<>())));
        expected.put("b", Map.of("c", 0L));
        assertEquals(expected, v);
        assertInstanceOf(LinkedHashMap.class, v);
    }

    @Test
    void topLevelScalarsAreValues() {
        assertEquals(42L, Json.parse("42"));
        assertEquals("s", Json.parse("\"s\""));
        assertEquals(true, Json.parse("true"));
        assertNull(Json.parse(" null "));
    }

    @Test
    void keepsMemberOrderAndLastDuplicateWins() {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) Json.parse("{\"z\":1,\"a\":2,\"m\":3,\"a\":4}");
        assertEquals(List.of("z", "a", "m"), new ArrayList<>(m.keySet()));
        assertEquals(4L, m.get("a"));
    }

    @Test
    void numbers() {
        assertEquals(0L, Json.parse("0"));
        assertEquals(0L, Json.parse("-0"));
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, Json.parse("-9223372036854775808"));
        assertEquals(new BigInteger("9223372036854775808"), Json.parse("9223372036854775808"));
        assertEquals(new BigInteger("-123456789012345678901234567890"), Json.parse("-123456789012345678901234567890"));
        assertEquals(123456789012345678L, Json.parse("123456789012345678"));
        assertEquals(1.0, Json.parse("1.0"));
        assertEquals(-0.0, Json.parse("-0.0"));
        assertEquals(1e-5, Json.parse("1e-5"));
        assertEquals(1e-5, Json.parse("1E-05"));
        assertEquals(2.5e10, Json.parse("2.5e+10"));
        assertEquals(10000.0, Json.parse("10000.0"));
        assertEquals(Double.POSITIVE_INFINITY, Json.parse("1e400"));
        assertEquals(0.1, Json.parse("0.1"));
        assertEquals(new BigInteger("9".repeat(Json.MAX_INTEGER_DIGITS)), Json.parse("9".repeat(Json.MAX_INTEGER_DIGITS)));
        assertMessage(assertThrows(JsonException.class, () -> Json.parse("[" + "9".repeat(1_000_000) + "]")),
                "integer of 1000000 digits exceeds the limit of 4300");
        assertEquals(1.0, Json.parse("1" + "0".repeat(100_000) + "e-100000"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"01", "-01", "+1", "1.", ".5", "-", "1e", "1e+", "0x10", "NaN", "Infinity", "-Infinity",
            "1.e5", "--1", "1 2"})
    void rejectsInvalidNumbers(String text) {
        assertThrows(JsonException.class, () -> Json.parse(text));
    }

    @Test
    void stringEscapes() {
        assertEquals("\"\\/\b\f\n\r\t", Json.parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""));
        assertEquals("é", Json.parse("\"\\u00e9\""));
        assertEquals("é", Json.parse("\"\\u00E9\""));
        assertEquals("\u0000", Json.parse("\"\\u0000\""));
        String emoji = "\uD83D\uDE00";
        assertEquals(emoji, Json.parse("\"\\ud83d\\ude00\""));
        assertEquals(0x1F600, ((String) Json.parse("\"\\uD83D\\uDE00\"")).codePointAt(0));
        assertEquals("a" + emoji + "b", Json.parse("\"a" + emoji + "b\""));
        assertEquals("\uD800", Json.parse("\"\\uD800\""), "a lone surrogate is kept, as Python does");
        assertEquals("Ġthe ĊĠ", Json.parse("\"Ġthe \\u010a\\u0120\""));
        assertEquals("", Json.parse("\"\""));
        assertEquals("a\u007fb", Json.parse("\"a\u007fb\""), "DEL is not a control character in JSON");
    }

    @Test
    void stringErrors() {
        JsonException e = assertThrows(JsonException.class, () -> Json.parse("[\"abc"));
        assertTrue(e.getMessage().contains("unterminated string"), e.getMessage());
        assertEquals(1, e.index());
        e = assertThrows(JsonException.class, () -> Json.parse("\"a\tb\""));
        assertTrue(e.getMessage().contains("raw control character U+0009"), e.getMessage());
        assertEquals(2, e.index());
        e = assertThrows(JsonException.class, () -> Json.parse("\"a\\xb\""));
        assertTrue(e.getMessage().contains("invalid escape '\\x'"), e.getMessage());
        e = assertThrows(JsonException.class, () -> Json.parse("\"\\u12G4\""));
        assertTrue(e.getMessage().contains("4 hex digits"), e.getMessage());
        assertThrows(JsonException.class, () -> Json.parse("\"\\u12\""));
        assertThrows(JsonException.class, () -> Json.parse("\"\\u"));
        assertThrows(JsonException.class, () -> Json.parse("\"abc\\"));
        assertThrows(JsonException.class, () -> Json.parse("\"\\u\uFF11234\""), "full-width digits are not hex");
        assertThrows(JsonException.class, () -> Json.parse("'single'"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "[1,]", "{\"a\":1,}", "[1 2]", "{\"a\" 1}", "{a:1}", "{\"a\":}", "[", "]", "{",
            "}", "[1}", "{\"a\":1]", "tru", "nul", "falsy", "True", "[true false]", "{\"a\":1}x", "// c\n1",
            "/* c */ 1", "\f1", "\u00a01", "[,1]", "{,}", "{\"a\"}", "\"a\" \"b\""})
    void rejectsInvalidDocuments(String text) {
        assertThrows(JsonException.class, () -> Json.parse(text));
    }

    @Test
    void errorsCarryLineAndColumn() {
        JsonException e = assertThrows(JsonException.class, () -> Json.parse("{\n  \"a\": 1,\n  \"b\": tru\n}"));
        assertEquals(3, e.line());
        assertEquals(8, e.column());
        assertTrue(e.getMessage().startsWith("line 3, column 8: "), e.getMessage());
        e = assertThrows(JsonException.class, () -> Json.parse("[1,\n2,\n"));
        assertEquals(3, e.line());
        assertEquals(1, e.column());
        assertTrue(e.getMessage().contains("end of input"), e.getMessage());
        e = assertThrows(JsonException.class, () -> Json.parse("{\"a\": 1 \"b\": 2}"));
        assertEquals(1, e.line());
        assertEquals(9, e.column());
        assertTrue(e.getMessage().contains("expected ',' or '}'"), e.getMessage());
    }

    @Test
    void nestingUpToTheLimitIsAccepted() {
        int d = Json.MAX_DEPTH;
        Object v = Json.parse("[".repeat(d) + "]".repeat(d));
        for (int k = 1; k < d; k++) {
            v = ((List<?>) v).getFirst();
        }
        assertEquals(List.of(), v);
        assertEquals(Map.of("k", 1L), innermost(Json.parse("[".repeat(d - 1) + "{\"k\":1}" + "]".repeat(d - 1))));
    }

    private static Object innermost(Object v) {
        while (v instanceof List<?> l) {
            v = l.getFirst();
        }
        return v;
    }

    @Test
    void nestingBeyondTheLimitIsAnErrorNotAStackOverflow() {
        int d = Json.MAX_DEPTH;
        JsonException e = assertThrows(JsonException.class, () -> Json.parse("[".repeat(d + 1) + "]".repeat(d + 1)));
        assertTrue(e.getMessage().contains("nesting deeper than 512"), e.getMessage());
        assertEquals(d, e.index());
        assertThrows(JsonException.class, () -> Json.parse("{\"a\":".repeat(d + 1) + "1" + "}".repeat(d + 1)));
        assertThrows(JsonException.class, () -> Json.parse("[".repeat(1_000_000)));
        assertThrows(JsonException.class, () -> Json.parse("[{\"a\":".repeat(300_000)));
    }

    @Test
    void largeDocumentParsesQuickly() {
        // A tokenizer.json-sized document: a 150k-entry vocab and 150k merges (about 5 MB).
        StringBuilder sb = new StringBuilder("{\"model\": {\"type\": \"BPE\", \"vocab\": {");
        int n = 150_000;
        for (int k = 0; k < n; k++) {
            sb.append(k == 0 ? "" : ", ").append("\"Ġtok").append(k).append(k % 7 == 0 ? "\\u0120\\n" : "")
                    .append("\": ").append(k);
        }
        sb.append("}, \"merges\": [");
        for (int k = 0; k < n; k++) {
            sb.append(k == 0 ? "" : ", ").append("\"Ġa").append(k).append(" b\"");
        }
        sb.append("]}}");
        String text = sb.toString();
        assertTrue(text.length() > 4_000_000);
        Json.Obj model = Assertions.assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> Json.parseObject(text).getObject("model"));
        Json.Obj vocab = model.getObject("vocab");
        assertEquals(n, vocab.keys().size());
        assertEquals(7, vocab.getInt("Ġtok7Ġ\n"));
        assertEquals(n, model.getList("merges").size());
    }

    @Test
    void objAccessors() {
        Json.Obj o = Json.parseObject("""
                {"i": 7, "big": 3000000000, "d": 1e-5, "whole": 2.0, "s": "x", "b": true, "n": null,
                 "o": {"f": 32.0, "t": "llama3"}, "l": [1, 2], "objs": [{"id": 1}, {"id": 2}]}
                """);
        assertEquals(7, o.getInt("i"));
        assertEquals(7L, o.getLong("i"));
        assertEquals(7.0, o.getDouble("i"));
        assertEquals(3_000_000_000L, o.getLong("big"));
        assertEquals(1e-5, o.getDouble("d"));
        assertEquals(2, o.getInt("whole"));
        assertEquals("x", o.getString("s"));
        assertTrue(o.getBoolean("b"));
        assertEquals(32.0, o.getObject("o").getDouble("f"));
        assertEquals(List.of(1L, 2L), o.getList("l"));
        assertEquals(2, o.getObjectList("objs").get(1).getInt("id"));
        assertTrue(o.has("i"));
        assertFalse(o.has("n"));
        assertFalse(o.has("absent"));
        assertNull(o.optObject("n"));
        assertNull(o.optList("absent"));
        assertEquals(5, o.optInt("n", 5));
        assertEquals(5, o.optInt("absent", 5));
        assertEquals(7, o.optInt("i", 5));
        assertEquals("d", o.optString("absent", "d"));
        assertEquals(0.5, o.optDouble("absent", 0.5));
        assertTrue(o.optBoolean("absent", true));
        assertEquals(9L, o.optLong("absent", 9L));
        assertEquals(List.of("i", "big", "d", "whole", "s", "b", "n", "o", "l", "objs"), List.copyOf(o.keys()));
        assertThrows(UnsupportedOperationException.class, () -> o.members().put("x", 1L));
        assertThrows(UnsupportedOperationException.class, () -> o.getList("l").add(3L));
        @SuppressWarnings("unchecked")
        Json.Obj wrapped = Json.Obj.of((Map<String, Object>) Json.parse("{\"k\": 3}"));
        assertEquals(3, wrapped.getInt("k"));
        assertNull(wrapped.file());
    }

    @Test
    void objErrorsNameTheKey() {
        Json.Obj o = Json.parseObject("{\"s\": \"x\", \"big\": 3000000000, \"f\": 2.5, \"n\": null, \"o\": {\"t\": 1},"
                + " \"objs\": [{}, 3]}");
        assertMessage(assertThrows(JsonException.class, () -> o.getInt("absent")), "key 'absent' is missing");
        assertMessage(assertThrows(JsonException.class, () -> o.getInt("n")), "key 'n' is null");
        assertMessage(assertThrows(JsonException.class, () -> o.getInt("s")),
                "key 's' must be an integer, found a string (\"x\")");
        assertMessage(assertThrows(JsonException.class, () -> o.optInt("s", 1)), "key 's' must be an integer");
        assertMessage(assertThrows(JsonException.class, () -> o.getInt("big")), "out of the int range");
        assertMessage(assertThrows(JsonException.class, () -> o.getInt("f")), "key 'f' must be an integer, found a number (2.5)");
        assertMessage(assertThrows(JsonException.class, () -> o.getDouble("s")), "key 's' must be a number");
        assertMessage(assertThrows(JsonException.class, () -> o.getString("f")), "key 'f' must be a string");
        assertMessage(assertThrows(JsonException.class, () -> o.getBoolean("f")), "key 'f' must be a boolean");
        assertMessage(assertThrows(JsonException.class, () -> o.getList("o")), "key 'o' must be an array, found an object");
        assertMessage(assertThrows(JsonException.class, () -> o.getObject("f")), "key 'f' must be an object");
        assertMessage(assertThrows(JsonException.class, () -> o.getObject("o").getString("t")), "key 'o.t' must be a string");
        assertMessage(assertThrows(JsonException.class, () -> o.getObjectList("objs")), "key 'objs[1]' must be an object");
        assertMessage(assertThrows(JsonException.class, () -> Json.parseObject("[1]")), "is an array, not an object");
    }

    @Test
    void fileErrorsNameTheFileLineColumnAndByteOffset(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("config.json");
        Files.writeString(f, "{\n  \"name\": \"é\",\n  \"x\": @\n}");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Json.parse(f));
        assertEquals(f, e.file());
        assertEquals(25, e.offset(), "byte offset counts the two bytes of 'é'");
        assertTrue(e.getMessage().contains("line 3, column 8"), e.getMessage());
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());

        Files.writeString(f, "{\"hidden_size\": \"big\"}");
        Json.Obj o = Json.parseObject(f);
        assertEquals(f, o.file());
        e = assertThrows(ModelFormatException.class, () -> o.getInt("hidden_size"));
        assertEquals(f, e.file());
        assertMessage(e, "key 'hidden_size' must be an integer");
        assertMessage(assertThrows(ModelFormatException.class, () -> o.getInt("vocab_size")), "key 'vocab_size' is missing");
    }

    @Test
    void fileEncoding(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("t.json");
        Files.write(f, concat(new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf}, "{\"a\": \"\u00e9\uFFFD\"}"));
        assertEquals(Map.of("a", "é\uFFFD"), Json.parse(f), "a BOM is skipped; a real U+FFFD is kept");
        Files.write(f, concat(new byte[0], "{\"a\": \"x", new byte[] {(byte) 0xc3, 0x28, '"', '}'}));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Json.parse(f));
        assertEquals(8, e.offset());
        assertMessage(e, "not valid UTF-8");
    }

    @Test
    void readsTheSharedConfigFiles() {
        Path hf = Shared.require("models/tiny-kjv/hf");
        Json.Obj config = Json.parseObject(hf.resolve("config.json"));
        assertEquals(192, config.getInt("hidden_size"));
        assertEquals(10000.0, config.getDouble("rope_theta"));
        assertEquals(1e-5, config.getDouble("rms_norm_eps"));
        assertTrue(config.members().containsKey("rope_scaling"));
        assertFalse(config.has("rope_scaling"));
        assertEquals("LlamaForCausalLM", config.getList("architectures").getFirst());
        Json.Obj tok = Json.parseObject(hf.resolve("tokenizer.json"));
        assertEquals("BPE", tok.getObject("model").getString("type"));
        assertEquals(2047, tok.getObjectList("added_tokens").getFirst().getInt("id"));
        Json.Obj llama3 = Json.parseObject(Shared.require("oracles/hf/llama3/config.json"));
        assertEquals("llama3", llama3.getObject("rope_scaling").getString("rope_type"));
        assertEquals(64, llama3.getObject("rope_scaling").getInt("original_max_position_embeddings"));
    }

    private static byte[] concat(byte[] prefix, String text, byte[]... suffix) {
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        int n = prefix.length + t.length;
        for (byte[] s : suffix) {
            n += s.length;
        }
        byte[] out = new byte[n];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        System.arraycopy(t, 0, out, prefix.length, t.length);
        int at = prefix.length + t.length;
        for (byte[] s : suffix) {
            System.arraycopy(s, 0, out, at, s.length);
            at += s.length;
        }
        return out;
    }

    private static void assertMessage(Exception e, String part) {
        assertTrue(e.getMessage().contains(part), () -> "'" + e.getMessage() + "' should contain '" + part + "'");
    }
}
