package dev.llamasimd.kernels;

import dev.llamasimd.tensor.Codec;
import dev.llamasimd.tensor.GgmlType;
import java.lang.foreign.MemorySegment;

/**
 * The kernels of one weight type, chosen once per matrix at load ({@link TypeKernels#of}): row
 * widening (what the prefill GEMM and embedding lookups use), the fused decode dot product for
 * one and two rows, and the scalar {@link Codec} they are defined by and tested against.
 *
 * <p>No vector crosses this interface: each implementation spells its vector code out inside
 * its own methods. (C2 boxes vectors passed to or returned from a method it did not inline,
 * which would allocate on every token.)
 *
 * <p>Arithmetic: {@link #decode} gives exactly the codec's values; {@link #dot} and
 * {@link #dot2} sum {@code value · x} in the single-token order of {@link Vec#dot} (pairs of
 * vectors into two accumulators, lanes by the fixed fold of {@link Vec#FOLD_2}, scalar tail),
 * so a row's result is the same whether it is computed alone or beside another row.
 */
public interface TypeKernel {
    /** The weight type. */
    GgmlType type();

    /** The scalar encode/decode this kernel agrees with. */
    Codec codec();

    /** Widens the {@code n} values at byte {@code offset} (a block start) into {@code out[o..o+n)}. */
    void decode(MemorySegment w, long offset, int n, float[] out, int o);

    /**
     * {@code Σ_j row[j] · x[xOff + j]} over the {@code n} values of the row at byte {@code row}.
     *
     * @param buf scratch of at least {@code n} floats, for kernels that widen the row first
     */
    float dot(MemorySegment w, long row, int n, float[] x, int xOff, float[] buf);

    /**
     * {@code y[yA]} and {@code y[yB]}: {@link #dot} of the rows at bytes {@code a} and {@code b}
     * (far apart in the matrix: two streams from memory keep more of it in flight), bit for bit
     * as two calls of {@link #dot} would give. Kernels that gain from it interleave the rows.
     */
    default void dot2(MemorySegment w, long a, long b, int n, float[] x, int xOff, float[] buf,
                      float[] y, int yA, int yB) {
        y[yA] = dot(w, a, n, x, xOff, buf);
        y[yB] = dot(w, b, n, x, xOff, buf);
    }
}
