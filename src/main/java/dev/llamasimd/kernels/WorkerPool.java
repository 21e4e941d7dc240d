package dev.llamasimd.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of daemon workers that wait for the next loop by spinning briefly and then
 * parking. Dispatching a loop allocates nothing: the body and the range are published through
 * fields, and a generation counter wakes the workers. The calling thread runs range 0 itself.
 */
final class WorkerPool implements Parallel {
    private static final int SPINS = 20_000;

    private final int threads;
    private final Thread[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile long generation;
    private volatile boolean closed;
    private volatile Thread caller;
    private Body body;
    private int n;
    private volatile Throwable failure;

    WorkerPool(int threads) {
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int w = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name("llama-simd-worker-" + w).start(() -> loop(w));
        }
    }

    @Override
    public int threads() {
        return threads;
    }

    @Override
    public synchronized void forRange(int n, Body body) {
        if (closed) {
            throw new IllegalStateException("worker pool is closed");
        }
        if (n < threads) {
            body.run(0, 0, n);
            return;
        }
        this.body = body;
        this.n = n;
        this.caller = Thread.currentThread();
        failure = null;
        pending.set(workers.length);
        generation++;
        for (Thread t : workers) {
            LockSupport.unpark(t);
        }
        try {
            body.run(0, 0, Parallel.chunkStart(n, threads, 1));
        } catch (Throwable t) {
            failure = t;
        }
        for (int spin = 0; pending.get() != 0; spin++) {
            if (spin < SPINS) {
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
            }
        }
        this.body = null;
        Throwable f = failure;
        if (f != null) {
            failure = null;
            if (f instanceof RuntimeException re) {
                throw re;
            }
            if (f instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(f);
        }
    }

    private void loop(int w) {
        long seen = 0;
        while (true) {
            for (int spin = 0; generation == seen && !closed; spin++) {
                if (spin < SPINS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) {
                return;
            }
            seen = generation;
            try {
                body.run(w, Parallel.chunkStart(n, threads, w), Parallel.chunkStart(n, threads, w + 1));
            } catch (Throwable t) {
                failure = t;
            }
            if (pending.decrementAndGet() == 0) {
                LockSupport.unpark(caller);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread t : workers) {
            LockSupport.unpark(t);
        }
    }
}
