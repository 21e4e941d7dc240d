package dev.llamasimd.generate;

/**
 * How a model is loaded.
 *
 * @param threads     worker threads for the forward pass; 0 means one per processor
 * @param requireSimd fail the load with an {@link IllegalStateException} naming the cause and
 *                    the fix, instead of logging a warning, when this JVM will not compile the
 *                    Vector API to SIMD instructions (then waits for the timed check, a few
 *                    hundred milliseconds once per JVM)
 */
public record LoadOptions(int threads, boolean requireSimd) {

    public static final LoadOptions DEFAULTS = new LoadOptions(0, false);

    public LoadOptions {
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be at least 1 (or 0 for one per processor), not " + threads);
        }
    }

    public LoadOptions withThreads(int n) {
        return new LoadOptions(n, requireSimd);
    }

    public LoadOptions withRequireSimd(boolean require) {
        return new LoadOptions(threads, require);
    }
}
