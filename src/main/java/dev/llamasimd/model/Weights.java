package dev.llamasimd.model;

import java.util.List;

/**
 * The model's tensors, named as in the Llama paper and llama2.c. Matrices are views of the
 * mapped file; the norm vectors (a few KB) are widened to float arrays at load.
 *
 * @param output the classifier; the same matrix as {@code tokenEmbedding} when tied
 * @param ropeInvFreq the per-pair rotary inverse frequencies, scaling applied
 */
public record Weights(Matrix tokenEmbedding, Layer[] layers, float[] outputNorm, Matrix output, float[] ropeInvFreq) {

    /**
     * One transformer block: pre-norm attention, then a pre-norm gated MLP ({@code w1} gate,
     * {@code w3} up, {@code w2} down); a projection's bias, if it has one, is in its {@link Matrix}.
     */
    public record Layer(
            float[] attnNorm, Matrix wq, Matrix wk, Matrix wv, Matrix wo,
            float[] ffnNorm, Matrix w1, Matrix w2, Matrix w3) {

        /** Its seven projections, in this order: q, k, v, o, gate, down, up. */
        public List<Matrix> matrices() {
            return List.of(wq, wk, wv, wo, w1, w2, w3);
        }
    }

    public boolean tiedOutput() {
        return output.tensor() == tokenEmbedding.tensor();
    }
}
