package dev.llamasimd.generate;

import dev.llamasimd.model.CacheType;
import java.util.Objects;

/**
 * How a {@link Scheduler} is set up.
 *
 * @param slots        generations that run at once, each with its own KV cache
 * @param contextSize  each slot's KV cache capacity in tokens (prompt plus generated); 0 means the
 *                     model's context length, capped at {@link SessionOptions#DEFAULT_CONTEXT_CAP}
 * @param maxQueued    requests that may wait for a free slot; one more is refused
 *                     ({@link SchedulerFullException})
 * @param prefillChunk the most prompt tokens one step prefills, so a long prompt does not stall
 *                     the streams that are decoding: it is prefilled a chunk per step between them
 * @param cacheType    the element type of every slot's KV cache: F32 (the default), or F16/BF16
 *                     at half the memory (see {@link SessionOptions#cacheType()})
 */
public record SchedulerOptions(int slots, int contextSize, int maxQueued, int prefillChunk, CacheType cacheType) {

    public static final SchedulerOptions DEFAULTS = new SchedulerOptions(4, 0, 64, 128, CacheType.F32);

    /** The most slots (each holds a KV cache; a batch of more decode rows gains nothing here). */
    public static final int MAX_SLOTS = 256;

    public SchedulerOptions {
        if (slots < 1 || slots > MAX_SLOTS) {
            throw new IllegalArgumentException("slots must be 1 to " + MAX_SLOTS + ", not " + slots);
        }
        if (contextSize < 0) {
            throw new IllegalArgumentException("context size must be ≥ 0, not " + contextSize);
        }
        if (maxQueued < 0) {
            throw new IllegalArgumentException("the queue limit must be ≥ 0, not " + maxQueued);
        }
        if (prefillChunk < 1) {
            throw new IllegalArgumentException("the prefill chunk must be ≥ 1 token, not " + prefillChunk);
        }
        Objects.requireNonNull(cacheType, "cacheType");
    }

    public SchedulerOptions withSlots(int n) {
        return new SchedulerOptions(n, contextSize, maxQueued, prefillChunk, cacheType);
    }

    public SchedulerOptions withContextSize(int n) {
        return new SchedulerOptions(slots, n, maxQueued, prefillChunk, cacheType);
    }

    public SchedulerOptions withMaxQueued(int n) {
        return new SchedulerOptions(slots, contextSize, n, prefillChunk, cacheType);
    }

    public SchedulerOptions withPrefillChunk(int n) {
        return new SchedulerOptions(slots, contextSize, maxQueued, n, cacheType);
    }

    public SchedulerOptions withCacheType(CacheType type) {
        return new SchedulerOptions(slots, contextSize, maxQueued, prefillChunk, type);
    }
}
