package dev.llamasimd.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.llamasimd.generate.CacheType;
import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.kernels.TypeKernels;
import dev.llamasimd.tensor.GgmlType;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A decode step allocates nothing on the heap once the JIT has compiled it: for every weight
 * type with a float32 KV cache, and with the 16-bit caches. Run in a JVM of its own (see the
 * pom): what ran before changes how C2 compiles the kernels.
 */
class DecodeAllocationTest {

    @Test
    void decodeStepAllocatesNothing() {
        assertEquals(Map.of(), allocatingTypes(1), "bytes allocated by the decode steps of a context, by type");
    }

    /**
     * The weight and cache types whose decode steps of a context, {@code sequences} rows per
     * step, still allocate after warm-up; and how much. Every weight type runs with a float32
     * cache, Q8_0 weights with the 16-bit caches too.
     */
    static Map<String, Long> allocatingTypes(int sequences) {
        Map<String, Long> allocating = new LinkedHashMap<>();
        for (GgmlType type : TypeKernels.types()) {
            allocated(type, CacheType.F32, sequences, allocating);
        }
        allocated(GgmlType.Q8_0, CacheType.F16, sequences, allocating);
        allocated(GgmlType.Q8_0, CacheType.BF16, sequences, allocating);
        return allocating;
    }

    /**
     * Decodes contexts of a model of {@code type} over {@code cacheType} caches until a context
     * allocates nothing or the time is up; puts what the last one allocated, if anything.
     */
    private static void allocated(GgmlType type, CacheType cacheType, int sequences, Map<String, Long> allocating) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long self = Thread.currentThread().threadId();
        Random rnd = new Random(7);
        Config c = RandomModels.config(rnd, type);
        try (Arena arena = Arena.ofShared(); Parallel serial = Parallel.serial()) {
            Llama model = RandomModels.model(c, type, false, rnd, serial, arena);
            KvCache[] caches = new KvCache[sequences];
            for (int i = 0; i < sequences; i++) {
                caches[i] = model.newCache(c.contextLength(), cacheType);
            }
            try {
                State s = model.newBatchState(sequences, sequences, c.contextLength());
                Batch batch = new Batch(sequences);
                long allocated = Long.MAX_VALUE;
                // Warm up until the JIT has compiled the loop: at least 40 rounds, and while a busy
                // machine's compiler threads are still at it, up to 30 s.
                long deadline = System.nanoTime() + 30_000_000_000L;
                for (int round = 0; allocated != 0 && (round < 40 || System.nanoTime() < deadline); round++) {
                    long before = mx.getThreadAllocatedBytes(self);
                    for (int pos = 0; pos < c.contextLength(); pos++) {
                        batch.clear();
                        for (KvCache cache : caches) {
                            batch.addDecode(cache, 1, pos);
                        }
                        model.forward(s, batch);
                    }
                    allocated = mx.getThreadAllocatedBytes(self) - before;
                    for (KvCache cache : caches) {
                        cache.truncate(0);
                    }
                }
                if (allocated != 0) {
                    allocating.put(type + " weights, " + cacheType + " cache", allocated);
                }
            } finally {
                for (KvCache cache : caches) {
                    cache.close();
                }
            }
        }
    }
}
