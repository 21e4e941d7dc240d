package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Element-wise and row-wise float32 kernels of the transformer block: RMSNorm and the residual
 * add vectorised with scalar tails; e^x, SwiGLU and softmax as plain loops (see {@link #exp}).
 */
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
        acc = acc.add(acc.rearrange(Vec.FOLD_2));
        acc = acc.add(acc.rearrange(Vec.FOLD_4));
        acc = L >= 8 ? acc.add(acc.rearrange(Vec.FOLD_8)) : acc;
        acc = L >= 16 ? acc.add(acc.rearrange(Vec.FOLD_16)) : acc;
        float s = acc.lane(0);
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

    /** Whether {@code x[off..off+n)} holds no NaN and no infinity ({@code v · 0} is 0 only for finite {@code v}). */
    public static boolean allFinite(float[] x, int off, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i + L <= n; i += L) {
            acc = FloatVector.fromArray(F, x, off + i).mul(0f).add(acc);
        }
        // lanes of ±0 and NaN: any order of adding them gives NaN or ±0 alike
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += x[off + i] * 0f;
        }
        return s == 0f;
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

    /*
     * e^x in float32 by plain IEEE arithmetic, so that the interpreter, C1 and C2 give the same
     * bits. (The Vector API's EXP is computed differently by C2 and by its Java fallback; a Vector
     * API version of this code measured slower in a fresh JVM, where vector code runs interpreted
     * until C2 compiles it: cold generate 120–150 → 67–78 tokens/s.) x = n·ln2 + r with
     * |r| ≤ ln2/2, e^r by a degree-7 polynomial (Cephes' expf coefficients), then scaled by 2^n
     * through the exponent bits (in two factors, so that both are normal numbers). Within 2 ulp of Math.exp down to
     * x = −87.34; below that 0, above 88.72 infinite, NaN stays NaN.
     */
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 · 2^23: adding and subtracting it rounds to the nearest integer (|v| < 2^22). */
    private static final float ROUND = 12582912f;
    private static final float EXP_LO = -87.33654f;
    private static final float EXP_HI = 88.72283f;
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;

    /** e^x (see above). Branch-free but for the last line, so that C2 may vectorise a loop of it. */
    public static float exp(float x) {
        float c = Math.min(Math.max(x, EXP_LO), EXP_HI); // NaN stays NaN
        float n = (c * LOG2E + ROUND) - ROUND;
        float r = Math.fma(n, -LN2_HI, c);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(P0, r, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float e = Math.fma(p, r * r, r) + 1f;
        int k = (int) n; // -126..128: 2^k in two normal factors
        int k1 = k >> 1;
        e = e * Float.intBitsToFloat((k1 + 127) << 23) * Float.intBitsToFloat((k - k1 + 127) << 23);
        return x < EXP_LO ? 0f : x > EXP_HI ? Float.POSITIVE_INFINITY : e;
    }

    /** SwiGLU: {@code gate[i] = silu(gate[i]) · up[i]}, {@code silu(a) = a / (1 + e^-a)}, with {@link #exp(float)}. */
    public static void siluGate(float[] gate, float[] up, int off, int n) {
        for (int i = off; i < off + n; i++) {
            float g = gate[i];
            gate[i] = g / (1f + exp(-g)) * up[i];
        }
    }

    /** √(2/π) in float32, GELU-tanh's inner factor. */
    private static final float GELU_BETA = (float) Math.sqrt(2 / Math.PI);

    /**
     * {@code gate[i] = gelu_tanh(gate[i]) · up[i]} for {@code i} in {@code [off, off+n)}, with
     * {@code gelu_tanh(a) = 0.5 a (1 + tanh(√(2/π) (a + 0.044715 a³)))} (transformers'
     * {@code gelu_pytorch_tanh}; the tanh in double, rounded once).
     */
    public static void geluTanhGate(float[] gate, float[] up, int off, int n) {
        for (int i = off; i < off + n; i++) {
            float a = gate[i];
            float cube = a * a * a;
            float inner = GELU_BETA * (a + 0.044715f * cube);
            gate[i] = 0.5f * a * (1f + (float) Math.tanh(inner)) * up[i];
        }
    }

    /** {@code x[off..off+n) *= factor}. */
    public static void scale(float[] x, int off, int n, float factor) {
        for (int i = off; i < off + n; i++) {
            x[i] *= factor;
        }
    }

    /** In-place softmax of {@code x[off..off+n)}: the maximum subtracted, {@link #exp(float)}, divided by the sum (added in order). */
    public static void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = off; i < off + n; i++) {
            max = Math.max(max, x[i]);
        }
        float sum = 0;
        for (int i = off; i < off + n; i++) {
            float e = exp(x[i] - max);
            x[i] = e;
            sum += e;
        }
        for (int i = off; i < off + n; i++) {
            x[i] /= sum;
        }
    }
}
