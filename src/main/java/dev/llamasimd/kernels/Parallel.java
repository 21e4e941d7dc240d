package dev.llamasimd.kernels;

/**
 * Runs a loop over {@code [0, n)} split into contiguous ranges, one per worker, and returns when
 * all are done. Implementations are pluggable (a fixed pool, the caller's thread alone, or an
 * embedding service's own); the kernels' results do not depend on which one runs them.
 */
public interface Parallel extends AutoCloseable {

    /** A body run once per worker over its range; {@code worker} is in {@code [0, threads())}. */
    @FunctionalInterface
    interface Body {
        void run(int worker, int start, int end);
    }

    int threads();

    /** Runs {@code body} over {@code [0, n)}; a worker's exception is rethrown here. */
    void forRange(int n, Body body);

    @Override
    default void close() {}

    /** Everything on the calling thread. */
    static Parallel serial() {
        return new Parallel() {
            @Override
            public int threads() {
                return 1;
            }

            @Override
            public void forRange(int n, Body body) {
                body.run(0, 0, n);
            }
        };
    }

    /** A fixed pool of {@code threads} workers (the caller counts as one). */
    static Parallel pool(int threads) {
        return threads <= 1 ? serial() : new WorkerPool(threads);
    }

    /** Where worker {@code w} of {@code workers} starts in {@code [0, n)}; it ends where {@code w + 1} starts. */
    static int chunkStart(int n, int workers, int w) {
        return (int) ((long) n * w / workers);
    }
}
