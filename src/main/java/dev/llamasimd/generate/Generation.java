package dev.llamasimd.generate;

/**
 * What a generation produced, why it ended, and how fast it ran.
 *
 * @param text          the generated text (stop string and end-of-turn token not included)
 * @param tokens        the generated ids, the end-of-generation token included when it ended one
 * @param promptTokens  tokens prefilled for this request (only the new ones when the cache was reused)
 * @param promptNanos   time to prefill them
 * @param decodeNanos   time from the first generated token to the last
 * @param firstTokenNanos time from the start of the request to the first generated token
 */
public record Generation(String text, int[] tokens, FinishReason finishReason, int promptTokens, long promptNanos,
                         long decodeNanos, long firstTokenNanos) {

    /** Why generation stopped. */
    public enum FinishReason {
        /** An end-of-generation token (EOS, end of turn). */
        END_OF_GENERATION,
        /** A stop string appeared. */
        STOP_STRING,
        /** The token limit was reached. */
        MAX_TOKENS,
        /** {@link Session#cancel()} was called. */
        CANCELLED,
        /** The session's context is full; start a new session or {@link Session#reset()}. */
        CONTEXT_FULL
    }

    /** Prefill speed, tokens per second. */
    public double promptTokensPerSecond() {
        return promptNanos == 0 ? 0 : promptTokens / (promptNanos / 1e9);
    }

    /** Decode speed: tokens after the first, per second. */
    public double decodeTokensPerSecond() {
        return tokens.length < 2 || decodeNanos == 0 ? 0 : (tokens.length - 1) / (decodeNanos / 1e9);
    }
}
