package dev.llamasimd.generate;

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
 */
public record SchedulerOptions(int slots, int contextSize, int maxQueued, int prefillChunk) {

    public static final SchedulerOptions DEFAULTS = new SchedulerOptions(4, 0, 64, 128);

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
    }

    public SchedulerOptions withSlots(int n) {
        return new SchedulerOptions(n, contextSize, maxQueued, prefillChunk);
    }

    public SchedulerOptions withContextSize(int n) {
        return new SchedulerOptions(slots, n, maxQueued, prefillChunk);
    }

    public SchedulerOptions withMaxQueued(int n) {
        return new SchedulerOptions(slots, contextSize, n, prefillChunk);
    }

    public SchedulerOptions withPrefillChunk(int n) {
        return new SchedulerOptions(slots, contextSize, maxQueued, n);
    }
}
