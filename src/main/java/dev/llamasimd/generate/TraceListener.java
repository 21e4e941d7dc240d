package dev.llamasimd.generate;

/** Sees each generation step: what went into the model and what came out. */
@FunctionalInterface
public interface TraceListener {

    /**
     * @param step          0 for the token chosen after the prompt, then 1, 2, ...
     * @param inputTokens   tokens fed by the forward pass that produced this step's logits
     *                      (the prompt, one token with the cache, or the whole sequence without)
     * @param cachedTokens  positions held in the KV cache after that pass
     * @param chosen        the token picked
     */
    void step(int step, int inputTokens, int cachedTokens, int chosen);
}
