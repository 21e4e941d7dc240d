package dev.llamasimd.model;

/**
 * A prompt does not fit the context (with room for at least one generated token). An
 * {@link IllegalArgumentException}, as before, with the sizes for a caller that reports them
 * (a server's {@code context_length_exceeded}).
 */
public final class PromptTooLongException extends IllegalArgumentException {
    private final int promptTokens;
    private final int contextSize;

    public PromptTooLongException(int promptTokens, int contextSize) {
        super("the prompt has " + promptTokens + " tokens; the context holds " + contextSize
                + " (prompt and at least one generated token)");
        this.promptTokens = promptTokens;
        this.contextSize = contextSize;
    }

    public int promptTokens() {
        return promptTokens;
    }

    public int contextSize() {
        return contextSize;
    }
}
