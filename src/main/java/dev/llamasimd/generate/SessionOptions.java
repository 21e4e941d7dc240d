package dev.llamasimd.generate;

/**
 * How a session is set up.
 *
 * @param contextSize  KV cache capacity in tokens; 0 means the model's context length, capped at
 *                     {@link #DEFAULT_CONTEXT_CAP} (the cache is allocated up front)
 * @param batchSize    the most prompt tokens per forward pass
 * @param useKvCache   false recomputes the whole sequence for every new token (the uncached loop)
 * @param chatTemplate a chat template name to use instead of the one the model file names; null to detect
 * @param trace        called once per generated token, or null
 */
public record SessionOptions(int contextSize, int batchSize, boolean useKvCache, String chatTemplate,
                             TraceListener trace) {

    /** The default context is the model's, but at most this many tokens. */
    public static final int DEFAULT_CONTEXT_CAP = 4096;

    public static final SessionOptions DEFAULTS = new SessionOptions(0, 256, true, null, null);

    public SessionOptions {
        if (contextSize < 0) {
            throw new IllegalArgumentException("context size must be ≥ 0, not " + contextSize);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be ≥ 1, not " + batchSize);
        }
    }

    public SessionOptions withContextSize(int n) {
        return new SessionOptions(n, batchSize, useKvCache, chatTemplate, trace);
    }

    public SessionOptions withBatchSize(int n) {
        return new SessionOptions(contextSize, n, useKvCache, chatTemplate, trace);
    }

    public SessionOptions withKvCache(boolean use) {
        return new SessionOptions(contextSize, batchSize, use, chatTemplate, trace);
    }

    public SessionOptions withChatTemplate(String name) {
        return new SessionOptions(contextSize, batchSize, useKvCache, name, trace);
    }

    public SessionOptions withTrace(TraceListener listener) {
        return new SessionOptions(contextSize, batchSize, useKvCache, chatTemplate, listener);
    }
}
