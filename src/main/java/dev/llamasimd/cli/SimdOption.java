package dev.llamasimd.cli;

import picocli.CommandLine.Option;

/** {@code --require-simd}, for the commands that run a model for speed. */
final class SimdOption {
    @Option(names = "--require-simd", description = "fail (exit 1) instead of warning when this JVM will not compile the"
            + " Vector API to SIMD instructions (waits for the timed self-check, a few hundred ms)")
    boolean requireSimd;
}
