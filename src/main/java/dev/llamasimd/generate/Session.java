package dev.llamasimd.generate;

import dev.llamasimd.model.Batch;
import dev.llamasimd.model.KvCache;
import dev.llamasimd.model.Llama;
import dev.llamasimd.model.State;
import dev.llamasimd.tokenizer.Tokenizer;
import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A conversation with a model: owns a KV cache and the scratch buffers, and remembers which
 * tokens the cache holds, so a follow-up only prefills what is new. The prompt is prefilled in
 * batches; then one token per step is sampled, streamed as text, and fed back.
 *
 * <p>One thread at a time per session ({@link #cancel()} may come from any thread); many sessions
 * may share one {@link LlamaModel}.
 */
public final class Session implements AutoCloseable {
    private final LlamaModel model;
    private final Llama llama;
    private final Tokenizer tokenizer;
    private final Options options;
    private final KvCache cache;
    private final State state;
    private final Batch batch;
    /** The tokens whose keys and values are in the cache (with the cache: exactly; without: the sequence so far). */
    private final IntArrayList tokens = new IntArrayList();
    private final int[] one = new int[1];
    /** The last generated token of a plain {@link #generate}, not yet fed; -1 if none. */
    private int unfed = -1;
    private volatile boolean cancelled;
    private volatile boolean closed;

    Session(LlamaModel model, Options options) {
        this.model = model;
        this.llama = model.llama();
        this.tokenizer = model.tokenizer();
        this.options = options;
        int context = model.contextFor(options.contextSize());
        this.cache = llama.newCache(context, options.cacheType());
        int rows = Math.min(options.batchSize(), context);
        this.state = llama.newBatchState(rows, 1, context);
        this.batch = new Batch(rows);
    }

    /** KV cache capacity in tokens. */
    public int contextSize() {
        return cache.capacity();
    }

    /** Bytes the session's KV cache holds (off-heap), in the options' element type. */
    public long cacheBytes() {
        return KvCache.bytesFor(llama.config(), cache.capacity(), cache.type());
    }

    /** Tokens of context in use. */
    public int position() {
        return tokens.size();
    }

    /** Forgets the conversation (the cache is kept and reused). */
    public void reset() {
        checkOpen();
        tokens.clear();
        cache.truncate(0);
        unfed = -1;
    }

    /** Stops the generation running on another thread at its next token. */
    public void cancel() {
        cancelled = true;
    }

    /**
     * Continues the session with plain text (the model's BOS is added at the start of a session)
     * and generates. {@code onText} receives complete UTF-8 text as it is generated.
     */
    public Generation generate(String prompt, GenerationParams params, Consumer<String> onText) {
        checkOpen();
        int[] ids = tokenizer.encode(prompt, tokens.isEmpty() && unfed < 0, false);
        if (unfed >= 0) {
            int[] withPending = new int[ids.length + 1];
            withPending[0] = unfed;
            System.arraycopy(ids, 0, withPending, 1, ids.length);
            ids = withPending;
        }
        if (ids.length == 0) {
            throw new IllegalArgumentException("the prompt is empty and the session holds nothing to continue from");
        }
        return run(ids, params, onText, true);
    }

    /**
     * Formats the whole conversation with the model's chat template, reuses the cached prefix it
     * shares with what this session already processed, prefills the rest and generates the
     * assistant's answer.
     */
    public Generation chat(List<ChatMessage> conversation, GenerationParams params, Consumer<String> onText) {
        checkOpen();
        int[] ids = model.chatPrompt(conversation, options.chatTemplate());
        int common = 0;
        while (common < tokens.size() && common < ids.length - 1 && tokens.getInt(common) == ids[common]) {
            common++;
        }
        tokens.size(common);
        cache.truncate(Math.min(common, cache.length()));
        unfed = -1;
        return run(Arrays.copyOfRange(ids, common, ids.length), params, onText, false);
    }

    private Generation run(int[] input, GenerationParams params, Consumer<String> onText, boolean keepUnfed) {
        cancelled = false;
        long t0 = System.nanoTime();
        int capacity = cache.capacity();
        if (tokens.size() + input.length > capacity) {
            throw new IllegalArgumentException("the prompt needs " + input.length + " more tokens but the context has "
                    + (capacity - tokens.size()) + " of " + capacity + " left; start a new session or use a larger context");
        }
        int vocab = llama.config().vocabSize();
        Sampler sampler = new Sampler(params.sampling(), vocab);
        TokenOutput output = new TokenOutput(tokenizer, params, onText == null ? null : onText::accept);
        int fed = feed(input, false);
        long t1 = System.nanoTime();
        long first = 0;
        unfed = -1;
        while (output.count() < params.maxTokens()) {
            if (cancelled) {
                output.finish(Generation.FinishReason.CANCELLED);
                break;
            }
            int id = sampler.sample(state.logits, 0, tokens);
            if (first == 0) {
                first = System.nanoTime();
            }
            if (options.trace() != null) {
                options.trace().step(output.count(), fed, cache.length(), id);
            }
            if (!output.accept(id, state.logits, 0, vocab, tokens.size() < capacity)) {
                if (output.reason() == Generation.FinishReason.MAX_TOKENS && keepUnfed) {
                    unfed = id;
                }
                break;
            }
            one[0] = id;
            fed = feed(one, true);
        }
        output.finish(Generation.FinishReason.MAX_TOKENS);
        long end = System.nanoTime();
        return new Generation(output.text(), output.tokens(), output.reason(), input.length, t1 - t0,
                first == 0 ? 0 : end - first, first == 0 ? 0 : first - t0);
    }

    /**
     * Appends tokens to the sequence and runs them: with the cache only the new ones, without it
     * the whole sequence from an emptied cache. A generated token fed back is a decode row, the
     * rest prompt rows, as the {@link Scheduler} runs them (so a session gives what a scheduled
     * request gives). Leaves the last token's logits in row 0 of the state and returns how many
     * tokens went through the model.
     */
    private int feed(int[] ids, boolean decode) {
        tokens.addElements(tokens.size(), ids);
        int from = options.useKvCache() ? cache.length() : 0;
        cache.truncate(from);
        int end = tokens.size();
        if (decode && from == end - 1) {
            batch.clear();
            batch.addDecode(cache, tokens.getInt(from), from);
            llama.forward(state, batch);
            return 1;
        }
        for (int pos = from; pos < end; ) {
            batch.clear();
            int n = Math.min(batch.capacity(), end - pos);
            for (int k = 0; k < n; k++, pos++) {
                batch.addPrompt(cache, tokens.getInt(pos), pos, pos == end - 1);
            }
            llama.forward(state, batch);
        }
        return end - from;
    }

    /** Whether {@link #close()} has run, or the model's close. */
    public boolean isClosed() {
        return closed;
    }

    private void checkOpen() {
        model.checkOpen();
        if (closed) {
            throw new IllegalStateException("the session is closed");
        }
    }

    /** Frees the KV cache (also done when the model closes); using the session afterwards throws. Closing twice does nothing. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        cache.close();
        model.forget(this);
    }

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
    public record Options(int contextSize, int batchSize, boolean useKvCache, CacheType cacheType,
                                 String chatTemplate, StepListener trace) {

        /** The default context is the model's, but at most this many tokens. */
        public static final int DEFAULT_CONTEXT_CAP = 4096;

        public static final Options DEFAULTS = new Options(0, 256, true, CacheType.F32, null, null);

        public Options {
            if (contextSize < 0) {
                throw new IllegalArgumentException("context size must be ≥ 0, not " + contextSize);
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("batch size must be ≥ 1, not " + batchSize);
            }
            Objects.requireNonNull(cacheType, "cacheType");
        }

        public Options withContextSize(int n) {
            return new Options(n, batchSize, useKvCache, cacheType, chatTemplate, trace);
        }

        public Options withBatchSize(int n) {
            return new Options(contextSize, n, useKvCache, cacheType, chatTemplate, trace);
        }

        public Options withKvCache(boolean use) {
            return new Options(contextSize, batchSize, use, cacheType, chatTemplate, trace);
        }

        public Options withCacheType(CacheType type) {
            return new Options(contextSize, batchSize, useKvCache, type, chatTemplate, trace);
        }

        public Options withChatTemplate(String name) {
            return new Options(contextSize, batchSize, useKvCache, cacheType, name, trace);
        }

        public Options withTrace(StepListener listener) {
            return new Options(contextSize, batchSize, useKvCache, cacheType, chatTemplate, listener);
        }
    }

    /** Sees each generation step: what went into the model and what came out. */
    @FunctionalInterface
    public interface StepListener {

        /**
         * @param step          0 for the token chosen after the prompt, then 1, 2, ...
         * @param inputTokens   tokens fed by the forward pass that produced this step's logits
         *                      (the prompt, one token with the cache, or the whole sequence without)
         * @param cachedTokens  positions held in the KV cache after that pass
         * @param chosen        the token picked
         */
        void step(int step, int inputTokens, int cachedTokens, int chosen);
    }
}
