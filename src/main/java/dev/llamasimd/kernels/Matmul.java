package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.L;

import dev.llamasimd.tensor.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * {@code Y = X Wᵀ} for a range of weight rows: {@code W} is a mapped matrix of any supported type
 * ({@code rows × cols}, row-major), {@code X} holds {@code T} token vectors of length {@code cols}.
 *
 * <p>One token (decode) takes each row straight from the mapping ({@link Dot}). A batch (prefill)
 * widens a block of rows to float32 once into the caller's buffer, which stays in cache, and
 * multiplies it with the tokens in register tiles of 2 rows × 4 tokens: each weight vector loaded
 * feeds four FMAs and each activation vector two, so the weights are read from memory once per
 * batch and the FMA units, not the loads, set the pace.
 *
 * <p>Every (row, token) result has the arithmetic {@link Dot} defines, whichever path computes
 * it, so results are bit-identical for any batch size, tiling and thread split.
 */
public final class Matmul {
    private Matmul() {}

    /**
     * Computes rows {@code [r0, r1)} of every token:
     * {@code y[yOff + t*yStride + r] = Σ_j W[r][j] · x[xOff + t*cols + j]} for {@code t < T}.
     *
     * @param buf scratch of at least {@code cols} floats owned by the calling thread; a larger one
     *            lets a batch widen more rows at once
     */
    public static void rows(GgmlType type, MemorySegment w, int cols, float[] x, int xOff, int T,
                            float[] y, int yOff, int yStride, int r0, int r1, float[] buf) {
        long rowBytes = type.bytesFor(cols);
        if (T == 1) {
            for (int r = r0; r < r1; r++) {
                y[yOff + r] = Dot.dot(type, w, r * rowBytes, cols, x, xOff, buf);
            }
            return;
        }
        int block = Math.max(1, buf.length / cols);
        for (int start = r0; start < r1; start += block) {
            int n = Math.min(block, r1 - start);
            for (int k = 0; k < n; k++) {
                RowDecoder.decode(type, w, (start + k) * rowBytes, cols, buf, k * cols);
            }
            widened(buf, n, cols, x, xOff, T, y, yOff + start, yStride);
        }
    }

    /** {@code n} widened rows in {@code wr} (row k at {@code k*cols}) against all tokens; row k's results go to {@code y[yPos + k + t*yStride]}. */
    static void widened(float[] wr, int n, int cols, float[] x, int xOff, int T, float[] y, int yPos, int yStride) {
        int t = 0;
        for (; t + 4 <= T; t += 4) {
            int k = 0;
            for (; k + 2 <= n; k += 2) {
                tile2x4(wr, k * cols, cols, x, xOff + t * cols, y, yPos + k + t * yStride, yStride);
            }
            for (; k < n; k++) {
                for (int u = t; u < t + 4; u++) {
                    y[yPos + k + u * yStride] = Dot.array(wr, k * cols, cols, x, xOff + u * cols);
                }
            }
        }
        for (; t < T; t++) {
            for (int k = 0; k < n; k++) {
                y[yPos + k + t * yStride] = Dot.array(wr, k * cols, cols, x, xOff + t * cols);
            }
        }
    }

    /**
     * Rows {@code w0 = wr[w..]}, {@code w1 = wr[w+cols..]} times tokens {@code x[xt..]} to
     * {@code x[xt+3cols..]}: 16 accumulators (2 rows × 4 tokens × even/odd vectors), results to
     * {@code y[yPos + row + token*yStride]}.
     */
    private static void tile2x4(float[] wr, int w, int cols, float[] x, int xt, float[] y, int yPos, int yStride) {
        int w1 = w + cols;
        int x1 = xt + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, b00 = z, b01 = z, b02 = z, b03 = z;
        FloatVector a10 = z, a11 = z, a12 = z, a13 = z, b10 = z, b11 = z, b12 = z, b13 = z;
        int i = 0;
        for (; i + 2 * L <= cols; i += 2 * L) {
            FloatVector we0 = FloatVector.fromArray(F, wr, w + i);
            FloatVector wo0 = FloatVector.fromArray(F, wr, w + i + L);
            FloatVector we1 = FloatVector.fromArray(F, wr, w1 + i);
            FloatVector wo1 = FloatVector.fromArray(F, wr, w1 + i + L);
            FloatVector xe = FloatVector.fromArray(F, x, xt + i);
            FloatVector xo = FloatVector.fromArray(F, x, xt + i + L);
            a00 = we0.fma(xe, a00);
            b00 = wo0.fma(xo, b00);
            a10 = we1.fma(xe, a10);
            b10 = wo1.fma(xo, b10);
            xe = FloatVector.fromArray(F, x, x1 + i);
            xo = FloatVector.fromArray(F, x, x1 + i + L);
            a01 = we0.fma(xe, a01);
            b01 = wo0.fma(xo, b01);
            a11 = we1.fma(xe, a11);
            b11 = wo1.fma(xo, b11);
            xe = FloatVector.fromArray(F, x, x2 + i);
            xo = FloatVector.fromArray(F, x, x2 + i + L);
            a02 = we0.fma(xe, a02);
            b02 = wo0.fma(xo, b02);
            a12 = we1.fma(xe, a12);
            b12 = wo1.fma(xo, b12);
            xe = FloatVector.fromArray(F, x, x3 + i);
            xo = FloatVector.fromArray(F, x, x3 + i + L);
            a03 = we0.fma(xe, a03);
            b03 = wo0.fma(xo, b03);
            a13 = we1.fma(xe, a13);
            b13 = wo1.fma(xo, b13);
        }
        y[yPos] = finish(Vec.sum(a00.add(b00)), wr, w, x, xt, i, cols);
        y[yPos + yStride] = finish(Vec.sum(a01.add(b01)), wr, w, x, x1, i, cols);
        y[yPos + 2 * yStride] = finish(Vec.sum(a02.add(b02)), wr, w, x, x2, i, cols);
        y[yPos + 3 * yStride] = finish(Vec.sum(a03.add(b03)), wr, w, x, x3, i, cols);
        y[yPos + 1] = finish(Vec.sum(a10.add(b10)), wr, w1, x, xt, i, cols);
        y[yPos + 1 + yStride] = finish(Vec.sum(a11.add(b11)), wr, w1, x, x1, i, cols);
        y[yPos + 1 + 2 * yStride] = finish(Vec.sum(a12.add(b12)), wr, w1, x, x2, i, cols);
        y[yPos + 1 + 3 * yStride] = finish(Vec.sum(a13.add(b13)), wr, w1, x, x3, i, cols);
    }

    /** The scalar tail of a dot product from index {@code i}. */
    private static float finish(float s, float[] wr, int w, float[] x, int xt, int i, int cols) {
        for (; i < cols; i++) {
            s = Math.fma(wr[w + i], x[xt + i], s);
        }
        return s;
    }
}
