package dev.llamasimd.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.kernels.TypeKernels;
import dev.llamasimd.tensor.GgmlType;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A decode step allocates nothing on the heap once the JIT has compiled it. */
class DecodeAllocationTest {

    @Test
    void decodeStepAllocatesNothing() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long self = Thread.currentThread().threadId();
        Map<GgmlType, Long> allocating = new LinkedHashMap<>();
        for (GgmlType type : TypeKernels.types()) {
            Random rnd = new Random(7);
            Config c = RandomModels.config(rnd, type);
            try (Arena arena = Arena.ofShared(); Parallel serial = Parallel.serial()) {
                Llama model = RandomModels.model(c, type, false, rnd, serial, arena);
                int[] token = {1};
                try (KvCache cache = model.newCache(c.contextLength())) {
                    State s = model.newState(1, c.contextLength(), false);
                    long allocated = Long.MAX_VALUE;
                    // Warm up until the JIT has compiled the loop: at least 40 rounds, and while a busy
                    // machine's compiler threads are still at it, up to 30 s.
                    long deadline = System.nanoTime() + 30_000_000_000L;
                    for (int round = 0; allocated != 0 && (round < 40 || System.nanoTime() < deadline); round++) {
                        long before = mx.getThreadAllocatedBytes(self);
                        for (int pos = 0; pos < c.contextLength(); pos++) {
                            model.forward(s, cache, token, 0, 1, pos);
                        }
                        allocated = mx.getThreadAllocatedBytes(self) - before;
                        cache.truncate(0);
                    }
                    if (allocated != 0) {
                        allocating.put(type, allocated);
                    }
                }
            }
        }
        assertEquals(Map.of(), allocating, "bytes allocated by 128 decode steps, by type");
    }
}
