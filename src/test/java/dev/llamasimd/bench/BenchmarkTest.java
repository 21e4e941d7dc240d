package dev.llamasimd.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.generate.CacheType;
import dev.llamasimd.testing.Shared;
import org.junit.jupiter.api.Test;

/** What {@link Benchmark} counts as heap allocated per decoded token. */
class BenchmarkTest {

    @Test
    void allocationPerTokenCountsTheTimedRunsOnly() {
        // the warm-up run's 5 MB are not in it; three timed runs of 16 tokens are
        assertEquals((300 + 60 + 120) / 48.0, Benchmark.timedPerToken(new long[] {5_000_000, 300, 60, 120}, 16));
        assertEquals(0.0, Benchmark.timedPerToken(new long[] {1_000_000, 0}, 16));
    }

    @Test
    void theWarmUpRunIsReportedApart() {
        Benchmark.Options o = new Benchmark.Options(new int[] {4}, 16, 1, true, CacheType.F32, false, false, false);
        Benchmark.Result r = Benchmark.run(Shared.weights("tiny-kjv-Q8_0.gguf"), 1, o, step -> {});
        assertTrue(r.allocBytesPerToken() >= 0 && r.warmUpAllocBytesPerToken() > 0, r.toString());
    }
}
