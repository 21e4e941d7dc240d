package dev.llamasimd.generate;

import java.util.List;

/**
 * One generation request.
 *
 * @param sampling     how tokens are picked
 * @param maxTokens    the most tokens to generate
 * @param stopStrings  generation stops before any of these appears (matched across token boundaries)
 * @param stopAtEndOfGeneration stop at EOS / end-of-turn tokens (turn off only to reproduce reference runs)
 * @param logprobs     -1: no log-probabilities; 0 to {@link #MAX_LOGPROBS}: each generated token's
 *                     log-probability and that many most likely alternatives, reported to a
 *                     {@link TokenListener}
 */
public record GenerationParams(SamplingParams sampling, int maxTokens, List<String> stopStrings,
                               boolean stopAtEndOfGeneration, int logprobs) {

    /** The most alternatives a token's log-probabilities list. */
    public static final int MAX_LOGPROBS = 20;

    public GenerationParams {
        if (maxTokens < 0) {
            throw new IllegalArgumentException("max tokens must be ≥ 0, not " + maxTokens);
        }
        if (logprobs < -1 || logprobs > MAX_LOGPROBS) {
            throw new IllegalArgumentException("logprobs must be -1 (none) to " + MAX_LOGPROBS + ", not " + logprobs);
        }
        stopStrings = List.copyOf(stopStrings);
    }

    public static GenerationParams of(SamplingParams sampling, int maxTokens) {
        return new GenerationParams(sampling, maxTokens, List.of(), true, -1);
    }

    public GenerationParams withStopStrings(List<String> stops) {
        return new GenerationParams(sampling, maxTokens, stops, stopAtEndOfGeneration, logprobs);
    }

    public GenerationParams withStopAtEndOfGeneration(boolean stop) {
        return new GenerationParams(sampling, maxTokens, stopStrings, stop, logprobs);
    }

    /** Reports each token's log-probability and its {@code top} most likely alternatives (-1: none). */
    public GenerationParams withLogprobs(int top) {
        return new GenerationParams(sampling, maxTokens, stopStrings, stopAtEndOfGeneration, top);
    }
}
