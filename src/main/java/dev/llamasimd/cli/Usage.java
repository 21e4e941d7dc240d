package dev.llamasimd.cli;

import java.util.function.Supplier;
import picocli.CommandLine;

/** Turns invalid option values, found when the options are combined, into usage errors (exit 2). */
final class Usage {
    private Usage() {}

    static <T> T check(CommandLine.Model.CommandSpec spec, Supplier<T> make) {
        try {
            return make.get();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
