package dev.llamasimd.cli;

import dev.llamasimd.generate.SamplingParams;
import picocli.CommandLine.Option;

/** Sampling flags shared by {@code generate} and {@code chat}. Defaults are llama.cpp's. */
final class SamplingOptions {
    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0.8", description = "0 picks the most likely token (default: ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "40", description = "keep the K most likely tokens, 0 = all (default: ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "0.95", description = "nucleus: keep the most likely tokens up to probability P (default: ${DEFAULT-VALUE})")
    float topP;

    @Option(names = "--min-p", paramLabel = "P", defaultValue = "0.05", description = "drop tokens below P x the top probability (default: ${DEFAULT-VALUE})")
    float minP;

    @Option(names = "--repeat-penalty", paramLabel = "R", defaultValue = "1.0", description = "penalise tokens of the last 64, 1 = off (default: ${DEFAULT-VALUE})")
    float repeatPenalty;

    @Option(names = "--seed", paramLabel = "S", description = "random seed for sampling (default: a random one, printed at the end)")
    Long seed;

    SamplingParams params(long fallbackSeed) {
        return SamplingParams.DEFAULTS
                .withTemperature(temperature)
                .withTopK(topK)
                .withTopP(topP)
                .withMinP(minP)
                .withPenalties(repeatPenalty, 0f, 0f, SamplingParams.DEFAULTS.penaltyWindow())
                .withSeed(seed != null ? seed : fallbackSeed);
    }
}
