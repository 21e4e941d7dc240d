package dev.llamasimd.cli;

import dev.llamasimd.generate.LlamaModel;
import java.io.PrintWriter;
import java.util.Timer;
import java.util.TimerTask;
import picocli.CommandLine;

/** Loads a model, telling the user what is going on when it takes more than a moment. */
final class Loading {
    private static final long QUIET_MILLIS = 700;

    private Loading() {}

    static LlamaModel load(CommandLine.Model.CommandSpec spec, ModelOptions options, PrintWriter err) {
        int threads = options.threads(spec);
        Timer timer = new Timer("llama-simd-loading", true);
        long t0 = System.nanoTime();
        timer.schedule(new TimerTask() {
            @Override
            public void run() {
                err.printf("loading %s ...%n", options.model);
                err.flush();
            }
        }, QUIET_MILLIS);
        try {
            LlamaModel model = LlamaModel.load(options.model, threads);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (ms >= QUIET_MILLIS) {
                err.printf("loaded in %d ms%n", ms);
                err.flush();
            }
            return model;
        } finally {
            timer.cancel();
        }
    }
}
