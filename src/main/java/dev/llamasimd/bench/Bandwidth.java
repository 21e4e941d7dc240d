package dev.llamasimd.bench;

import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;

import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.kernels.Vec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * The read bandwidth this process gets from memory with a given set of workers: every worker
 * streams its share of a large off-heap buffer (far larger than the caches) through vector
 * loads, as the decode kernels stream weights.
 */
public final class Bandwidth {
    private Bandwidth() {}

    /** Best of {@code rounds} passes over a buffer of {@code bytes}, in bytes per second. */
    public static double measure(Parallel parallel, long bytes, int rounds) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buffer = arena.allocate(bytes, 4096);
            buffer.fill((byte) 1);
            long vectorBytes = 4L * L;
            int blocks = Math.toIntExact(bytes / (vectorBytes * 1024));
            float[] sink = new float[parallel.threads()]; // the sums escape here, so the loads cannot be dropped
            double best = 0;
            for (int r = 0; r < rounds; r++) {
                long t0 = System.nanoTime();
                parallel.forRange(blocks, (worker, start, end) -> {
                    FloatVector a0 = FloatVector.zero(F);
                    FloatVector a1 = a0;
                    FloatVector a2 = a0;
                    FloatVector a3 = a0;
                    for (long off = start * vectorBytes * 1024; off < end * vectorBytes * 1024; off += 4 * vectorBytes) {
                        a0 = a0.add(FloatVector.fromMemorySegment(F, buffer, off, LE));
                        a1 = a1.add(FloatVector.fromMemorySegment(F, buffer, off + vectorBytes, LE));
                        a2 = a2.add(FloatVector.fromMemorySegment(F, buffer, off + 2 * vectorBytes, LE));
                        a3 = a3.add(FloatVector.fromMemorySegment(F, buffer, off + 3 * vectorBytes, LE));
                    }
                    sink[worker] += Vec.sum(a0.add(a1).add(a2.add(a3)));
                });
                long ns = System.nanoTime() - t0;
                best = Math.max(best, blocks * vectorBytes * 1024 / (ns / 1e9));
            }
            return best;
        }
    }
}
