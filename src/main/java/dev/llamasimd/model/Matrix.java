package dev.llamasimd.model;

import dev.llamasimd.kernels.Matmul;
import dev.llamasimd.kernels.TypeKernel;
import dev.llamasimd.kernels.TypeKernels;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Tensor;

/**
 * A weight matrix of {@code rows × cols} (ggml {@code ne = [cols, rows]}), a view of mapped bytes,
 * with the kernel of its type, chosen once here, and the linear layer's bias, if it has one
 * ({@code y = W x + b}).
 *
 * @param bias {@code rows} floats added to every product, or {@code null}
 */
public record Matrix(Tensor tensor, int rows, int cols, TypeKernel kernel, float[] bias) {

    public Matrix {
        if (bias != null && bias.length != rows) {
            throw new IllegalArgumentException("bias of " + bias.length + " for " + rows + " rows");
        }
    }

    /**
     * @throws IllegalArgumentException if {@code t} is not a matrix
     * @throws UnsupportedOperationException if there is no kernel for its type
     */
    public static Matrix of(Tensor t) {
        if (t.rank() > 2) {
            throw new IllegalArgumentException("tensor " + t.name() + " " + t.shapeString() + " is not a matrix");
        }
        return new Matrix(t, t.rows(), t.cols(), TypeKernels.of(t.type()), null);
    }

    /**
     * Rows {@code [from, from + n)} as a matrix of their own, over the same mapped bytes (a fused
     * QKV or gate-up matrix split into its parts); no bias.
     */
    public Matrix rowSlice(int from, int n) {
        if (bias != null) {
            throw new IllegalStateException("slicing a matrix with a bias");
        }
        long rowBytes = tensor.rowBytes();
        Tensor part = new Tensor(tensor.name() + " rows " + from + ".." + (from + n), tensor.type(), new long[] {cols, n},
                tensor.data().asSlice(from * rowBytes, n * rowBytes));
        return new Matrix(part, n, cols, kernel, null);
    }

    /** This matrix with {@code bias} added to its products. */
    public Matrix withBias(float[] bias) {
        return new Matrix(tensor, rows, cols, kernel, bias);
    }

    public GgmlType type() {
        return tensor.type();
    }

    /** Rows {@code [r0, r1)} of {@code y = W x} for {@code T} tokens; see {@link Matmul#rows}. */
    public void multiply(float[] x, int T, float[] y, int r0, int r1, float[] rowBuf) {
        Matmul.rows(kernel, tensor.data(), cols, x, 0, T, y, 0, rows, r0, r1, rowBuf);
        addBias(0, T, y, r0, r1);
    }

    /**
     * Rows {@code [r0, r1)} of {@code y = W x} for tokens {@code [t0, t0 + T)} of {@code x}, each
     * in the single-token order; see {@link Matmul#each}.
     */
    public void multiplyEach(float[] x, int t0, int T, float[] y, int r0, int r1, float[] rowBuf) {
        Matmul.each(kernel, tensor.data(), cols, x, t0 * cols, T, y, t0 * rows, rows, r0, r1, rowBuf);
        addBias(t0, T, y, r0, r1);
    }

    /** Rows {@code [r0, r1)} of {@code y = W x} for a batch of {@code T} tokens packed by {@link Matmul#pack}; see {@link Matmul#batch}. */
    public void multiplyPacked(float[] xT, int T, float[] y, int r0, int r1, float[] scratch) {
        Matmul.batch(kernel, tensor.data(), cols, xT, T, y, 0, rows, r0, r1, scratch);
        addBias(0, T, y, r0, r1);
    }

    private void addBias(int t0, int T, float[] y, int r0, int r1) {
        if (bias == null) {
            return;
        }
        for (int t = t0; t < t0 + T; t++) {
            int base = t * rows;
            for (int r = r0; r < r1; r++) {
                y[base + r] += bias[r];
            }
        }
    }

    /** Row {@code r} as floats into {@code out[off..off+cols)} (an embedding lookup). */
    public void row(int r, float[] out, int off) {
        kernel.decode(tensor.data(), r * type().bytesFor(cols), cols, out, off);
    }
}
