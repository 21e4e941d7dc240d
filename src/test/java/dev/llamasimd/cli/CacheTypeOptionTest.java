package dev.llamasimd.cli;

import static dev.llamasimd.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.cli.Cli.Run;
import dev.llamasimd.io.Json;
import dev.llamasimd.testing.Shared;
import org.junit.jupiter.api.Test;

/** {@code --cache-type} on every command that makes KV caches, and the KV cache memory the commands report. */
class CacheTypeOptionTest {
    private static final String MODEL = Shared.weights("tiny-kjv-Q8_0.gguf").toString();

    @Test
    void aBadTypeIsAUsageErrorListingTheTypes() {
        String[][] commands = {
            {"generate", "--prompt", "x"}, {"chat"}, {"logits", "--tokens", "1"}, {"bench"}, {"serve", "--port", "0"}
        };
        for (String[] command : commands) {
            String[] args = new String[command.length + 4];
            System.arraycopy(command, 0, args, 0, command.length);
            System.arraycopy(new String[] {"--model", MODEL, "--cache-type", "q8_0"}, 0, args, command.length, 4);
            Run r = run(args);
            assertEquals(2, r.exit(), command[0] + ": " + r.err());
            assertTrue(r.err().contains("Invalid value for option '--cache-type': unknown KV cache type 'q8_0';"
                    + " use one of F32, F16, BF16"), command[0] + ": " + r.err());
            assertTrue(r.err().contains("see 'llama-simd " + command[0] + " --help'"), r.err());
        }
    }

    @Test
    void generateAcceptsEveryTypeInAnyCase() {
        Run f32 = run("generate", "--model", MODEL, "--prompt", "In the beginning", "--max-tokens", "16", "--temperature", "0");
        assertEquals(0, f32.exit(), f32.err());
        for (String type : new String[] {"f16", "BF16"}) {
            Run r = run("generate", "--model", MODEL, "--prompt", "In the beginning", "--max-tokens", "16",
                    "--temperature", "0", "--cache-type", type);
            assertEquals(0, r.exit(), r.err());
            // tiny-kjv's greedy answer survives the rounding of its keys and values
            assertEquals(f32.out(), r.out(), type);
        }
    }

    @Test
    void logitsThroughAnF16CacheAreCloseButRounded() {
        Run f32 = run("logits", "--model", MODEL, "--tokens", "2047,1142,258,1776", "--threads", "1");
        Run f16 = run("logits", "--model", MODEL, "--tokens", "2047,1142,258,1776", "--threads", "1", "--cache-type", "F16");
        assertEquals(0, f16.exit(), f16.err());
        assertTrue(f32.err().contains("; F32 KV cache, "), f32.err());
        assertTrue(f16.err().contains("; F16 KV cache, "), f16.err());
        assertNotEquals(f32.out(), f16.out());
        String[] a = f32.out().strip().split("\n");
        String[] b = f16.out().strip().split("\n");
        for (int i = 0; i < a.length; i++) {
            String[] x = a[i].split(" ");
            String[] y = b[i].split(" ");
            assertEquals(x[1], y[1], "the same top ids: " + f32.out() + " vs " + f16.out());
            assertEquals(Double.parseDouble(x[2]), Double.parseDouble(y[2]), 1e-2, a[i] + " vs " + b[i]);
        }
        Run uncached = run("logits", "--model", MODEL, "--tokens", "2047,1142", "--no-kv-cache", "--cache-type", "BF16");
        assertTrue(uncached.err().contains("; no KV cache (keys and values rounded to BF16), "), uncached.err());
    }

    @Test
    void inspectReportsTheMemoryPerTypeAndBenchTheBytesPerToken() {
        Run inspect = run("inspect", "--model", MODEL);
        // 6 layers x 96 key and 96 value values a position
        assertTrue(inspect.out().contains(
                "KV cache 4.5 MiB as F32, 2.3 MiB as F16, 2.3 MiB as BF16 per 1k tokens of context (--cache-type)"),
                inspect.out());
        Json.Obj f32 = bench("F32");
        Json.Obj f16 = bench("F16");
        assertEquals("F32", f32.getString("kv_cache_type"));
        assertEquals("F16", f16.getString("kv_cache_type"));
        // --gen 4: the keys and values of 1 + 4 / 2 positions, 6 x 2 x 96 values each, 2 bytes fewer per value
        assertEquals(3 * 6 * 2 * 96 * 2, f32.getLong("bytes_per_token") - f16.getLong("bytes_per_token"));
    }

    private static Json.Obj bench(String type) {
        Run r = run("bench", "--model", MODEL, "--prompt", "4", "--gen", "4", "--repeat", "1", "--threads", "1", "--json",
                "--cache-type", type);
        assertEquals(0, r.exit(), r.err());
        return Json.parseObject(r.out());
    }
}
