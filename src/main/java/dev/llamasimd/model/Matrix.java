package dev.llamasimd.model;

import dev.llamasimd.kernels.Matmul;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Quant;
import dev.llamasimd.tensor.Tensor;

/** A weight matrix of {@code rows × cols} (ggml {@code ne = [cols, rows]}), a view of mapped bytes. */
public record Matrix(Tensor tensor, int rows, int cols) {

    public static Matrix of(Tensor t) {
        if (t.rank() > 2) {
            throw new IllegalArgumentException("tensor " + t.name() + " " + t.shapeString() + " is not a matrix");
        }
        return new Matrix(t, t.rows(), t.cols());
    }

    public GgmlType type() {
        return tensor.type();
    }

    /** Rows {@code [r0, r1)} of {@code y = W x} for {@code T} tokens; see {@link Matmul#rows}. */
    public void multiply(float[] x, int T, float[] y, int r0, int r1, float[] rowBuf) {
        Matmul.rows(type(), tensor.data(), cols, x, 0, T, y, 0, rows, r0, r1, rowBuf);
    }

    /** Rows {@code [r0, r1)} of {@code y = W x} for a batch of {@code T} tokens packed by {@link Matmul#pack}; see {@link Matmul#batch}. */
    public void multiplyPacked(float[] xT, int T, float[] y, int r0, int r1, float[] scratch) {
        Matmul.batch(type(), tensor.data(), cols, xT, T, y, 0, rows, r0, r1, scratch);
    }

    /** Row {@code r} as floats into {@code out[off..off+cols)} (an embedding lookup). */
    public void row(int r, float[] out, int off) {
        Quant.dequantize(type(), tensor.data(), r * type().bytesFor(cols), out, off, cols);
    }
}
