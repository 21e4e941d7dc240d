package dev.llamasimd.model;

import dev.llamasimd.kernels.Matmul;
import dev.llamasimd.kernels.TypeKernel;
import dev.llamasimd.kernels.TypeKernels;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Tensor;

/**
 * A weight matrix of {@code rows × cols} (ggml {@code ne = [cols, rows]}), a view of mapped bytes,
 * with the kernel of its type, chosen once here.
 */
public record Matrix(Tensor tensor, int rows, int cols, TypeKernel kernel) {

    /**
     * @throws IllegalArgumentException if {@code t} is not a matrix
     * @throws UnsupportedOperationException if there is no kernel for its type
     */
    public static Matrix of(Tensor t) {
        if (t.rank() > 2) {
            throw new IllegalArgumentException("tensor " + t.name() + " " + t.shapeString() + " is not a matrix");
        }
        return new Matrix(t, t.rows(), t.cols(), TypeKernels.of(t.type()));
    }

    public GgmlType type() {
        return tensor.type();
    }

    /** Rows {@code [r0, r1)} of {@code y = W x} for {@code T} tokens; see {@link Matmul#rows}. */
    public void multiply(float[] x, int T, float[] y, int r0, int r1, float[] rowBuf) {
        Matmul.rows(kernel, tensor.data(), cols, x, 0, T, y, 0, rows, r0, r1, rowBuf);
    }

    /** Rows {@code [r0, r1)} of {@code y = W x} for a batch of {@code T} tokens packed by {@link Matmul#pack}; see {@link Matmul#batch}. */
    public void multiplyPacked(float[] xT, int T, float[] y, int r0, int r1, float[] scratch) {
        Matmul.batch(kernel, tensor.data(), cols, xT, T, y, 0, rows, r0, r1, scratch);
    }

    /** Row {@code r} as floats into {@code out[off..off+cols)} (an embedding lookup). */
    public void row(int r, float[] out, int off) {
        kernel.decode(tensor.data(), r * type().bytesFor(cols), cols, out, off);
    }
}
