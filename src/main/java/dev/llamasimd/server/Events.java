package dev.llamasimd.server;

import dev.llamasimd.generate.Generation;
import dev.llamasimd.generate.TokenListener;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A request's listener: the scheduler's thread puts what happens into a queue that the request's
 * own HTTP handler thread drains, so the scheduler never waits for a client. Tokens carry the
 * time the scheduler produced them, for the latency metrics.
 */
final class Events implements TokenListener {
    sealed interface Event {}

    record Text(String text) implements Event {}

    record Token(GeneratedToken token, long nanos) implements Event {}

    /** The generation ended: its result, or the error it failed with. */
    record Done(Generation generation, Throwable error) implements Event {}

    final BlockingQueue<Event> queue = new LinkedBlockingQueue<>();

    @Override
    public void onText(String text) {
        queue.add(new Text(text));
    }

    @Override
    public void onToken(GeneratedToken token) {
        queue.add(new Token(token, System.nanoTime()));
    }

    void done(Generation g, Throwable error) {
        queue.add(new Done(g, error));
    }
}
