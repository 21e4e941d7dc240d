package dev.llamasimd.cli;

/** Option values picocli cannot check by type alone (callers wrap them in {@link Usage#check}). */
final class CliChecks {
    private CliChecks() {}

    /** {@code --ctx}: absent is the model's default (0 to {@link dev.llamasimd.generate.Session.Options}); else ≥ 1. */
    static int context(Integer ctx) {
        if (ctx == null) {
            return 0;
        }
        if (ctx < 1) {
            throw new IllegalArgumentException("--ctx must be at least 1, not " + ctx + " (leave it out for the model's own)");
        }
        return ctx;
    }
}
