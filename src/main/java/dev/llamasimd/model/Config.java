package dev.llamasimd.model;

import dev.llamasimd.kernels.Rope;

/**
 * The hyper-parameters of a Llama-family decoder, read from GGUF metadata or a Hugging Face
 * {@code config.json} (see {@link ModelLoader}).
 *
 * @param family       the decoder family (GGUF {@code general.architecture}, HF {@code model_type})
 * @param dim          hidden size
 * @param ffnDim       SwiGLU inner size
 * @param headDim      per-head size of queries, keys and values
 * @param ropeDims     how many values of each head rotate (≤ headDim, even)
 * @param ropeScaling  {@code null} when none
 * @param contextLength the longest context the model was trained for
 * @param slidingWindow how many positions (itself included) a query sees, or 0 for all before it
 */
public record Config(
        Architecture family,
        int dim,
        int ffnDim,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int vocabSize,
        int contextLength,
        float rmsEps,
        float ropeTheta,
        int ropeDims,
        Rope.Layout ropeLayout,
        RopeScaling ropeScaling,
        int slidingWindow) {

    public Config {
        java.util.Objects.requireNonNull(family, "family");
        positive("dim", dim);
        positive("ffnDim", ffnDim);
        positive("layers", layers);
        positive("heads", heads);
        positive("kvHeads", kvHeads);
        positive("headDim", headDim);
        positive("vocabSize", vocabSize);
        positive("contextLength", contextLength);
        if (slidingWindow < 0) {
            throw new IllegalArgumentException("sliding window " + slidingWindow + " must be ≥ 0 (0: none)");
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException(
                    "head count " + heads + " is not a multiple of the KV head count " + kvHeads);
        }
        if (ropeDims <= 0 || ropeDims > headDim || ropeDims % 2 != 0) {
            throw new IllegalArgumentException(
                    "rope dimension count " + ropeDims + " must be even and in (0, " + headDim + "]");
        }
        if (!(rmsEps > 0) || !(ropeTheta > 0)) {
            throw new IllegalArgumentException("rms eps " + rmsEps + " and rope theta " + ropeTheta + " must be > 0");
        }
    }

    private static void positive(String name, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be positive, not " + v);
        }
    }

    /** The first position that a query at {@code pos} attends to. */
    public int firstAttended(int pos) {
        return slidingWindow == 0 ? 0 : Math.max(0, pos + 1 - slidingWindow);
    }

    public int qDim() {
        return heads * headDim;
    }

    public int kvDim() {
        return kvHeads * headDim;
    }

    /**
     * The inverse frequency of each rotating pair, in float32 as transformers computes it
     * ({@code 1 / theta^(2i/d)}), scaled by {@link #ropeScaling} and divided by the GGUF
     * {@code rope_freqs} factors when given.
     *
     * @param freqFactors {@code null}, or one divisor per pair
     */
    public float[] ropeInvFreq(float[] freqFactors) {
        float[] inv = new float[ropeDims / 2];
        for (int i = 0; i < inv.length; i++) {
            float exponent = (float) (2 * i) / ropeDims;
            float f = 1f / (float) Math.pow(ropeTheta, exponent);
            if (ropeScaling != null) {
                f = ropeScaling.apply(f);
            }
            if (freqFactors != null) {
                f /= freqFactors[i];
            }
            inv[i] = f;
        }
        return inv;
    }
}
