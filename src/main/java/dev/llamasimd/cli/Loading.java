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

    /**
     * Loads the model (an error with {@code --require-simd} when the Vector API will not be
     * compiled to SIMD), then prints the SIMD self-check's line.
     */
    static LlamaModel load(CommandLine.Model.CommandSpec spec, ModelOptions options, SimdOption simd, PrintWriter err) {
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
            LlamaModel model = LlamaModel.load(options.model,
                    LlamaModel.Options.DEFAULTS.withThreads(threads).withRequireSimd(simd.requireSimd));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (ms >= QUIET_MILLIS) {
                err.printf("loaded in %d ms%n", ms);
                err.flush();
            }
            Startup.simd(err, simd.requireSimd, false);
            return model;
        } finally {
            timer.cancel();
        }
    }
}
