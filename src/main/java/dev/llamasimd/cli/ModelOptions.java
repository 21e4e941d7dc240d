package dev.llamasimd.cli;

import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The options every command that loads a model shares. */
final class ModelOptions {
    @Option(names = "--model", required = true, paramLabel = "PATH", description = "a .gguf file or a Hugging Face directory")
    Path model;

    @Option(names = "--threads", paramLabel = "N", description = "worker threads, 1 to 256; more than the processors are capped (default: the number of processors)")
    int threads = Runtime.getRuntime().availableProcessors();

    /** {@code --threads} as {@link Threads#check} allows it (and from then on in {@link #threads}). */
    int threads(CommandLine.Model.CommandSpec spec) {
        threads = Threads.check(spec, threads);
        return threads;
    }
}
