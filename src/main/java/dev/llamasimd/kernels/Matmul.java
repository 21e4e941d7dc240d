package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.L;

import dev.llamasimd.tensor.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * {@code Y = X Wᵀ} for a block of weight rows: {@code W} is a mapped matrix of any supported type
 * ({@code rows × cols}, row-major), {@code X} holds {@code T} token vectors of length {@code cols}.
 *
 * <p>Each weight row is read from memory once per call, whatever {@code T} is: it is widened to
 * float32 once into a per-thread buffer (which stays in L1) and then multiplied with the tokens
 * four at a time, so each loaded weight vector feeds four FMAs.
 *
 * <p>Numerics: one (row, token) result is one FMA chain over vector lanes, a fixed-order lane
 * reduction ({@link Vec#sum}) and a scalar FMA tail. It does not depend on {@code T}, on which
 * tile the token falls in, or on how rows are split across threads, so results are bit-identical
 * for any batch size and thread count.
 */
public final class Matmul {
    private static final int TILE = 4;

    private Matmul() {}

    /**
     * Computes rows {@code [r0, r1)} of every token:
     * {@code y[yOff + t*yStride + r] = Σ_j W[r][j] · x[xOff + t*cols + j]} for {@code t < T}.
     *
     * @param rowBuf scratch of at least {@code cols} floats, owned by the calling thread
     */
    public static void rows(GgmlType type, MemorySegment w, int cols, float[] x, int xOff, int T,
                            float[] y, int yOff, int yStride, int r0, int r1, float[] rowBuf) {
        long rowBytes = type.bytesFor(cols);
        for (int r = r0; r < r1; r++) {
            RowDecoder.decode(type, w, r * rowBytes, cols, rowBuf);
            bufferedRow(rowBuf, cols, x, xOff, T, y, yOff + r, yStride);
        }
    }

    /** One decoded row against all tokens; results go to {@code y[yPos + t*yStride]}. */
    static void bufferedRow(float[] wr, int cols, float[] x, int xOff, int T, float[] y, int yPos, int yStride) {
        int upper = Vec.loopBound(cols);
        int t = 0;
        for (; t + TILE <= T; t += TILE) {
            int x0 = xOff + t * cols;
            int x1 = x0 + cols;
            int x2 = x1 + cols;
            int x3 = x2 + cols;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int i = 0; i < upper; i += L) {
                FloatVector wv = FloatVector.fromArray(F, wr, i);
                a0 = wv.fma(FloatVector.fromArray(F, x, x0 + i), a0);
                a1 = wv.fma(FloatVector.fromArray(F, x, x1 + i), a1);
                a2 = wv.fma(FloatVector.fromArray(F, x, x2 + i), a2);
                a3 = wv.fma(FloatVector.fromArray(F, x, x3 + i), a3);
            }
            float s0 = Vec.sum(a0);
            float s1 = Vec.sum(a1);
            float s2 = Vec.sum(a2);
            float s3 = Vec.sum(a3);
            for (int i = upper; i < cols; i++) {
                float wi = wr[i];
                s0 = Math.fma(wi, x[x0 + i], s0);
                s1 = Math.fma(wi, x[x1 + i], s1);
                s2 = Math.fma(wi, x[x2 + i], s2);
                s3 = Math.fma(wi, x[x3 + i], s3);
            }
            y[yPos + t * yStride] = s0;
            y[yPos + (t + 1) * yStride] = s1;
            y[yPos + (t + 2) * yStride] = s2;
            y[yPos + (t + 3) * yStride] = s3;
        }
        for (; t < T; t++) {
            int x0 = xOff + t * cols;
            FloatVector a0 = FloatVector.zero(F);
            for (int i = 0; i < upper; i += L) {
                a0 = FloatVector.fromArray(F, wr, i).fma(FloatVector.fromArray(F, x, x0 + i), a0);
            }
            float s0 = Vec.sum(a0);
            for (int i = upper; i < cols; i++) {
                s0 = Math.fma(wr[i], x[x0 + i], s0);
            }
            y[yPos + t * yStride] = s0;
        }
    }
}
