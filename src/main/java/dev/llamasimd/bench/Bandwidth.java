package dev.llamasimd.bench;

import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;

import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.kernels.Vec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The read bandwidth this process gets from memory with a given set of workers: every worker
 * streams its share of a large off-heap buffer (far larger than the caches) through vector
 * loads, as the decode kernels stream weights.
 */
public final class Bandwidth {
    private Bandwidth() {}

    /** Bytes a worker reads per call of {@link #read}: short calls, so the loop is compiled like any hot method. */
    private static final long CHUNK = 1 << 20;

    /**
     * Best of {@code rounds} passes over a buffer of {@code bytes}, in bytes per second, after
     * one untimed pass that warms up the JIT.
     */
    public static double measure(Parallel parallel, long bytes, int rounds) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buffer = arena.allocate(bytes, 4096);
            buffer.fill((byte) 1);
            int chunks = Math.toIntExact(bytes / CHUNK);
            float[] sink = new float[parallel.threads()]; // the sums escape here, so the loads cannot be dropped
            Parallel.Body pass = (worker, start, end) -> {
                for (int c = start; c < end; c++) {
                    sink[worker] += read(buffer, c * CHUNK);
                }
            };
            parallel.forRange(chunks, pass);
            double best = 0;
            for (int r = 0; r < rounds; r++) {
                long t0 = System.nanoTime();
                parallel.forRange(chunks, pass);
                long ns = System.nanoTime() - t0;
                best = Math.max(best, chunks * CHUNK / (ns / 1e9));
            }
            return best;
        }
    }

    /** Reads {@link #CHUNK} bytes from {@code offset} with four independent vector chains. */
    private static float read(MemorySegment buffer, long offset) {
        long vectorBytes = 4L * L;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        for (long off = offset; off < offset + CHUNK; off += 4 * vectorBytes) {
            a0 = a0.add(FloatVector.fromMemorySegment(F, buffer, off, LE));
            a1 = a1.add(FloatVector.fromMemorySegment(F, buffer, off + vectorBytes, LE));
            a2 = a2.add(FloatVector.fromMemorySegment(F, buffer, off + 2 * vectorBytes, LE));
            a3 = a3.add(FloatVector.fromMemorySegment(F, buffer, off + 3 * vectorBytes, LE));
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD); // in any order: it keeps the loads alive
    }
}
