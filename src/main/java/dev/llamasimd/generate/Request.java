package dev.llamasimd.generate;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * A generation submitted to a {@link Scheduler}: its result when it ends, and a way to stop it.
 * Thread-safe.
 */
public final class Request {
    final int[] prompt;
    final GenerationParams params;
    final TokenListener listener;
    final long submitted = System.nanoTime();
    private final CompletableFuture<Generation> result = new CompletableFuture<>();
    private volatile boolean cancelled;

    Request(int[] prompt, GenerationParams params, TokenListener listener) {
        this.prompt = prompt;
        this.params = params;
        this.listener = listener;
    }

    /** Tokens of the prompt (BOS and chat template included). */
    public int promptTokens() {
        return prompt.length;
    }

    /**
     * Stops the generation at the next step and frees its slot (a queued request never starts);
     * the result is then a {@link Generation} with {@link Generation.FinishReason#CANCELLED}.
     */
    public void cancel() {
        cancelled = true;
    }

    boolean cancelled() {
        return cancelled;
    }

    /** Completes with the generation, or exceptionally when it failed. */
    public CompletableFuture<Generation> result() {
        return result;
    }

    /** Waits for the generation; a failure is rethrown as it was raised (a runtime exception). */
    public Generation await() throws InterruptedException {
        try {
            return result.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new CompletionException(e.getCause());
        } catch (CancellationException e) {
            throw new IllegalStateException("the request's future was cancelled", e);
        }
    }

    public boolean isDone() {
        return result.isDone();
    }

    void complete(Generation g) {
        result.complete(g);
    }

    void fail(Throwable t) {
        result.completeExceptionally(t);
    }
}
