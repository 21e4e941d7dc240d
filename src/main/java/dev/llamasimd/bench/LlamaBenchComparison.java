package dev.llamasimd.bench;

import dev.llamasimd.io.Json;
import dev.llamasimd.io.JsonException;
import dev.llamasimd.io.ModelFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code bench --compare-to}: the tests of a llama.cpp {@code llama-bench -o json} (or {@code -o jsonl})
 * file beside the same tests of a {@link Benchmark} run, as the ratio llama-simd ÷ llama.cpp.
 *
 * <p>A prompt test ({@code n_prompt > 0, n_gen = 0}) is {@code ppN}, a generation test
 * ({@code n_prompt = 0, n_gen > 0}) {@code tgN}; both run from an empty context in llama-bench,
 * as in {@code bench}. Tests at a depth ({@code -d}) or of prompt and generation together
 * ({@code -pg}) have no counterpart here and are listed as not compared. llama.cpp's rate is
 * the median of its samples ({@code samples_ts}), as {@code bench} reports medians; a file
 * without samples gives its mean ({@code avg_ts}).
 */
public final class LlamaBenchComparison {
    /** Bigger than any llama-bench output; a larger file is not one. */
    private static final long MAX_BYTES = 16 << 20;

    /** One llama-bench test: {@code name} is {@code ppN} or {@code tgN}, or a description of a test not compared. */
    public record Test(String name, int prompt, int generate, int depth, int threads, String modelFile,
                       double tokensPerSecond) {
        /** Whether {@code bench} measures the same thing: a prompt alone or a generation alone, from an empty context. */
        public boolean comparable() {
            return depth == 0 && (prompt > 0) != (generate > 0);
        }
    }

    /** The tests of a llama-bench file, with what identifies its run. */
    public record Baseline(Path path, String build, List<Test> tests) {
        public Baseline {
            tests = List.copyOf(tests);
        }

        /** The prompt lengths of its comparable prompt tests, in file order, without repeats. */
        public int[] promptLengths() {
            return tests.stream().filter(t -> t.comparable() && t.prompt() > 0).mapToInt(Test::prompt).distinct().toArray();
        }

        /** The generated length of its first comparable generation test, or 0 without one. */
        public int generate() {
            return tests.stream().filter(t -> t.comparable() && t.generate() > 0).mapToInt(Test::generate).findFirst().orElse(0);
        }

        /** The thread count every test ran with, or 0 when they differ. */
        public int threads() {
            int[] counts = tests.stream().mapToInt(Test::threads).distinct().toArray();
            return counts.length == 1 ? counts[0] : 0;
        }
    }

    /** A row of the comparison. */
    public record Row(String test, double llamaSimd, double llamaCpp) {
        public double ratio() {
            return llamaSimd / llamaCpp;
        }
    }

    /** The rows both runs have, and what could not be compared, and why. */
    public record Comparison(Baseline file, List<Row> rows, List<String> notCompared, List<String> notes) {
        public Comparison {
            rows = List.copyOf(rows);
            notCompared = List.copyOf(notCompared);
            notes = List.copyOf(notes);
        }
    }

    private LlamaBenchComparison() {}

    /**
     * Reads a llama-bench {@code -o json} file (an array of tests) or {@code -o jsonl} file (a test
     * per line).
     *
     * @throws ModelFormatException naming the file, and the test and key at fault
     * @throws UncheckedIOException if the file cannot be read
     */
    public static Baseline read(Path path) {
        byte[] bytes;
        try {
            long size = Files.size(path);
            if (size > MAX_BYTES) {
                throw new ModelFormatException(path, "is " + size + " bytes, not a llama-bench result (at most "
                        + MAX_BYTES + ")");
            }
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
        }
        String text = Json.utf8(bytes, path);
        List<Object> values = new ArrayList<>();
        if (text.strip().startsWith("[")) {
            Object top = Json.parse(text, path);
            if (!(top instanceof List<?> list)) {
                throw new ModelFormatException(path, "is not a JSON array of llama-bench tests");
            }
            values.addAll(list);
        } else {
            String[] lines = text.split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                if (lines[i].isBlank()) {
                    continue;
                }
                try {
                    values.add(Json.parse(lines[i]));
                } catch (JsonException e) {
                    throw new ModelFormatException(path, "line " + (i + 1) + " is not a llama-bench JSON test (-o json"
                            + " or -o jsonl): " + e.getMessage());
                }
            }
        }
        if (values.isEmpty()) {
            throw new ModelFormatException(path, "holds no llama-bench test");
        }
        List<Test> tests = new ArrayList<>();
        String build = null;
        for (int i = 0; i < values.size(); i++) {
            if (!(values.get(i) instanceof Map<?, ?> m)) {
                throw new ModelFormatException(path, "test " + (i + 1) + " is not a JSON object");
            }
            @SuppressWarnings("unchecked")
            Json.Obj o = Json.Obj.of((Map<String, Object>) m);
            try {
                tests.add(test(o));
                if (build == null && o.has("build_commit")) {
                    build = o.getString("build_commit") + (o.has("build_number") ? " (build " + o.getLong("build_number") + ")" : "");
                }
            } catch (JsonException e) {
                throw new ModelFormatException(path, "test " + (i + 1) + ": " + e.getMessage());
            }
        }
        return new Baseline(path, build == null ? "unknown build" : build, tests);
    }

    private static Test test(Json.Obj o) {
        int prompt = o.getInt("n_prompt");
        int generate = o.getInt("n_gen");
        int depth = o.optInt("n_depth", 0);
        if (prompt < 0 || generate < 0 || depth < 0 || prompt + generate == 0) {
            throw new JsonException("n_prompt " + prompt + ", n_gen " + generate + ", n_depth " + depth
                    + ": not a llama-bench test");
        }
        List<Object> samples = o.optList("samples_ts");
        double rate = samples == null || samples.isEmpty() ? o.getDouble("avg_ts") : median(samples);
        if (!(rate > 0) || Double.isInfinite(rate)) {
            throw new JsonException("tokens/s " + rate + " is not a positive number");
        }
        String name = depth == 0 && prompt > 0 && generate == 0 ? "pp" + prompt
                : depth == 0 && prompt == 0 ? "tg" + generate
                : (prompt > 0 ? "pp" + prompt : "") + (prompt > 0 && generate > 0 ? "+" : "")
                        + (generate > 0 ? "tg" + generate : "") + (depth > 0 ? " @ depth " + depth : "");
        return new Test(name, prompt, generate, depth, o.optInt("n_threads", 0), o.optString("model_filename", ""), rate);
    }

    private static double median(List<Object> samples) {
        double[] v = new double[samples.size()];
        for (int i = 0; i < v.length; i++) {
            if (!(samples.get(i) instanceof Number n)) {
                throw new JsonException("key 'samples_ts' element " + i + " is not a number");
            }
            v[i] = n.doubleValue();
        }
        Arrays.sort(v);
        int h = v.length / 2;
        return v.length % 2 == 1 ? v[h] : (v[h - 1] + v[h]) / 2;
    }

    /** Each test of {@code file} beside the same test of {@code r}, and every test that has no counterpart, with why. */
    public static Comparison compare(Benchmark.Result r, Baseline file) {
        List<Row> rows = new ArrayList<>();
        Set<String> notCompared = new LinkedHashSet<>();
        for (Test t : file.tests()) {
            Double ours = null;
            String why;
            if (!t.comparable()) {
                why = t.depth() > 0 ? "a test at a depth (llama-bench -d)" : "prompt and generation in one test (llama-bench -pg)";
            } else if (t.prompt() > 0) {
                ours = r.prefillTokensPerSecond().get(t.prompt());
                why = "this run did not prefill " + t.prompt() + " tokens";
            } else {
                ours = r.useKvCache() && r.generate() == t.generate() ? r.decodeTokensPerSecond() : null;
                why = !r.useKvCache() ? "this run decoded without the KV cache"
                        : "this run decoded " + r.generate() + " tokens";
            }
            if (ours != null) {
                rows.add(new Row(t.name(), ours, t.tokensPerSecond()));
            } else {
                notCompared.add(t.name() + ": " + why);
            }
        }
        List<String> notes = new ArrayList<>();
        Set<Integer> threads = file.tests().stream().map(Test::threads).filter(n -> n > 0).collect(Collectors.toCollection(LinkedHashSet::new));
        if (!threads.isEmpty() && !threads.equals(Set.of(r.threads()))) {
            notes.add("llama-bench ran " + threads.stream().map(String::valueOf).collect(Collectors.joining(", "))
                    + " threads, this run " + r.threads());
        }
        String ours = fileName(r.model());
        Set<String> models = file.tests().stream().map(Test::modelFile).filter(m -> !m.isEmpty())
                .map(LlamaBenchComparison::fileName).collect(Collectors.toCollection(LinkedHashSet::new));
        if (!models.isEmpty() && !models.equals(Set.of(ours))) {
            notes.add("llama-bench ran " + String.join(", ", models) + ", this run " + ours);
        }
        return new Comparison(file, rows, List.copyOf(notCompared), notes);
    }

    /** What follows the last slash or backslash: llama-bench's paths may be from another system. */
    private static String fileName(String path) {
        return path.substring(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
    }

    /** The comparison as a table: test, llama-simd tokens/s, llama.cpp tokens/s, ratio; then what was not compared. */
    public static String table(Comparison c) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "vs llama.cpp  %s, %s%n", c.file().path(), c.file().build()));
        b.append(String.format(Locale.ROOT, "%-10s %12s %12s %8s%n", "test", "llama-simd", "llama.cpp", "ratio"));
        for (Row row : c.rows()) {
            b.append(String.format(Locale.ROOT, "%-10s %12.2f %12.2f %8.2f%n", row.test(), row.llamaSimd(), row.llamaCpp(),
                    row.ratio()));
        }
        if (c.rows().isEmpty()) {
            b.append(String.format("(no test of the file was measured by this run)%n"));
        }
        for (String n : c.notCompared()) {
            b.append(String.format("not compared: %s%n", n));
        }
        for (String n : c.notes()) {
            b.append(String.format("note: %s%n", n));
        }
        return b.toString().stripTrailing();
    }

    /** The comparison as a JSON object (for {@code bench --json}). */
    public static String json(Comparison c) {
        String rows = c.rows().stream()
                .map(r -> String.format(Locale.ROOT, "{\"test\": %s, \"llama_simd_tokens_per_s\": %.3f, "
                        + "\"llama_cpp_tokens_per_s\": %.3f, \"ratio\": %.4f}", Json.quote(r.test()), r.llamaSimd(),
                        r.llamaCpp(), r.ratio()))
                .collect(Collectors.joining(", ", "[", "]"));
        return String.format(Locale.ROOT, "{\"file\": %s, \"build\": %s, \"tests\": %s, \"not_compared\": %s, \"notes\": %s}",
                Json.quote(c.file().path().toString()), Json.quote(c.file().build()), rows, strings(c.notCompared()),
                strings(c.notes()));
    }

    private static String strings(List<String> values) {
        return values.stream().map(Json::quote).collect(Collectors.joining(", ", "[", "]"));
    }
}
