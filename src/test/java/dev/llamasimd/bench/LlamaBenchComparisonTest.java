package dev.llamasimd.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.generate.CacheType;
import dev.llamasimd.io.ModelFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading llama-bench's {@code -o json} / {@code -o jsonl} output and setting it beside a {@code bench} result. */
class LlamaBenchComparisonTest {
    /** A test as llama-bench's json printer writes it (fields trimmed to those that matter, in its order). */
    private static String test(int prompt, int gen, int depth, int threads, String samples, double avg) {
        return """
                  {
                    "build_commit": "de3ff81",
                    "build_number": 6794,
                    "cpu_info": "Intel(R) Xeon(R) Processor",
                    "backends": "CPU",
                    "model_filename": "/tmp/llama-3.2-1b-Q4_0.gguf",
                    "model_type": "llama 1B Q4_0",
                    "n_threads": %d,
                    "n_prompt": %d,
                    "n_gen": %d,
                    "n_depth": %d,
                    "test_time": "2026-12-03T14:00:00Z",
                    "avg_ns": 1000,
                    "stddev_ns": 10,
                    "avg_ts": %s,
                    "stddev_ts": 0.5,
                    "samples_ns": [ 1, 2, 3 ],
                    "samples_ts": [ %s ]
                  }""".formatted(threads, prompt, gen, depth, avg, samples);
    }

    private static Benchmark.Result result(String model, int threads, int generate, boolean kvCache, Map<Integer, Double> prefill) {
        return new Benchmark.Result(model, "25", "Species[float, 16, S_512_BIT]", threads, kvCache, CacheType.F32, generate,
                100, 0, prefill, prefill, 1, 12.5, 1, 0, 0, 20e9, 700_000_000);
    }

    @Test
    void jsonArrayGivesEachTestItsMedianAndTheRunItsDefaults(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("llama-bench.json");
        Files.writeString(f, "[\n" + String.join(",\n", test(512, 0, 0, 2, "70.0, 77.9, 80.0", 75.97),
                test(0, 128, 0, 2, "13.4, 13.0, 14.1", 13.5), test(512, 128, 0, 2, "20.0", 20.0),
                test(0, 128, 512, 2, "9.0", 9.0), test(128, 0, 0, 2, "", 60.5)) + "\n]\n");
        LlamaBenchComparison.Baseline b = LlamaBenchComparison.read(f);
        assertEquals(5, b.tests().size());
        assertEquals("de3ff81 (build 6794)", b.build());
        assertEquals(77.9, b.tests().get(0).tokensPerSecond(), 1e-12, "the median of the samples");
        assertEquals(60.5, b.tests().get(4).tokensPerSecond(), 1e-12, "no samples: the mean");
        assertEquals(List.of("pp512", "tg128", "pp512+tg128", "tg128 @ depth 512", "pp128"),
                b.tests().stream().map(LlamaBenchComparison.Test::name).toList());
        assertArrayEquals(new int[] {512, 128}, b.promptLengths());
        assertEquals(128, b.generate());
        assertEquals(2, b.threads());

        Map<Integer, Double> prefill = new LinkedHashMap<>(Map.of(512, 62.32));
        LlamaBenchComparison.Comparison c = LlamaBenchComparison.compare(
                result("/elsewhere/llama-3.2-1b-Q4_0.gguf", 2, 128, true, prefill), b);
        assertEquals(List.of(new LlamaBenchComparison.Row("pp512", 62.32, 77.9), new LlamaBenchComparison.Row("tg128", 12.5, 13.4)),
                c.rows());
        assertEquals(0.8, c.rows().get(0).ratio(), 1e-12);
        assertEquals(List.of("pp512+tg128: prompt and generation in one test (llama-bench -pg)",
                "tg128 @ depth 512: a test at a depth (llama-bench -d)", "pp128: this run did not prefill 128 tokens"),
                c.notCompared());
        assertEquals(List.of(), c.notes(), "same file name, same threads");
        String table = LlamaBenchComparison.table(c);
        assertTrue(table.contains("de3ff81 (build 6794)"), table);
        assertTrue(table.lines().anyMatch(l -> l.matches("pp512 +62\\.32 +77\\.90 +0\\.80")), table);
        assertTrue(table.lines().anyMatch(l -> l.matches("tg128 +12\\.50 +13\\.40 +0\\.93")), table);
        String json = LlamaBenchComparison.json(c);
        assertTrue(json.contains("\"test\": \"pp512\", \"llama_simd_tokens_per_s\": 62.320, \"llama_cpp_tokens_per_s\": 77.900, \"ratio\": 0.8000"), json);
    }

    /** llama-bench's own output, unedited (see the README beside it): every field it writes, read as --compare-to reads it. */
    @Test
    void realLlamaBenchOutput() throws Exception {
        Path f = Path.of(LlamaBenchComparisonTest.class.getResource("llama-bench-v0.5.0-llama-3.2-1b-Q4_0.json").toURI());
        LlamaBenchComparison.Baseline b = LlamaBenchComparison.read(f);
        assertEquals("de3ff81 (build 1)", b.build());
        assertEquals(List.of("pp512", "tg128"), b.tests().stream().map(LlamaBenchComparison.Test::name).toList());
        assertEquals(73.9202, b.tests().get(0).tokensPerSecond(), 1e-12, "median of 71.7023, 74.9969, 73.9202");
        assertEquals(14.2303, b.tests().get(1).tokensPerSecond(), 1e-12, "median of 13.5722, 14.7643, 14.2303");
        assertArrayEquals(new int[] {512}, b.promptLengths());
        assertEquals(128, b.generate());
        assertEquals(2, b.threads());
        LlamaBenchComparison.Comparison c = LlamaBenchComparison.compare(
                result("/tmp/l1b-Q4_0.gguf", 2, 128, true, new LinkedHashMap<>(Map.of(512, 39.23))), b);
        assertEquals(List.of(new LlamaBenchComparison.Row("pp512", 39.23, 73.9202), new LlamaBenchComparison.Row("tg128", 12.5, 14.2303)),
                c.rows());
        assertEquals(List.of(), c.notCompared());
        assertEquals(List.of(), c.notes());
    }

    @Test
    void jsonlAndWhatDiffersBetweenTheRuns(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("llama-bench.jsonl");
        Files.writeString(f, test(16, 0, 0, 4, "100.0, 110.0", 105).replaceAll("\\s*\n\\s*", " ") + "\n\n"
                + test(0, 64, 0, 4, "10.0, 12.0", 11).replaceAll("\\s*\n\\s*", " ") + "\n");
        LlamaBenchComparison.Baseline b = LlamaBenchComparison.read(f);
        assertEquals(105.0, b.tests().get(0).tokensPerSecond(), 1e-12, "the median of two samples is their mean");
        LlamaBenchComparison.Comparison c = LlamaBenchComparison.compare(
                result("/m/other.gguf", 2, 128, true, Map.of(16, 50.0)), b);
        assertEquals(1, c.rows().size());
        assertEquals(List.of("tg64: this run decoded 128 tokens"), c.notCompared());
        assertEquals(List.of("llama-bench ran 4 threads, this run 2", "llama-bench ran llama-3.2-1b-Q4_0.gguf, this run other.gguf"),
                c.notes());
        LlamaBenchComparison.Comparison uncached = LlamaBenchComparison.compare(
                result("/m/other.gguf", 4, 64, false, Map.of()), b);
        assertTrue(uncached.rows().isEmpty());
        assertEquals(List.of("pp16: this run did not prefill 16 tokens", "tg64: this run decoded without the KV cache"),
                uncached.notCompared());
        assertTrue(LlamaBenchComparison.table(uncached).contains("(no test of the file was measured by this run)"));
    }

    @Test
    void badFilesNameTheFileTheTestAndTheKey(@TempDir Path dir) throws Exception {
        assertEquals("test 2: key 'n_gen' is missing", error(dir, "[" + test(8, 0, 0, 1, "1", 1) + ", {\"n_prompt\": 4}]"));
        assertEquals("test 1: key 'n_prompt' must be an integer, found a string (\"8\")",
                error(dir, "[" + test(8, 0, 0, 1, "1", 1).replace("\"n_prompt\": 8", "\"n_prompt\": \"8\"") + "]"));
        assertEquals("test 1: n_prompt 0, n_gen 0, n_depth 0: not a llama-bench test", error(dir, "[" + test(0, 0, 0, 1, "1", 1) + "]"));
        assertEquals("test 1: tokens/s 0.0 is not a positive number", error(dir, "[" + test(8, 0, 0, 1, "", 0) + "]"));
        assertEquals("test 1: key 'samples_ts' element 1 is not a number", error(dir, "[" + test(8, 0, 0, 1, "1, \"x\"", 1) + "]"));
        assertEquals("test 1 is not a JSON object", error(dir, "[3]"));
        assertEquals("holds no llama-bench test", error(dir, "[]"));
        assertEquals("holds no llama-bench test", error(dir, "\n \n"));
        assertTrue(error(dir, "| model | size |\n| --- | --- |\n").startsWith("line 1 is not a llama-bench JSON test (-o json or -o jsonl): "));
        assertTrue(error(dir, "[{\"n_prompt\": 1,").startsWith("(at byte 16): invalid JSON: line 1, column 17: "), "a JSON syntax error gives its offset");
        Path latin1 = dir.resolve("latin1.jsonl");
        Files.write(latin1, "{\"model_filename\": \"caf\u00e9\"}\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaBenchComparison.read(latin1));
        assertEquals(latin1 + " (at byte 23): not valid UTF-8", e.getMessage(), "either format: bytes that are not UTF-8 give their offset");
    }

    private static String error(Path dir, String content) throws Exception {
        Path f = dir.resolve("bad.json");
        Files.writeString(f, content);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaBenchComparison.read(f));
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        String rest = e.getMessage().substring(f.toString().length());
        return rest.startsWith(": ") ? rest.substring(2) : rest.strip();
    }
}
