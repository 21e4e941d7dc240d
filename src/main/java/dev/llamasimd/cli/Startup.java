package dev.llamasimd.cli;

import dev.llamasimd.kernels.Vec;

/** What a user should know about the JVM before blaming the model for being slow. */
final class Startup {
    private Startup() {}

    static String vectorDescription() {
        return "Vector API species " + Vec.F + " (" + Vec.L + " float lanes)";
    }
}
