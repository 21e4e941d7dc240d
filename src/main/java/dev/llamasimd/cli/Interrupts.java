package dev.llamasimd.cli;

import sun.misc.Signal;

/** Ctrl-C handling for the interactive commands. */
final class Interrupts {
    private Interrupts() {}

    /** Runs {@code action} on SIGINT instead of ending the JVM (where the platform has SIGINT). */
    static void onCtrlC(Runnable action) {
        try {
            Signal.handle(new Signal("INT"), signal -> action.run());
        } catch (IllegalArgumentException unsupported) {
            // no SIGINT on this platform: Ctrl-C keeps its default meaning
        }
    }
}
