package dev.llamasimd.cli;

import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The options every command that loads a model shares. */
final class ModelOptions {
    @Option(names = "--model", required = true, paramLabel = "PATH", description = "a .gguf file or a Hugging Face directory")
    Path model;

    @Option(names = "--threads", paramLabel = "N", description = "worker threads (default: the number of processors)")
    int threads = Runtime.getRuntime().availableProcessors();

    /** {@code --threads}, or a usage error (exit 2) for fewer than 1. */
    int threads(CommandLine.Model.CommandSpec spec) {
        if (threads < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--threads must be at least 1, not " + threads);
        }
        return threads;
    }
}
