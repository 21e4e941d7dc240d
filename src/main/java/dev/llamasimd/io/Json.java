package dev.llamasimd.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A strict RFC 8259 JSON parser with no dependencies, for {@code config.json},
 * {@code tokenizer.json} and safetensors headers.
 *
 * <p>Values map to Java as follows: object → {@code LinkedHashMap<String, Object>} (member order
 * kept; for a duplicate key the last value wins, as in Python), array → {@code ArrayList<Object>},
 * string → {@link String}, {@code true}/{@code false} → {@link Boolean}, {@code null} →
 * {@code null}. A number without fraction or exponent is a {@link Long} when it fits and a
 * {@link BigInteger} otherwise (exact, as Python's {@code int}, up to {@link #MAX_INTEGER_DIGITS}
 * digits); any other number is a {@link Double} (one too large for a double becomes an infinity,
 * as in Python).
 *
 * <p>Strict means: no comments, no trailing commas, no {@code NaN}/{@code Infinity}, no leading
 * zeros or {@code +} signs, no raw control characters in strings, nothing after the value. Escapes
 * <code>&#92;uXXXX</code> are decoded as UTF-16 units, so surrogate pairs form one code point; a lone
 * surrogate is kept as is (Python does the same). The parser is iterative, and nesting deeper than
 * {@link #MAX_DEPTH} containers is an error, so hostile input cannot exhaust the stack.
 */
public final class Json {
    /** The deepest nesting of arrays and objects accepted. */
    public static final int MAX_DEPTH = 512;
    /** The most digits an integer may have (Python's default {@code int} conversion limit). */
    public static final int MAX_INTEGER_DIGITS = 4300;

    private Json() {}

    /**
     * Parses one JSON text.
     *
     * @throws JsonException with the line and column if the text is not valid JSON
     */
    public static Object parse(String text) {
        return new Parser(text).document();
    }

    /**
     * Parses a UTF-8 JSON file (a leading byte-order mark is skipped).
     *
     * @throws ModelFormatException naming the file, the byte offset and the line and column if the
     *     file is not valid UTF-8 or not valid JSON
     * @throws UncheckedIOException if the file cannot be read
     */
    public static Object parse(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        int bom = bytes.length >= 3 && (bytes[0] & 0xff) == 0xef && (bytes[1] & 0xff) == 0xbb
                && (bytes[2] & 0xff) == 0xbf ? 3 : 0;
        return parse(bytes, bom, bytes.length - bom, file, bom, "");
    }

    /** Parses a JSON text whose top level must be an object. */
    public static Obj parseObject(String text) {
        return new Obj(topObject(parse(text), null), null, "");
    }

    /** Parses a JSON file whose top level must be an object; errors name the file. */
    public static Obj parseObject(Path file) {
        return new Obj(topObject(parse(file), file), file, "");
    }

    /**
     * Decodes {@code len} bytes of strict UTF-8 and parses them; every error becomes a
     * {@link ModelFormatException} at the byte offset in {@code file}, where the bytes start at
     * {@code fileOffset}, with the message prefixed by {@code what}.
     */
    static Object parse(byte[] bytes, int off, int len, Path file, long fileOffset, String what) {
        return parse(utf8(bytes, off, len, file, fileOffset, what), file, fileOffset, what);
    }

    /**
     * The bytes of {@code file}, already read by the caller, as strict UTF-8.
     *
     * @throws ModelFormatException naming the file and the byte offset if they are not valid UTF-8
     */
    public static String utf8(byte[] bytes, Path file) {
        return utf8(bytes, 0, bytes.length, file, 0, "");
    }

    /**
     * Parses the whole text of {@code file}, read by the caller ({@link #utf8}).
     *
     * @throws ModelFormatException naming the file, the byte offset and the line and column if
     *     the text is not valid JSON
     */
    public static Object parse(String text, Path file) {
        return parse(text, file, 0, "");
    }

    private static String utf8(byte[] bytes, int off, int len, Path file, long fileOffset, String what) {
        String text = new String(bytes, off, len, StandardCharsets.UTF_8);
        if (text.indexOf('\uFFFD') >= 0) {
            requireUtf8(bytes, off, len, file, fileOffset, what);
        }
        return text;
    }

    private static Object parse(String text, Path file, long fileOffset, String what) {
        try {
            return parse(text);
        } catch (JsonException e) {
            long at = fileOffset + text.substring(0, e.index()).getBytes(StandardCharsets.UTF_8).length;
            var ex = new ModelFormatException(file, at, what + "invalid JSON: " + e.getMessage());
            ex.initCause(e);
            throw ex;
        }
    }

    private static void requireUtf8(byte[] bytes, int off, int len, Path file, long fileOffset, String what) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, off, len);
        CoderResult result = decoder.decode(in, CharBuffer.allocate(len), true);
        if (result.isError()) {
            throw new ModelFormatException(file, fileOffset + in.position() - off, what + "not valid UTF-8");
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> topObject(Object value, Path file) {
        if (value instanceof Map<?, ?> map) {
            return (Map<String, Object>) map;
        }
        String what = "the top-level JSON value is " + describe(value) + ", not an object";
        throw file != null ? new ModelFormatException(file, what) : new JsonException(what);
    }

    /** {@code s} as a JSON string literal: quotes, backslashes and control characters escaped. */
    public static String quote(String s) {
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

    /** A short description of a parsed value for messages: its JSON type and a preview. */
    static String describe(Object value) {
        return switch (value) {
            case null -> "null";
            case String s -> "a string (\"" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\")";
            case Boolean b -> "a boolean (" + b + ")";
            case Number x -> "a number (" + x + ")";
            case Map<?, ?> _ -> "an object";
            case List<?> _ -> "an array";
            default -> value.getClass().getSimpleName();
        };
    }

    /** An open container on the parser's explicit stack. */
    private sealed interface Frame {}

    private record ArrayFrame(List<Object> values) implements Frame {}

    private static final class ObjectFrame implements Frame {
        final Map<String, Object> members = new LinkedHashMap<>();
        String key;
    }

    /** Iterative recursive-descent parser over a String. */
    private static final class Parser {
        private final String s;
        private final int n;
        private int i;

        Parser(String s) {
            this.s = s;
            this.n = s.length();
        }

        Object document() {
            skipWhitespace();
            Object value = parseValue();
            skipWhitespace();
            if (i < n) {
                throw error(i, "unexpected " + found(i) + " after the JSON value");
            }
            return value;
        }

        /** Parses one value; containers are tracked on an explicit stack, not the call stack. */
        private Object parseValue() {
            Deque<Frame> stack = new ArrayDeque<>();
            while (true) {
                skipWhitespace();
                Object value;
                if (i >= n) {
                    throw error(i, "expected a value, found end of input");
                }
                char c = s.charAt(i);
                switch (c) {
                    case '{', '[' -> {
                        if (stack.size() >= MAX_DEPTH) {
                            throw error(i, "nesting deeper than " + MAX_DEPTH + " arrays and objects");
                        }
                        i++;
                        skipWhitespace();
                        if (c == '{') {
                            var frame = new ObjectFrame();
                            if (i < n && s.charAt(i) == '}') {
                                i++;
                                value = frame.members;
                            } else {
                                frame.key = memberName();
                                stack.push(frame);
                                continue;
                            }
                        } else {
                            var frame = new ArrayFrame(new ArrayList<>());
                            if (i < n && s.charAt(i) == ']') {
                                i++;
                                value = frame.values;
                            } else {
                                stack.push(frame);
                                continue;
                            }
                        }
                    }
                    case '"' -> value = string();
                    case 't' -> value = literal("true", Boolean.TRUE);
                    case 'f' -> value = literal("false", Boolean.FALSE);
                    case 'n' -> value = literal("null", null);
                    case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9' -> value = number();
                    default -> throw error(i, "expected a value, found " + found(i));
                }
                // Hand the value to its container and close every container that ends here;
                // after a ',' go back to read the next value.
                attach:
                while (true) {
                    Frame top = stack.peek();
                    if (top == null) {
                        return value;
                    }
                    skipWhitespace();
                    char next = i < n ? s.charAt(i) : 0;
                    switch (top) {
                        case ArrayFrame a -> {
                            a.values.add(value);
                            if (next == ']') {
                                i++;
                                stack.pop();
                                value = a.values;
                                continue attach;
                            }
                            if (next != ',') {
                                throw error(i, "expected ',' or ']' in an array, found " + found(i));
                            }
                            i++;
                        }
                        case ObjectFrame o -> {
                            o.members.put(o.key, value);
                            if (next == '}') {
                                i++;
                                stack.pop();
                                value = o.members;
                                continue attach;
                            }
                            if (next != ',') {
                                throw error(i, "expected ',' or '}' in an object, found " + found(i));
                            }
                            i++;
                            skipWhitespace();
                            o.key = memberName();
                        }
                    }
                    break;
                }
            }
        }

        /** Reads {@code "name" :} and returns the name. */
        private String memberName() {
            if (i >= n || s.charAt(i) != '"') {
                throw error(i, "expected '\"' to start a member name, found " + found(i));
            }
            String key = string();
            skipWhitespace();
            if (i >= n || s.charAt(i) != ':') {
                throw error(i, "expected ':' after the member name, found " + found(i));
            }
            i++;
            return key;
        }

        private Object literal(String word, Boolean value) {
            if (!s.startsWith(word, i)) {
                throw error(i, "invalid literal, expected '" + word + "'");
            }
            i += word.length();
            return value;
        }

        private Object number() {
            int start = i;
            boolean negative = s.charAt(i) == '-';
            if (negative) {
                i++;
            }
            if (i < n && s.charAt(i) == '0') {
                i++;
                if (i < n && isDigit(s.charAt(i))) {
                    throw error(start, "leading zeros are not allowed in a number");
                }
            } else if (i < n && isDigit(s.charAt(i))) {
                while (i < n && isDigit(s.charAt(i))) {
                    i++;
                }
            } else {
                throw error(i, "expected a digit, found " + found(i));
            }
            int intEnd = i;
            boolean integral = true;
            if (i < n && s.charAt(i) == '.') {
                integral = false;
                i++;
                digits("after the decimal point");
            }
            if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
                integral = false;
                i++;
                if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                    i++;
                }
                digits("in the exponent");
            }
            if (!integral) {
                return Double.parseDouble(s.substring(start, i));
            }
            int digitsStart = negative ? start + 1 : start;
            if (intEnd - digitsStart <= 18) {
                long v = 0;
                for (int k = digitsStart; k < intEnd; k++) {
                    v = v * 10 + (s.charAt(k) - '0');
                }
                return negative ? -v : v;
            }
            if (intEnd - digitsStart > MAX_INTEGER_DIGITS) {
                throw error(start, "integer of " + (intEnd - digitsStart) + " digits exceeds the limit of "
                        + MAX_INTEGER_DIGITS);
            }
            BigInteger big = new BigInteger(s.substring(start, intEnd));
            return big.bitLength() < 64 ? (Object) big.longValue() : big;
        }

        private void digits(String where) {
            if (i >= n || !isDigit(s.charAt(i))) {
                throw error(i, "expected a digit " + where + ", found " + found(i));
            }
            while (i < n && isDigit(s.charAt(i))) {
                i++;
            }
        }

        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }

        /** Reads a string starting at its opening quote. */
        private String string() {
            int open = i;
            int start = ++i;
            while (i < n) {
                char c = s.charAt(i);
                if (c == '"') {
                    return s.substring(start, i++);
                }
                if (c == '\\' || c < 0x20) {
                    break;
                }
                i++;
            }
            StringBuilder sb = new StringBuilder(i - start + 16).append(s, start, i);
            while (true) {
                if (i >= n) {
                    throw error(open, "unterminated string starting here");
                }
                char c = s.charAt(i);
                if (c == '"') {
                    i++;
                    return sb.toString();
                }
                if (c < 0x20) {
                    throw error(i, "raw control character " + found(i) + " in a string (it must be escaped)");
                }
                if (c != '\\') {
                    sb.append(c);
                    i++;
                    continue;
                }
                if (i + 1 >= n) {
                    throw error(open, "unterminated string starting here");
                }
                char e = s.charAt(i + 1);
                switch (e) {
                    case '"', '\\', '/' -> sb.append(e);
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> sb.append(hex4(i));
                    default -> throw error(i, "invalid escape '\\" + e + "' in a string");
                }
                i += e == 'u' ? 6 : 2;
            }
        }

        /** The char of the <code>&#92;uXXXX</code> escape at {@code at}. */
        private char hex4(int at) {
            int v = 0;
            for (int k = at + 2; k < at + 6; k++) {
                int d = k < n ? hexValue(s.charAt(k)) : -1;
                if (d < 0) {
                    throw error(at, "invalid \\u escape: expected 4 hex digits");
                }
                v = v << 4 | d;
            }
            return (char) v;
        }

        private static int hexValue(char c) {
            if (c >= '0' && c <= '9') {
                return c - '0';
            }
            if (c >= 'a' && c <= 'f') {
                return c - 'a' + 10;
            }
            return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        }

        private void skipWhitespace() {
            while (i < n) {
                char c = s.charAt(i);
                if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                    return;
                }
                i++;
            }
        }

        private String found(int at) {
            if (at >= n) {
                return "end of input";
            }
            char c = s.charAt(at);
            return c < 0x20 || c >= 0x7f ? String.format("U+%04X", (int) c) : "'" + c + "'";
        }

        private JsonException error(int at, String what) {
            return new JsonException(s, at, what);
        }
    }

    /**
     * A typed, read-only view of a JSON object, for reading configuration files. Getters throw an
     * error naming the key (as a path from the file's top level, like {@code rope_scaling.factor})
     * and the file when the key is missing or holds the wrong type: a {@link ModelFormatException}
     * for an object read from a file, a {@link JsonException} otherwise. {@code opt*} getters
     * return the default when the key is absent or JSON {@code null}, and still fail on a wrong type.
     */
    public static final class Obj {
        private final Map<String, Object> members;
        private final Path file;
        private final String at;

        private Obj(Map<String, Object> members, Path file, String at) {
            this.members = Collections.unmodifiableMap(members);
            this.file = file;
            this.at = at;
        }

        /** Wraps an already parsed object; errors will name no file. */
        public static Obj of(Map<String, Object> members) {
            return new Obj(members, null, "");
        }

        /** The members, in file order (read-only). */
        public Map<String, Object> members() {
            return members;
        }

        /** The file this object was read from, or {@code null}. */
        public Path file() {
            return file;
        }

        public Set<String> keys() {
            return members.keySet();
        }

        /** Whether the key is present with a value other than JSON {@code null}. */
        public boolean has(String key) {
            return members.get(key) != null;
        }

        /** The raw parsed value, or {@code null} when absent or JSON {@code null}. */
        public Object get(String key) {
            return members.get(key);
        }

        public String getString(String key) {
            return string(key, require(key));
        }

        public String optString(String key, String defaultValue) {
            Object v = members.get(key);
            return v == null ? defaultValue : string(key, v);
        }

        /** An integer that fits an int (a number like {@code 2.0} with no fraction is accepted). */
        public int getInt(String key) {
            return toInt(key, require(key));
        }

        public int optInt(String key, int defaultValue) {
            Object v = members.get(key);
            return v == null ? defaultValue : toInt(key, v);
        }

        /** An integer that fits a long (a number like {@code 2.0} with no fraction is accepted). */
        public long getLong(String key) {
            return toLong(key, require(key));
        }

        public long optLong(String key, long defaultValue) {
            Object v = members.get(key);
            return v == null ? defaultValue : toLong(key, v);
        }

        /** Any number, as a double. */
        public double getDouble(String key) {
            return toDouble(key, require(key));
        }

        public double optDouble(String key, double defaultValue) {
            Object v = members.get(key);
            return v == null ? defaultValue : toDouble(key, v);
        }

        public boolean getBoolean(String key) {
            return toBoolean(key, require(key));
        }

        public boolean optBoolean(String key, boolean defaultValue) {
            Object v = members.get(key);
            return v == null ? defaultValue : toBoolean(key, v);
        }

        public Obj getObject(String key) {
            return object(require(key), name(key));
        }

        /** The nested object, or {@code null} when absent or JSON {@code null}. */
        public Obj optObject(String key) {
            Object v = members.get(key);
            return v == null ? null : object(v, name(key));
        }

        /** The array (read-only). */
        public List<Object> getList(String key) {
            return list(key, require(key));
        }

        /** The array (read-only), or {@code null} when absent or JSON {@code null}. */
        public List<Object> optList(String key) {
            Object v = members.get(key);
            return v == null ? null : list(key, v);
        }

        /** An array whose every element is an object; errors name the element as {@code key[i]}. */
        public List<Obj> getObjectList(String key) {
            List<Object> values = getList(key);
            List<Obj> result = new ArrayList<>(values.size());
            for (int k = 0; k < values.size(); k++) {
                result.add(object(values.get(k), name(key) + "[" + k + "]"));
            }
            return result;
        }

        @Override
        public String toString() {
            return (file != null ? file + " " : "") + (at.isEmpty() ? "{...}" : at) + " " + members.keySet();
        }

        private String name(String key) {
            return at.isEmpty() ? key : at + "." + key;
        }

        private Object require(String key) {
            Object v = members.get(key);
            if (v == null) {
                throw fail(name(key), members.containsKey(key) ? "is null" : "is missing");
            }
            return v;
        }

        private String string(String key, Object v) {
            if (v instanceof String s) {
                return s;
            }
            throw wrongType(key, "a string", v);
        }

        private int toInt(String key, Object v) {
            long x = toLong(key, v);
            if (x != (int) x) {
                throw fail(name(key), "is " + x + ", out of the int range");
            }
            return (int) x;
        }

        private long toLong(String key, Object v) {
            return switch (v) {
                case Long x -> x;
                case Double d when d == Math.rint(d) && Math.abs(d) < 0x1p63 -> d.longValue();
                case BigInteger b -> throw fail(name(key), "is " + b + ", out of the long range");
                default -> throw wrongType(key, "an integer", v);
            };
        }

        private double toDouble(String key, Object v) {
            if (v instanceof Number x) {
                return x.doubleValue();
            }
            throw wrongType(key, "a number", v);
        }

        private boolean toBoolean(String key, Object v) {
            if (v instanceof Boolean b) {
                return b;
            }
            throw wrongType(key, "a boolean", v);
        }

        @SuppressWarnings("unchecked")
        private Obj object(Object v, String path) {
            if (v instanceof Map<?, ?> m) {
                return new Obj((Map<String, Object>) m, file, path);
            }
            throw fail(path, "must be an object, found " + describe(v));
        }

        @SuppressWarnings("unchecked")
        private List<Object> list(String key, Object v) {
            if (v instanceof List<?> l) {
                return Collections.unmodifiableList((List<Object>) l);
            }
            throw wrongType(key, "an array", v);
        }

        private RuntimeException wrongType(String key, String expected, Object v) {
            return fail(name(key), "must be " + expected + ", found " + describe(v));
        }

        private RuntimeException fail(String path, String what) {
            String message = "key '" + path + "' " + what;
            return file != null ? new ModelFormatException(file, message) : new JsonException(message);
        }
    }
}
