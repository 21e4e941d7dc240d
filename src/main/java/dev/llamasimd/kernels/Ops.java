package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

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

    /*
     * e^x in float32 by plain IEEE arithmetic, so that vector lanes, the scalar tail, the
     * interpreter, C1 and C2 give the same bits (Math.exp is scalar, and the Vector API's EXP is
     * computed differently by C2 and by its Java fallback). x = n·ln2 + r with |r| ≤ ln2/2, e^r by
     * a degree-7 polynomial (Cephes' expf coefficients), then scaled by 2^n through the exponent
     * bits (in two factors, so that both are normal numbers). Within 2 ulp of Math.exp down to
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

    /** e^x, the scalar form of the vector code in {@link #exp(float[], int, int)}: the same steps, the same bits. */
    public static float exp(float x) {
        if (Float.isNaN(x)) {
            return x;
        }
        if (x < EXP_LO) {
            return 0f;
        }
        if (x > EXP_HI) {
            return Float.POSITIVE_INFINITY;
        }
        float n = (x * LOG2E + ROUND) - ROUND;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(P0, r, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float e = Math.fma(p, r * r, r) + 1f;
        int k = (int) n; // -126..128: 2^k in two normal factors
        int k1 = k >> 1;
        return e * Float.intBitsToFloat((k1 + 127) << 23) * Float.intBitsToFloat((k - k1 + 127) << 23);
    }

    /** {@code x[off..off+n) = e^x}, lane for lane the same bits as {@link #exp(float)}. */
    public static void exp(float[] x, int off, int n) {
        int upper = Vec.loopBound(n);
        int i = 0;
        for (; i < upper; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, off + i);
            FloatVector c = v.max(EXP_LO).min(EXP_HI);
            FloatVector k = c.mul(LOG2E).add(ROUND).sub(ROUND);
            FloatVector r = k.fma(FloatVector.broadcast(F, -LN2_HI), c);
            r = k.fma(FloatVector.broadcast(F, -LN2_LO), r);
            FloatVector p = r.fma(P0, P1);
            p = p.fma(r, FloatVector.broadcast(F, P2));
            p = p.fma(r, FloatVector.broadcast(F, P3));
            p = p.fma(r, FloatVector.broadcast(F, P4));
            p = p.fma(r, FloatVector.broadcast(F, P5));
            FloatVector e = p.fma(r.mul(r), r).add(1f);
            IntVector ki = (IntVector) k.convert(VectorOperators.F2I, 0);
            IntVector k1 = ki.lanewise(VectorOperators.ASHR, 1);
            e = e.mul(k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                    .mul(ki.sub(k1).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                    .blend(0f, v.compare(VectorOperators.LT, EXP_LO))
                    .blend(Float.POSITIVE_INFINITY, v.compare(VectorOperators.GT, EXP_HI))
                    .blend(v, v.test(VectorOperators.IS_NAN));
            e.intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] = exp(x[off + i]);
        }
    }

    /**
     * SwiGLU: {@code gate[i] = silu(gate[i]) · up[i]}, {@code silu(a) = a / (1 + e^-a)}, with
     * {@link #exp(float[], int, int)}: {@code e^-a} is computed into {@code gate} first.
     */
    public static void siluGate(float[] gate, float[] up, float[] scratch, int off, int n) {
        for (int start = 0; start < n; start += scratch.length) {
            int len = Math.min(scratch.length, n - start);
            int o = off + start;
            int upper = Vec.loopBound(len);
            int i = 0;
            for (; i < upper; i += L) {
                FloatVector.fromArray(F, gate, o + i).neg().intoArray(scratch, i);
            }
            for (; i < len; i++) {
                scratch[i] = -gate[o + i];
            }
            exp(scratch, 0, len);
            i = 0;
            for (; i < upper; i += L) {
                FloatVector g = FloatVector.fromArray(F, gate, o + i);
                g.div(FloatVector.fromArray(F, scratch, i).add(1f)).mul(FloatVector.fromArray(F, up, o + i))
                        .intoArray(gate, o + i);
            }
            for (; i < len; i++) {
                gate[o + i] = gate[o + i] / (1f + scratch[i]) * up[o + i];
            }
        }
    }

    /**
     * In-place softmax of {@code x[off..off+n)}: the maximum subtracted, {@link #exp(float[], int, int)},
     * divided by the sum (added up in a fixed order).
     */
    public static void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = off; i < off + n; i++) {
            max = Math.max(max, x[i]);
        }
        int upper = Vec.loopBound(n);
        int i = 0;
        for (; i < upper; i += L) {
            FloatVector.fromArray(F, x, off + i).sub(max).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] -= max;
        }
        exp(x, off, n);
        FloatVector acc = FloatVector.zero(F);
        for (i = 0; i < upper; i += L) {
            acc = acc.add(FloatVector.fromArray(F, x, off + i));
        }
        float sum = Vec.sum(acc);
        for (i = upper; i < n; i++) {
            sum += x[off + i];
        }
        for (i = 0; i < upper; i += L) {
            FloatVector.fromArray(F, x, off + i).div(sum).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] /= sum;
        }
    }
}
