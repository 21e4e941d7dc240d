package dev.llamasimd.generate;

import java.util.List;

/**
 * Receives a generation as it runs. A {@link Scheduler} calls it on its own thread between
 * steps, so it must return quickly (hand the data to another thread; never block on a client).
 */
public interface TokenListener {
    /** Text that is final: complete UTF-8, and known not to be part of a stop string. */
    void onText(String text);

    /**
     * A generated token (the end-of-generation token included when one ends the run); its
     * log-probabilities when the request asked for them ({@link GenerationParams#logprobs()}).
     */
    default void onToken(GeneratedToken token) {}

    /**
     * One generated token.
     *
     * @param id      its id
     * @param piece   its own bytes as text (special tokens shown; a partial UTF-8 character shows as U+FFFD)
     * @param logprob its natural log-probability under the model's distribution (softmax of the
     *                logits, before temperature and penalties), or NaN when not asked for
     * @param top     the most likely tokens at this step, most likely first (empty when not asked for)
     */
    record GeneratedToken(int id, String piece, float logprob, List<Alternative> top) {
        public GeneratedToken {
            top = List.copyOf(top);
        }
    }

    /** A candidate token at a step, with its log-probability. */
    record Alternative(int id, String piece, float logprob) {}
}
