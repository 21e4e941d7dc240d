package dev.llamasimd.jmh;

import dev.llamasimd.kernels.Attention;
import dev.llamasimd.kernels.TypeKernel;
import dev.llamasimd.kernels.TypeKernels;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Quant;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One query head against its cached positions, per KV cache element type (F32 read directly,
 * F16 and BF16 widened a chunk of positions at a time), head size and context, on one thread.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class AttentionBenchmarks {
    @Param({"F32", "F16", "BF16"})
    public String cache;

    @Param({"64", "128"})
    public int headDim;

    /** Cached positions: 1024 keys and values of a head fit the L2 cache, 16384 do not. */
    @Param({"1024", "16384"})
    public int positions;

    private Arena arena;
    private TypeKernel kernel;
    private MemorySegment keys;
    private MemorySegment values;
    private float[] q;
    private float[] scores;
    private float[] rows;
    private float[] out;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom rnd = new SplittableRandom(1);
        GgmlType type = GgmlType.valueOf(cache);
        kernel = TypeKernels.of(type);
        arena = Arena.ofShared();
        int n = positions * headDim;
        float[] k = new float[n];
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            k[i] = (float) rnd.nextDouble() - 0.5f;
            v[i] = (float) rnd.nextDouble() - 0.5f;
        }
        keys = arena.allocate(type.bytesFor(n), 64);
        values = arena.allocate(type.bytesFor(n), 64);
        Quant.quantize(type, k, 0, n, keys, 0);
        Quant.quantize(type, v, 0, n, values, 0);
        q = new float[headDim];
        for (int i = 0; i < headDim; i++) {
            q[i] = (float) rnd.nextDouble() - 0.5f;
        }
        scores = new float[positions];
        rows = new float[Attention.CHUNK * headDim];
        out = new float[headDim];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float attention() {
        float scale = (float) (1 / Math.sqrt(headDim));
        if (kernel.type() == GgmlType.F32) {
            Attention.head(q, 0, keys, 0, values, 0, headDim, 0, positions, scale, scores, out, 0);
        } else {
            Attention.headWidened(kernel, q, 0, keys, 0, values, 0, headDim, 0, positions, scale, scores, rows, out, 0);
        }
        return out[0];
    }
}
