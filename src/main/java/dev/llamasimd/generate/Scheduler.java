package dev.llamasimd.generate;

import dev.llamasimd.model.Batch;
import dev.llamasimd.model.KvCache;
import dev.llamasimd.model.Llama;
import dev.llamasimd.model.PromptTooLongException;
import dev.llamasimd.model.State;
import dev.llamasimd.tokenizer.Tokenizer;
import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs many generations at once on one model (continuous batching): a fixed set of slots, each
 * with its own KV cache, and one thread that owns the forward pass. Each step decodes one token
 * of every running generation and prefills at most {@link Options#prefillChunk()} prompt
 * tokens of the oldest waiting prompt; a request joins between steps as soon as a slot is free
 * and leaves the moment it ends or is cancelled. Thread-safe: any thread may {@link #submit}.
 *
 * <p>A generation's tokens do not depend on what it runs beside: with the same prompt, parameters
 * and seed it gives what it gives alone (prompt tokens are computed in the batched order, decoded
 * tokens in the single-token order, whatever the step holds).
 */
public final class Scheduler implements AutoCloseable {
    private final LlamaModel model;
    private final Llama llama;
    private final Tokenizer tokenizer;
    private final Options options;
    private final int context;
    private final Slot[] slots;
    private final State state;
    private final Batch batch;
    /** Slots still prefilling, oldest prompt first. */
    private final ArrayDeque<Slot> prefilling = new ArrayDeque<>();
    private final ArrayDeque<Request> queue = new ArrayDeque<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Thread thread;
    private volatile boolean closed;

    private final AtomicLong submittedCount = new AtomicLong();
    private final AtomicLong refusedCount = new AtomicLong();
    private final AtomicLong completedCount = new AtomicLong();
    private final AtomicLong failedCount = new AtomicLong();
    private final AtomicLong promptTokenCount = new AtomicLong();
    private final AtomicLong generatedTokenCount = new AtomicLong();
    private final AtomicLong stepCount = new AtomicLong();
    private final AtomicInteger running = new AtomicInteger();

    Scheduler(LlamaModel model, Options options) {
        this.model = model;
        this.llama = model.llama();
        this.tokenizer = model.tokenizer();
        this.options = options;
        this.context = model.contextFor(options.contextSize());
        this.slots = new Slot[options.slots()];
        try {
            for (int i = 0; i < slots.length; i++) {
                slots[i] = new Slot(llama.newCache(context, options.cacheType()));
            }
        } catch (RuntimeException e) {
            closeCaches();
            throw e;
        }
        int rows = Math.min(options.prefillChunk(), context) + slots.length;
        this.state = llama.newBatchState(rows, slots.length, context);
        this.batch = new Batch(rows);
        this.thread = Thread.ofPlatform().daemon().name("llama-simd-scheduler").start(this::loop);
    }

    /** Each slot's KV cache capacity in tokens. */
    public int contextSize() {
        return context;
    }

    public Options options() {
        return options;
    }

    /** Bytes of KV cache the slots hold together (off-heap), in the options' element type. */
    public long cacheBytes() {
        return KvCache.bytesFor(llama.config(), context, options.cacheType()) * slots.length;
    }

    /**
     * Queues a generation from prompt ids (BOS included if the model wants one).
     *
     * @throws IllegalArgumentException when the prompt is empty or holds an id outside the vocabulary
     * @throws PromptTooLongException (an IllegalArgumentException) when it does not fit the context
     * @throws RejectedExecutionException when every slot is busy and the queue is full
     * @throws IllegalStateException after {@link #close()}
     */
    public Request submit(int[] prompt, GenerationParams params, TokenListener listener) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty");
        }
        if (prompt.length >= context) {
            throw new PromptTooLongException(prompt.length, context);
        }
        int vocab = llama.config().vocabSize();
        for (int i = 0; i < prompt.length; i++) {
            if (prompt[i] < 0 || prompt[i] >= vocab) {
                throw new IllegalArgumentException("token id " + prompt[i] + " at index " + i
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        Request r = new Request(prompt.clone(), params, listener);
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("the scheduler is closed");
            }
            if (queue.size() >= options.maxQueued() && !hasFreeSlot()) {
                refusedCount.incrementAndGet();
                throw new RejectedExecutionException("all " + slots.length + " slots are busy and "
                        + queue.size() + " requests are waiting; try again later");
            }
            queue.add(r);
            submittedCount.incrementAndGet();
            work.signal();
        } finally {
            lock.unlock();
        }
        return r;
    }

    /** Queues a generation that continues plain text (the model's BOS is put first). */
    public Request submit(String prompt, GenerationParams params, TokenListener listener) {
        return submit(tokenizer.encode(prompt, true, false), params, listener);
    }

    /**
     * Queues the assistant's answer to a conversation, formatted with the chat template
     * {@code template} (or, when null, the one the model file carries).
     */
    public Request submitChat(List<ChatMessage> conversation, String template, GenerationParams params,
                              TokenListener listener) {
        return submit(model.chatPrompt(conversation, template), params, listener);
    }

    /** Counters since the scheduler started, and what it is doing now. */
    public Stats stats() {
        lock.lock();
        int queued;
        try {
            queued = queue.size();
        } finally {
            lock.unlock();
        }
        return new Stats(slots.length, running.get(), queued, submittedCount.get(), refusedCount.get(), completedCount.get(),
                failedCount.get(), promptTokenCount.get(), generatedTokenCount.get(), stepCount.get());
    }

    /**
     * A scheduler's counters.
     *
     * @param slots           slots in all
     * @param running         slots busy now
     * @param queued          requests waiting for a slot now
     * @param submitted       requests accepted
     * @param refused         requests refused because the queue was full
     * @param completed       generations that ended (cancelled ones included)
     * @param failed          generations that ended with an error
     * @param promptTokens    prompt tokens prefilled
     * @param generatedTokens tokens generated
     * @param steps           forward steps run
     */
    public record Stats(int slots, int running, int queued, long submitted, long refused, long completed, long failed,
                        long promptTokens, long generatedTokens, long steps) {}

    private boolean hasFreeSlot() {
        for (Slot s : slots) {
            if (s.request == null) {
                return true;
            }
        }
        return false;
    }

    private void loop() {
        while (true) {
            if (!admit()) {
                return;
            }
            try {
                step();
            } catch (RuntimeException | Error e) {
                // a forward pass failed (non-finite logits from a bad weight, out of memory):
                // the generations in it end with the error; the scheduler goes on
                for (Slot s : slots) {
                    if (s.request != null && s.inStep) {
                        fail(s, e);
                    }
                }
            }
        }
    }

    /** Moves queued requests into free slots; waits while there is nothing to do. False once closed. */
    private boolean admit() {
        lock.lock();
        try {
            while (true) {
                if (closed) {
                    return false;
                }
                queue.removeIf(r -> {
                    if (r.cancelled()) {
                        r.complete(cancelledBeforeStart(r));
                        completedCount.incrementAndGet();
                    }
                    return r.cancelled();
                });
                for (Slot s : slots) {
                    if (s.request == null && !queue.isEmpty()) {
                        s.start(queue.poll());
                    }
                }
                if (running.get() > 0) {
                    return true;
                }
                work.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * One step, one forward pass: ends cancelled generations, then runs prompt chunks of the
     * oldest prompts (at most {@link Options#prefillChunk()} tokens in all) and one
     * decode row of every slot that has a token to feed; then samples every slot whose logits
     * came out.
     */
    private void step() {
        for (Slot s : slots) {
            s.inStep = false;
            s.logitRow = -1;
            if (s.request != null && s.request.cancelled()) {
                end(s, Generation.FinishReason.CANCELLED);
            }
        }
        batch.clear();
        int budget = batch.capacity() - slots.length;
        for (Slot s : prefilling) {
            if (budget == 0) {
                break;
            }
            int[] prompt = s.request.prompt;
            int n = Math.min(budget, prompt.length - s.fed);
            for (int k = 0; k < n; k++) {
                int pos = s.fed + k;
                int r = batch.addPrompt(s.cache, prompt[pos], pos, pos == prompt.length - 1);
                if (r >= 0) {
                    s.logitRow = r;
                }
            }
            s.inStep = true;
            s.feeding = n;
            budget -= n;
        }
        for (Slot s : slots) {
            if (s.request != null && s.next >= 0) {
                s.logitRow = batch.addDecode(s.cache, s.next, s.history.size());
                s.inStep = true;
                s.feeding = 1;
            }
        }
        if (batch.size() == 0) {
            return;
        }
        stepCount.incrementAndGet();
        llama.forward(state, batch);
        for (Slot s : slots) {
            if (!s.inStep) {
                continue;
            }
            if (s.next >= 0) {
                s.history.add(s.next);
                s.next = -1;
            } else {
                s.history.addElements(s.history.size(), s.request.prompt, s.fed, s.feeding);
                s.fed += s.feeding;
                promptTokenCount.addAndGet(s.feeding);
                if (s.fed == s.request.prompt.length) {
                    prefilling.remove(s);
                    s.prefilled = System.nanoTime();
                }
            }
            if (s.logitRow >= 0) {
                sample(s);
            }
        }
    }

    /** Samples the slot's next token from the logits just computed and passes it on. */
    private void sample(Slot s) {
        int vocab = llama.config().vocabSize();
        int off = s.logitRow * vocab;
        int id = s.sampler.sample(state.logits, off, s.history);
        generatedTokenCount.incrementAndGet();
        if (s.first == 0) {
            s.first = System.nanoTime();
        }
        boolean more;
        try {
            more = s.output.accept(id, state.logits, off, vocab, s.history.size() < context);
        } catch (RuntimeException e) {
            // the listener failed: that generation ends, the others go on
            fail(s, e);
            return;
        }
        if (more) {
            s.next = id;
        } else {
            end(s, s.output.reason());
        }
    }

    private void end(Slot s, Generation.FinishReason reason) {
        Request r = s.request;
        try {
            s.output.finish(reason);
        } catch (RuntimeException e) {
            fail(s, e);
            return;
        }
        long now = System.nanoTime();
        long first = s.first == 0 ? 0 : s.first;
        Generation g = new Generation(s.output.text(), s.output.tokens(), s.output.reason(), r.promptTokens(),
                s.prefilled == 0 ? 0 : s.prefilled - s.admitted, first == 0 ? 0 : now - first,
                first == 0 ? 0 : first - r.submitted);
        s.clear();
        completedCount.incrementAndGet();
        r.complete(g);
    }

    private void fail(Slot s, Throwable e) {
        Request r = s.request;
        s.clear();
        failedCount.incrementAndGet();
        r.fail(e);
    }

    /** Ends every generation (as cancelled), refuses new ones and frees the caches. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            work.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Request r : queue) {
            r.complete(cancelledBeforeStart(r));
        }
        queue.clear();
        for (Slot s : slots) {
            if (s.request != null) {
                end(s, Generation.FinishReason.CANCELLED);
            }
        }
        closeCaches();
        model.forget(this);
    }

    private static Generation cancelledBeforeStart(Request r) {
        return new Generation("", new int[0], Generation.FinishReason.CANCELLED, r.promptTokens(), 0, 0, 0);
    }

    private void closeCaches() {
        for (Slot s : slots) {
            if (s != null) {
                s.cache.close();
            }
        }
    }

    /** One running generation: its cache, what of its prompt is in it, and its sampler and output. */
    private final class Slot {
        final KvCache cache;
        /** The tokens in the cache: the prompt so far, then the generated tokens fed back. */
        final IntArrayList history = new IntArrayList();
        Request request;
        Sampler sampler;
        TokenOutput output;
        /** Prompt tokens prefilled. */
        int fed;
        /** The sampled token to feed next, or -1. */
        int next = -1;
        long admitted;
        long prefilled;
        long first;
        /** Whether this step's forward pass included the slot. */
        boolean inStep;
        /** Tokens this step feeds. */
        int feeding;
        /** The row of the state's logits this step gives the slot, or -1. */
        int logitRow = -1;

        Slot(KvCache cache) {
            this.cache = cache;
        }

        void start(Request r) {
            request = r;
            running.incrementAndGet();
            sampler = new Sampler(r.params.sampling(), llama.config().vocabSize());
            output = new TokenOutput(tokenizer, r.params, r.listener);
            fed = 0;
            next = -1;
            history.clear();
            cache.truncate(0);
            admitted = System.nanoTime();
            prefilled = 0;
            first = 0;
            if (r.params.maxTokens() == 0) {
                output.finish(Generation.FinishReason.MAX_TOKENS);
                Generation g = new Generation("", new int[0], Generation.FinishReason.MAX_TOKENS, r.promptTokens(), 0, 0, 0);
                clear();
                completedCount.incrementAndGet();
                r.complete(g);
                return;
            }
            prefilling.add(this);
        }

        void clear() {
            if (request != null) {
                running.decrementAndGet();
            }
            prefilling.remove(this);
            request = null;
            sampler = null;
            output = null;
            next = -1;
            inStep = false;
        }
    }

    /**
     * How a {@link Scheduler} is set up.
     *
     * @param slots        generations that run at once, each with its own KV cache
     * @param contextSize  each slot's KV cache capacity in tokens (prompt plus generated); 0 means the
     *                     model's context length, capped at {@link Session.Options#DEFAULT_CONTEXT_CAP}
     * @param maxQueued    requests that may wait for a free slot; one more is refused
     *                     ({@link RejectedExecutionException})
     * @param prefillChunk the most prompt tokens one step prefills, so a long prompt does not stall
     *                     the streams that are decoding: it is prefilled a chunk per step between them
     * @param cacheType    the element type of every slot's KV cache: F32 (the default), or F16/BF16
     *                     at half the memory (see {@link Session.Options#cacheType()})
     */
    public record Options(int slots, int contextSize, int maxQueued, int prefillChunk, CacheType cacheType) {

        public static final Options DEFAULTS = new Options(4, 0, 64, 128, CacheType.F32);

        /** The most slots (each holds a KV cache; a batch of more decode rows gains nothing here). */
        public static final int MAX_SLOTS = 256;

        public Options {
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

        public Options withSlots(int n) {
            return new Options(n, contextSize, maxQueued, prefillChunk, cacheType);
        }

        public Options withContextSize(int n) {
            return new Options(slots, n, maxQueued, prefillChunk, cacheType);
        }

        public Options withMaxQueued(int n) {
            return new Options(slots, contextSize, n, prefillChunk, cacheType);
        }

        public Options withPrefillChunk(int n) {
            return new Options(slots, contextSize, maxQueued, n, cacheType);
        }

        public Options withCacheType(CacheType type) {
            return new Options(slots, contextSize, maxQueued, prefillChunk, type);
        }
    }
}
