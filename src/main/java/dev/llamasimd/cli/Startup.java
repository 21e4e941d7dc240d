package dev.llamasimd.cli;

import dev.llamasimd.kernels.SimdCheck;
import dev.llamasimd.kernels.Vec;
import java.io.PrintWriter;

/** What a user should know about the JVM before blaming the model for being slow. */
final class Startup {
    private Startup() {}

    static String vectorDescription() {
        return "Vector API species " + Vec.F + " (" + Vec.L + " float lanes)";
    }

    /**
     * The self-check's line on stderr: the timed check's when {@code await} (then a failed one
     * is an error with {@code require}), else the VM options' verdict at once and a warning later
     * should the timed check, running on, find what they did not.
     */
    static void simd(PrintWriter err, boolean await, boolean require) {
        SimdCheck check = (await ? SimdCheck.timed() : SimdCheck.flags()).join();
        if (require) {
            check.require();
        }
        print(err, check);
        if (!await && check.simd()) {
            SimdCheck.timed().thenAccept(timed -> {
                if (!timed.simd()) {
                    print(err, timed);
                }
            });
        }
    }

    private static void print(PrintWriter err, SimdCheck check) {
        err.println(check.simd() ? check.line() : "warning: " + check.line());
        err.flush();
    }
}
