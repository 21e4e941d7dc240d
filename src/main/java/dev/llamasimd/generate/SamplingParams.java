package dev.llamasimd.generate;

/**
 * How the next token is picked from the logits. Filters run in llama.cpp's order: penalties,
 * top-k, top-p, min-p (on the probabilities at temperature 1), then temperature and a draw.
 *
 * @param temperature       0 (or less) picks the most likely token (greedy); otherwise logits are divided by it
 * @param topK              keep the K most likely tokens; 0 keeps all
 * @param topP              keep the smallest set of most likely tokens whose probability reaches P; 1 keeps all
 * @param minP              drop tokens less likely than P × the most likely one; 0 keeps all
 * @param repeatPenalty     a logit of a token seen in the window is divided by this when positive, multiplied when negative; 1 is off
 * @param frequencyPenalty  subtracted once per occurrence in the window
 * @param presencePenalty   subtracted once if the token occurs in the window
 * @param penaltyWindow     how many of the latest tokens the penalties look at
 * @param seed              the random seed: the same seed and input give the same tokens
 */
public record SamplingParams(
        float temperature,
        int topK,
        float topP,
        float minP,
        float repeatPenalty,
        float frequencyPenalty,
        float presencePenalty,
        int penaltyWindow,
        long seed) {

    /** llama.cpp's defaults: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, no penalties. */
    public static final SamplingParams DEFAULTS = new SamplingParams(0.8f, 40, 0.95f, 0.05f, 1f, 0f, 0f, 64, 42);

    /** Always the most likely token. */
    public static final SamplingParams GREEDY = DEFAULTS.withTemperature(0);

    public SamplingParams {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a number ≥ 0 (0: greedy), not " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top-k must be ≥ 0, not " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top-p must be in (0, 1], not " + topP);
        }
        if (!(minP >= 0 && minP <= 1)) {
            throw new IllegalArgumentException("min-p must be in [0, 1], not " + minP);
        }
        if (!(repeatPenalty > 0)) {
            throw new IllegalArgumentException("repeat penalty must be > 0, not " + repeatPenalty);
        }
        if (!Float.isFinite(frequencyPenalty) || !Float.isFinite(presencePenalty)) {
            throw new IllegalArgumentException("frequency and presence penalties must be finite");
        }
        if (penaltyWindow < 0) {
            throw new IllegalArgumentException("penalty window must be ≥ 0, not " + penaltyWindow);
        }
    }

    public boolean greedy() {
        return temperature <= 0;
    }

    public SamplingParams withTemperature(float t) {
        return new SamplingParams(t, topK, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty, penaltyWindow, seed);
    }

    public SamplingParams withTopK(int k) {
        return new SamplingParams(temperature, k, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty, penaltyWindow, seed);
    }

    public SamplingParams withTopP(float p) {
        return new SamplingParams(temperature, topK, p, minP, repeatPenalty, frequencyPenalty, presencePenalty, penaltyWindow, seed);
    }

    public SamplingParams withMinP(float p) {
        return new SamplingParams(temperature, topK, topP, p, repeatPenalty, frequencyPenalty, presencePenalty, penaltyWindow, seed);
    }

    public SamplingParams withPenalties(float repeat, float frequency, float presence, int window) {
        return new SamplingParams(temperature, topK, topP, minP, repeat, frequency, presence, window, seed);
    }

    public SamplingParams withSeed(long s) {
        return new SamplingParams(temperature, topK, topP, minP, repeatPenalty, frequencyPenalty, presencePenalty, penaltyWindow, s);
    }
}
