package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.L;

import jdk.incubator.vector.FloatVector;

/** Element-wise and row-wise float32 kernels of the transformer block. Vectorised, with scalar tails. */
public final class Ops {
    private Ops() {}

    /** {@code Σ x[off..off+n)²} in a fixed order. */
    public static float sumOfSquares(float[] x, int off, int n) {
        int upper = Vec.loopBound(n);
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < upper; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, off + i);
            acc = v.fma(v, acc);
        }
        float s = Vec.sum(acc);
        for (int i = upper; i < n; i++) {
            s = Math.fma(x[off + i], x[off + i], s);
        }
        return s;
    }

    /**
     * RMSNorm of one row: {@code out[i] = (x[i] · 1/√(mean(x²) + eps)) · w[i]}, the order in
     * which both transformers and llama.cpp round.
     */
    public static void rmsnorm(float[] out, int outOff, float[] x, int xOff, float[] w, int n, float eps) {
        float scale = (float) (1.0 / Math.sqrt(sumOfSquares(x, xOff, n) / n + eps));
        int upper = Vec.loopBound(n);
        int i = 0;
        for (; i < upper; i += L) {
            FloatVector.fromArray(F, x, xOff + i).mul(scale).mul(FloatVector.fromArray(F, w, i))
                    .intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = (x[xOff + i] * scale) * w[i];
        }
    }

    /** {@code acc[off..off+n) += x[off..off+n)}. */
    public static void add(float[] acc, float[] x, int off, int n) {
        int upper = Vec.loopBound(n);
        int i = 0;
        for (; i < upper; i += L) {
            FloatVector.fromArray(F, acc, off + i).add(FloatVector.fromArray(F, x, off + i)).intoArray(acc, off + i);
        }
        for (; i < n; i++) {
            acc[off + i] += x[off + i];
        }
    }

    /** SwiGLU: {@code gate[i] = silu(gate[i]) · up[i]}, {@code silu(a) = a / (1 + e^-a)}. */
    public static void siluGate(float[] gate, float[] up, int off, int n) {
        for (int i = off; i < off + n; i++) {
            float g = gate[i];
            gate[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
    }

    /** In-place softmax of {@code x[off..off+n)}, float32 as transformers computes it. */
    public static void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = off; i < off + n; i++) {
            max = Math.max(max, x[i]);
        }
        float sum = 0;
        for (int i = off; i < off + n; i++) {
            float e = (float) Math.exp(x[i] - max);
            x[i] = e;
            sum += e;
        }
        for (int i = off; i < off + n; i++) {
            x[i] /= sum;
        }
    }
}
