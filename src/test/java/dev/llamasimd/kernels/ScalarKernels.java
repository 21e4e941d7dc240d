package dev.llamasimd.kernels;

import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Quant;
import java.lang.foreign.MemorySegment;

/** Plain scalar twins of the Vector API kernels: the definitions the SIMD code is tested against. */
final class ScalarKernels {
    private ScalarKernels() {}

    /**
     * {@code y[t*rows + r] = Σ_j W[r][j] x[t*cols + j]} in double, and beside it {@code Σ_j |W[r][j] x[t*cols + j]|},
     * the scale of the rounding error a float dot product may have.
     */
    record Product(double[] y, double[] magnitude) {}

    static Product matmul(GgmlType type, MemorySegment w, int rows, int cols, float[] x, int T) {
        double[] y = new double[T * rows];
        double[] magnitude = new double[T * rows];
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            Quant.dequantize(type, w, r * type.bytesFor(cols), row, 0, cols);
            for (int t = 0; t < T; t++) {
                double s = 0;
                double m = 0;
                for (int j = 0; j < cols; j++) {
                    double p = (double) row[j] * x[t * cols + j];
                    s += p;
                    m += Math.abs(p);
                }
                y[t * rows + r] = s;
                magnitude[t * rows + r] = m;
            }
        }
        return new Product(y, magnitude);
    }

    /**
     * The batched product's definition ({@link Matmul#batch}): for every row and token,
     * {@code s = fma(W[r][k], x[t][k], s)} from {@code s = 0} over {@code k} in order.
     */
    static float[] sequential(GgmlType type, MemorySegment w, int rows, int cols, float[] x, int T) {
        float[] y = new float[T * rows];
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            Quant.dequantize(type, w, r * type.bytesFor(cols), row, 0, cols);
            for (int t = 0; t < T; t++) {
                float s = 0f;
                for (int j = 0; j < cols; j++) {
                    s = Math.fma(row[j], x[t * cols + j], s);
                }
                y[t * rows + r] = s;
            }
        }
        return y;
    }

    static void rmsnorm(float[] out, float[] x, float[] w, int n, float eps) {
        double ss = 0;
        for (int i = 0; i < n; i++) {
            ss += (double) x[i] * x[i];
        }
        float scale = (float) (1.0 / Math.sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) {
            out[i] = x[i] * scale * w[i];
        }
    }

    static double[] softmax(float[] x, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[i]);
        }
        double[] e = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            e[i] = Math.exp(x[i] - max);
            sum += e[i];
        }
        for (int i = 0; i < n; i++) {
            e[i] /= sum;
        }
        return e;
    }

    /** One attention head over positions [from, to) of float32 rows k, v ({@code [pos][headDim]}). */
    static double[] attention(float[] q, float[] k, float[] v, int headDim, int from, int to, float scale) {
        float[] s = new float[to - from];
        for (int j = from; j < to; j++) {
            double d = 0;
            for (int i = 0; i < headDim; i++) {
                d += (double) q[i] * k[j * headDim + i];
            }
            s[j - from] = (float) (d * scale);
        }
        double[] p = softmax(s, s.length);
        double[] out = new double[headDim];
        for (int j = from; j < to; j++) {
            for (int i = 0; i < headDim; i++) {
                out[i] += p[j - from] * v[j * headDim + i];
            }
        }
        return out;
    }

    /** Rotation with explicit pair indices, in double. */
    static void rope(boolean interleaved, float[] x, int headDim, int rotDims, int pos, float[] invFreq) {
        int half = rotDims / 2;
        for (int i = 0; i < half; i++) {
            int a = interleaved ? 2 * i : i;
            int b = interleaved ? 2 * i + 1 : i + half;
            double angle = (float) (pos * invFreq[i]);
            double x0 = x[a];
            double x1 = x[b];
            x[a] = (float) (x0 * Math.cos(angle) - x1 * Math.sin(angle));
            x[b] = (float) (x0 * Math.sin(angle) + x1 * Math.cos(angle));
        }
    }
}
