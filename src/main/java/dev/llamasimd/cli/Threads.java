package dev.llamasimd.cli;

import picocli.CommandLine;

/** The {@code --threads} rule every command shares. */
final class Threads {
    /** More workers than this is a mistake, not a configuration (each one has its own scratch). */
    static final int MAX = 256;

    private Threads() {}

    /**
     * {@code requested}, capped at the processors this JVM sees (saying so on stderr); a usage
     * error (exit 2) below 1 or above {@link #MAX}.
     */
    static int check(CommandLine.Model.CommandSpec spec, int requested) {
        if (requested < 1 || requested > MAX) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--threads must be from 1 to " + MAX + ", not " + requested);
        }
        int processors = Runtime.getRuntime().availableProcessors();
        if (requested > processors) {
            spec.commandLine().getErr().println("--threads " + requested + ": this JVM sees " + processors
                    + " processor" + (processors == 1 ? "" : "s") + "; using " + processors);
            spec.commandLine().getErr().flush();
            return processors;
        }
        return requested;
    }
}
