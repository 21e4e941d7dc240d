package dev.llamasimd.generate;

import java.util.List;

/**
 * One generation request.
 *
 * @param sampling     how tokens are picked
 * @param maxTokens    the most tokens to generate
 * @param stopStrings  generation stops before any of these appears (matched across token boundaries)
 * @param stopAtEndOfGeneration stop at EOS / end-of-turn tokens (turn off only to reproduce reference runs)
 */
public record GenerationParams(SamplingParams sampling, int maxTokens, List<String> stopStrings,
                               boolean stopAtEndOfGeneration) {

    public GenerationParams {
        if (maxTokens < 0) {
            throw new IllegalArgumentException("max tokens must be ≥ 0, not " + maxTokens);
        }
        stopStrings = List.copyOf(stopStrings);
    }

    public static GenerationParams of(SamplingParams sampling, int maxTokens) {
        return new GenerationParams(sampling, maxTokens, List.of(), true);
    }

    public GenerationParams withStopStrings(List<String> stops) {
        return new GenerationParams(sampling, maxTokens, stops, stopAtEndOfGeneration);
    }

    public GenerationParams withStopAtEndOfGeneration(boolean stop) {
        return new GenerationParams(sampling, maxTokens, stopStrings, stop);
    }
}
