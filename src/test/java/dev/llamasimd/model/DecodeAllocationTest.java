package dev.llamasimd.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.llamasimd.generate.CacheType;
import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.kernels.TypeKernels;
import dev.llamasimd.tensor.GgmlType;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A decode step allocates nothing on the heap once the JIT has compiled it: for every weight
 * type with a float32 KV cache, and with the 16-bit caches, on the real two-thread worker pool,
 * counting what the caller and the pool's worker allocate. After warm-up (until
 * {@value #CLEAN_TO_WARM} contexts in a row decode with nothing allocated, at most 120 s) it
 * decodes {@value #MEASURED_ROUNDS} more contexts; an allocation per token would show in every
 * one of them, so at most {@value #LATE_ROUNDS} may allocate (a late recompilation, when the JIT
 * revisits code another type's run made polymorphic, runs a context or two in the interpreter).
 * Run in a JVM of its own (see the pom): what ran before changes how C2 compiles the kernels.
 */
class DecodeAllocationTest {
    static final int MEASURED_ROUNDS = 40, CLEAN_TO_WARM = 3, LATE_ROUNDS = 2;
    private static final String WORKER_PREFIX = "llama-simd-worker-";

    @Test
    void decodeStepAllocatesNothing() {
        assertEquals(Map.of(), allocatingTypes(1), "bytes allocated by the decode steps of a context, by type");
    }

    /**
     * The weight and cache types whose decode steps of a context, {@code sequences} rows per
     * step, still allocate after warm-up; and in how many of the measured contexts, how much. Every weight
     * type runs with a float32 cache, Q8_0 weights with the 16-bit caches too.
     */
    static Map<String, String> allocatingTypes(int sequences) {
        Map<String, String> allocating = new LinkedHashMap<>();
        try (Parallel pool = Parallel.pool(2)) {
            long[] threads = poolThreads(pool);
            for (GgmlType type : TypeKernels.types()) {
                allocated(type, CacheType.F32, sequences, pool, threads, allocating);
            }
            allocated(GgmlType.Q8_0, CacheType.F16, sequences, pool, threads, allocating);
            allocated(GgmlType.Q8_0, CacheType.BF16, sequences, pool, threads, allocating);
        }
        return allocating;
    }

    /** The ids of the calling thread and of the pool's worker (the only worker threads this JVM runs). */
    private static long[] poolThreads(Parallel pool) {
        long[] workers = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith(WORKER_PREFIX))
                .mapToLong(Thread::threadId)
                .toArray();
        assertEquals(pool.threads() - 1, workers.length, "worker threads of the pool");
        long[] ids = new long[workers.length + 1];
        ids[0] = Thread.currentThread().threadId();
        System.arraycopy(workers, 0, ids, 1, workers.length);
        return ids;
    }

    /** What the threads have allocated so far, read one thread at a time (the array form allocates its result). */
    private static long allocatedSoFar(com.sun.management.ThreadMXBean mx, long[] threads) {
        long sum = 0;
        for (long id : threads) {
            sum += mx.getThreadAllocatedBytes(id);
        }
        return sum;
    }

    /**
     * Decodes contexts of a model of {@code type} over {@code cacheType} caches until
     * {@value #CLEAN_TO_WARM} in a row allocate nothing (or 120 s have passed), then
     * {@value #MEASURED_ROUNDS} more; puts what those allocated if more than
     * {@value #LATE_ROUNDS} of them allocated anything.
     */
    private static void allocated(GgmlType type, CacheType cacheType, int sequences, Parallel pool, long[] threads,
            Map<String, String> allocating) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Random rnd = new Random(7);
        Config c = RandomModels.config(rnd, type);
        try (Arena arena = Arena.ofShared()) {
            Llama model = RandomModels.model(c, type, false, rnd, pool, arena);
            KvCache[] caches = new KvCache[sequences];
            for (int i = 0; i < sequences; i++) {
                caches[i] = model.newCache(c.contextLength(), cacheType);
            }
            try {
                State s = model.newBatchState(sequences, sequences, c.contextLength());
                Batch batch = new Batch(sequences);
                long deadline = System.nanoTime() + 120_000_000_000L;
                int clean = 0;
                while (clean < CLEAN_TO_WARM && System.nanoTime() < deadline) {
                    clean = decodeContext(model, s, batch, caches, c, mx, threads) == 0 ? clean + 1 : 0;
                }
                List<Long> allocatingRounds = new ArrayList<>();
                for (int round = 0; round < MEASURED_ROUNDS; round++) {
                    long bytes = decodeContext(model, s, batch, caches, c, mx, threads);
                    if (bytes != 0) {
                        allocatingRounds.add(bytes);
                    }
                }
                if (allocatingRounds.size() > LATE_ROUNDS) {
                    allocating.put(type + " weights, " + cacheType + " cache", allocatingRounds.size() + " of "
                            + MEASURED_ROUNDS + " contexts of " + c.contextLength() + " tokens allocated, bytes: "
                            + allocatingRounds + (clean < CLEAN_TO_WARM ? " (warm-up did not settle in 120 s)" : ""));
                }
            } finally {
                for (KvCache cache : caches) {
                    cache.close();
                }
            }
        }
    }

    /** Decodes one context in every cache, then empties them; returns the bytes the pool's threads allocated. */
    private static long decodeContext(Llama model, State s, Batch batch, KvCache[] caches, Config c,
            com.sun.management.ThreadMXBean mx, long[] threads) {
        long before = allocatedSoFar(mx, threads);
        for (int pos = 0; pos < c.contextLength(); pos++) {
            batch.clear();
            for (KvCache cache : caches) {
                batch.addDecode(cache, 1, pos);
            }
            model.forward(s, batch);
        }
        long allocated = allocatedSoFar(mx, threads) - before;
        for (KvCache cache : caches) {
            cache.truncate(0);
        }
        return allocated;
    }
}
