package dev.llamasimd.cli;

import static dev.llamasimd.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.cli.Cli.Run;
import dev.llamasimd.io.Json;
import dev.llamasimd.testing.Shared;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench} on the shipped model: every reported field, the warm-up, the context sweep, bad arguments. */
class BenchCommandTest {
    private static final String MODEL = Shared.weights("tiny-kjv-Q8_0.gguf").toString();

    @Test
    void jsonHasEveryFieldWithSaneValues() {
        Run r = run("bench", "--model", MODEL, "--prompt", "4,9", "--gen", "3", "--repeat", "1", "--threads", "2",
                "--warm-up", "--json");
        assertEquals(0, r.exit(), r.err());
        Json.Obj o = Json.parseObject(r.out());
        Json.Obj prefill = o.getObject("prefill_tokens_per_s");
        assertTrue(prefill.getDouble("4") > 0 && prefill.getDouble("9") > 0, r.out());
        assertTrue(o.getObject("ttft_ms").getDouble("9") > 0, r.out());
        for (String key : List.of("decode_tokens_per_s", "cold_prefill_tokens_per_s", "bandwidth_gb_s", "decode_efficiency")) {
            assertTrue(o.getDouble(key) > 0, key + " in " + r.out());
        }
        assertTrue(o.getLong("peak_rss_bytes") > 0 && o.getLong("bytes_per_token") > 0, r.out());
        assertTrue(o.getLong("warm_up_ms") > 0, "the warm-up ran: " + r.out());
        assertTrue(o.getDouble("alloc_bytes_per_token") >= 0 && o.getDouble("warm_up_alloc_bytes_per_token") >= 0, r.out());
        assertEquals(2, o.getInt("threads"));
        assertTrue(o.getBoolean("kv_cache"));
        assertTrue(o.getString("vector_species").contains("float"), r.out());
        assertTrue(r.err().contains("bench: warm-up"), r.err());
    }

    @Test
    void tableWithoutKvCacheAndWithoutWarmUp() {
        Run r = run("bench", "--model", MODEL, "--prompt", "5", "--gen", "2", "--repeat", "1", "--threads", "1",
                "--no-kv-cache");
        assertEquals(0, r.exit(), r.err());
        for (String line : List.of("pp5", "before the JIT warmed up", "no KV cache", "roofline", "peak RSS",
                "bytes of heap allocated per decoded token in the timed runs (")) {
            assertTrue(r.out().contains(line), line + " in " + r.out());
        }
        assertTrue(r.out().lines().noneMatch(l -> l.startsWith("warm-up")), r.out());
    }

    @Test
    void sweepWritesCsvAndSvg(@TempDir Path dir) throws Exception {
        Path prefix = dir.resolve("sweep");
        Run r = run("bench", "--model", MODEL, "--prompt", "4", "--gen", "2", "--repeat", "1", "--threads", "2",
                "--sweep-context", "--sweep-max", "24", "--sweep-out", prefix.toString());
        assertEquals(0, r.exit(), r.err());
        List<String> csv = Files.readAllLines(dir.resolve("sweep.csv"));
        assertTrue(csv.size() >= 3, csv.toString());
        assertTrue(Files.readString(dir.resolve("sweep.svg")).contains("<svg"));
    }

    @Test
    void defaultPromptsAreFittedToTheModelsContextExplicitOnesAreNot() {
        Run r = run("bench", "--model", MODEL, "--gen", "2", "--repeat", "1", "--threads", "2");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("the model's context is 256 tokens: --prompt 128,256 --gen 2"), r.err());
        assertTrue(r.out().contains("pp256"), r.out());
        Run explicit = run("bench", "--model", MODEL, "--prompt", "300", "--gen", "2", "--repeat", "1");
        assertTrue(explicit.exit() != 0, explicit.out());
        assertTrue(explicit.err().contains("the model's context is 256 tokens: --prompt 300 and --gen 2 must be at most 256 and 255"),
                explicit.err());
    }

    @Test
    void compareToTakesTheFilesTestsAndPrintsTheRatios(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("llama-bench.jsonl");
        Files.writeString(f, """
                {"build_commit": "de3ff81", "build_number": 6794, "model_filename": "tiny-kjv-Q8_0.gguf", "n_threads": 2, "n_prompt": 6, "n_gen": 0, "n_depth": 0, "avg_ts": 500.0, "samples_ts": [ 400.0, 500.0, 600.0 ]}
                {"build_commit": "de3ff81", "build_number": 6794, "model_filename": "tiny-kjv-Q8_0.gguf", "n_threads": 2, "n_prompt": 0, "n_gen": 3, "n_depth": 0, "avg_ts": 250.0, "samples_ts": [ 250.0 ]}
                """);
        Run r = run("bench", "--model", MODEL, "--repeat", "1", "--compare-to", f.toString(), "--json");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("bench: from llama-bench.jsonl: --prompt 6 --gen 3 --threads 2"), r.err());
        Json.Obj o = Json.parseObject(r.out());
        assertEquals(2, o.getInt("threads"));
        double pp6 = o.getObject("prefill_tokens_per_s").getDouble("6");
        List<Json.Obj> tests = o.getObject("compare_to").getObjectList("tests");
        assertEquals(2, tests.size(), r.out());
        assertEquals("pp6", tests.get(0).getString("test"));
        assertEquals(pp6, tests.get(0).getDouble("llama_simd_tokens_per_s"), 1e-3);
        assertEquals(500.0, tests.get(0).getDouble("llama_cpp_tokens_per_s"));
        assertEquals(pp6 / 500.0, tests.get(0).getDouble("ratio"), 1e-3);
        assertEquals("tg3", tests.get(1).getString("test"));
        assertEquals(o.getDouble("decode_tokens_per_s"), tests.get(1).getDouble("llama_simd_tokens_per_s"), 1e-3);

        Run table = run("bench", "--model", MODEL, "--prompt", "4", "--gen", "3", "--repeat", "1", "--threads", "1",
                "--compare-to", f.toString());
        assertEquals(0, table.exit(), table.err());
        assertTrue(table.out().contains("vs llama.cpp  " + f + ", de3ff81 (build 6794)"), table.out());
        assertTrue(table.out().lines().anyMatch(l -> l.matches("tg3 +[0-9.]+ +250\\.00 +[0-9.]+")), table.out());
        assertTrue(table.out().contains("not compared: pp6: this run did not prefill 6 tokens"), table.out());
        assertTrue(table.out().contains("note: llama-bench ran 2 threads, this run 1"), table.out());

        Files.writeString(f, "[{\"n_prompt\": 512}]");
        Run bad = run("bench", "--model", MODEL, "--compare-to", f.toString());
        assertEquals(1, bad.exit());
        assertTrue(bad.err().contains("error: " + f + ": test 1: key 'n_gen' is missing"), bad.err());
        assertTrue(bad.err().lines().noneMatch(l -> l.startsWith("bench: prefill")), "nothing was measured: " + bad.err());
        assertEquals(2, run("bench", "--model", MODEL, "--compare-to", f.toString(), "--concurrency", "1,2").exit());
    }

    @Test
    void badArgumentsAreUsageErrors() {
        assertEquals(2, run("bench", "--model", MODEL, "--gen", "0").exit());
        assertEquals(2, run("bench", "--model", MODEL, "--prompt", "0").exit());
    }
}
