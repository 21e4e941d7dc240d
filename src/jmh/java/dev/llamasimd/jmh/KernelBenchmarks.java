package dev.llamasimd.jmh;

import dev.llamasimd.kernels.Matmul;
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
 * The kernels on one thread, at Llama-3.2-1B sizes: matvec (decode, T = 1) and matmul (prefill,
 * T = 64) per weight type over a 2048 × 2048 matrix ({@link AttentionBenchmarks}: attention).
 * Matvec reads 4 M weights per call: divide bytes by the time for GB/s.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class KernelBenchmarks {
    private static final int ROWS = 2048;
    private static final int COLS = 2048;
    private static final int BATCH = 64;

    @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K", "Q5_K", "Q3_K", "Q2_K", "IQ4_XS", "IQ4_NL", "Q5_0", "Q4_1"})
    public String type;

    private Arena arena;
    private GgmlType t;
    private TypeKernel kernel;
    private MemorySegment weights;
    private float[] x;
    private float[] y;
    private float[] buf;
    private float[] packed;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom rnd = new SplittableRandom(1);
        t = GgmlType.valueOf(type);
        kernel = TypeKernels.of(t);
        arena = Arena.ofShared();
        float[] row = new float[COLS];
        weights = arena.allocate(t.bytesFor((long) ROWS * COLS), 64);
        for (int r = 0; r < ROWS; r++) {
            for (int j = 0; j < COLS; j++) {
                row[j] = (float) (rnd.nextDouble() - 0.5) * 0.04f;
            }
            Quant.quantize(t, row, 0, COLS, weights, r * t.bytesFor(COLS));
        }
        x = new float[BATCH * COLS];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextDouble() - 0.5f;
        }
        y = new float[BATCH * ROWS];
        buf = new float[Matmul.scratchSize(BATCH)];
        packed = new float[Matmul.packedSize(BATCH, COLS)];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    /** Decode: one token through the whole matrix. */
    @Benchmark
    public float matvec() {
        Matmul.rows(kernel, weights, COLS, x, 0, 1, y, 0, ROWS, 0, ROWS, buf);
        return y[ROWS - 1];
    }

    /** Decode rows of eight sequences in one step: each in the single-token order ({@link Matmul#each}). */
    @Benchmark
    public float each8() {
        Matmul.each(kernel, weights, COLS, x, 0, 8, y, 0, ROWS, 0, ROWS, buf);
        return y[7 * ROWS + ROWS - 1];
    }

    /** Prefill: 64 tokens through the whole matrix (packing the input included). */
    @Benchmark
    public float matmul64() {
        Matmul.pack(x, 0, BATCH, COLS, packed, 0, Matmul.groups(BATCH));
        Matmul.batch(kernel, weights, COLS, packed, BATCH, y, 0, ROWS, 0, ROWS, buf);
        return y[y.length - 1];
    }
}
