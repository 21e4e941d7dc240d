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
    void badArgumentsAreUsageErrors() {
        assertEquals(2, run("bench", "--model", MODEL, "--gen", "0").exit());
        assertEquals(2, run("bench", "--model", MODEL, "--prompt", "0").exit());
    }
}
