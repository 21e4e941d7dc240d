package dev.llamasimd.generate;

import dev.llamasimd.model.CacheType;
import java.util.Objects;

/**
 * How a session is set up.
 *
 * @param contextSize  KV cache capacity in tokens; 0 means the model's context length, capped at
 *                     {@link #DEFAULT_CONTEXT_CAP} (the cache is allocated up front)
 * @param batchSize    the most prompt tokens per forward pass
 * @param useKvCache   false recomputes the whole sequence for every new token (the uncached loop)
 * @param cacheType    the KV cache's element type: F32 (the default), or F16/BF16 at half the
 *                     memory, keys and values rounded as they are stored
 * @param chatTemplate a chat template name to use instead of the one the model file names; null to detect
 * @param trace        called once per generated token, or null
 */
public record SessionOptions(int contextSize, int batchSize, boolean useKvCache, CacheType cacheType,
                             String chatTemplate, TraceListener trace) {

    /** The default context is the model's, but at most this many tokens. */
    public static final int DEFAULT_CONTEXT_CAP = 4096;

    public static final SessionOptions DEFAULTS = new SessionOptions(0, 256, true, CacheType.F32, null, null);

    public SessionOptions {
        if (contextSize < 0) {
            throw new IllegalArgumentException("context size must be ≥ 0, not " + contextSize);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be ≥ 1, not " + batchSize);
        }
        Objects.requireNonNull(cacheType, "cacheType");
    }

    public SessionOptions withContextSize(int n) {
        return new SessionOptions(n, batchSize, useKvCache, cacheType, chatTemplate, trace);
    }

    public SessionOptions withBatchSize(int n) {
        return new SessionOptions(contextSize, n, useKvCache, cacheType, chatTemplate, trace);
    }

    public SessionOptions withKvCache(boolean use) {
        return new SessionOptions(contextSize, batchSize, use, cacheType, chatTemplate, trace);
    }

    public SessionOptions withCacheType(CacheType type) {
        return new SessionOptions(contextSize, batchSize, useKvCache, type, chatTemplate, trace);
    }

    public SessionOptions withChatTemplate(String name) {
        return new SessionOptions(contextSize, batchSize, useKvCache, cacheType, name, trace);
    }

    public SessionOptions withTrace(TraceListener listener) {
        return new SessionOptions(contextSize, batchSize, useKvCache, cacheType, chatTemplate, listener);
    }
}
