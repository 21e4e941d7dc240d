package dev.llamasimd.generate;

import dev.llamasimd.io.TensorSource;
import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.kernels.SimdCheck;
import dev.llamasimd.model.Config;
import dev.llamasimd.model.Llama;
import dev.llamasimd.model.ModelLoader;
import dev.llamasimd.model.ModelParts;
import dev.llamasimd.model.WarmUp;
import dev.llamasimd.tokenizer.ChatTemplate;
import dev.llamasimd.tokenizer.Tokenizer;
import dev.llamasimd.tokenizer.Tokenizers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A loaded model with its tokenizer: the entry point of the Java API. Loading maps the file
 * (weights are never copied), so it is quick and costs no heap. Thread-safe: any number of
 * {@link Session}s, on any threads, share one model.
 *
 * <pre>{@code
 * try (LlamaModel model = LlamaModel.load(Path.of("weights/tiny-kjv-Q8_0.gguf"));
 *      Session session = model.newSession()) {
 *     Generation g = session.generate("In the beginning", GenerationParams.of(SamplingParams.DEFAULTS, 64),
 *             System.out::print);
 *     System.out.printf("%n%.1f tokens/s%n", g.decodeTokensPerSecond());
 * }
 * }</pre>
 */
public final class LlamaModel implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(LlamaModel.class.getName());
    /** The SIMD self-check is logged at the first load in a JVM, not at every one. */
    private static final AtomicBoolean SIMD_LOGGED = new AtomicBoolean();

    static {
        ModelParts.grant(new ModelParts.Access() {
            @Override
            public Llama llama(LlamaModel model) {
                return model.llama;
            }

            @Override
            public Tokenizer tokenizer(LlamaModel model) {
                return model.tokenizer;
            }

            @Override
            public ChatTemplate chatTemplate(LlamaModel model, String name) {
                return model.chatTemplate(name);
            }
        });
    }

    private final Path path;
    private final Llama llama;
    private final Tokenizer tokenizer;
    private final Parallel parallel;
    private final List<Scheduler> schedulers = new ArrayList<>();
    private final Set<Session> sessions = new LinkedHashSet<>();
    private Scheduler shared;
    private volatile boolean closed;

    private LlamaModel(Path path, Llama llama, Tokenizer tokenizer, Parallel parallel) {
        this.path = path;
        this.llama = llama;
        this.tokenizer = tokenizer;
        this.parallel = parallel;
    }

    /** Loads a {@code .gguf} file or a Hugging Face directory, computing on all processors. */
    public static LlamaModel load(Path path) {
        return load(path, Options.DEFAULTS);
    }

    /** Loads a model that computes on {@code threads} worker threads. */
    public static LlamaModel load(Path path, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, not " + threads);
        }
        return load(path, Options.DEFAULTS.withThreads(threads));
    }

    /**
     * Loads a model as {@code options} say. The first load in a JVM logs (as
     * {@code dev.llamasimd.generate.LlamaModel}, {@link System.Logger}) one line naming the vector
     * width and whether the Vector API is compiled to SIMD; a warning with the cause and the fix
     * when it is not (see {@link Options#requireSimd()} to fail instead).
     *
     * @throws IllegalStateException with {@link Options#requireSimd()}, when the Vector API
     *     will not be compiled to SIMD
     */
    public static LlamaModel load(Path path, Options options) {
        SimdCheck.start();
        if (options.requireSimd()) {
            SimdCheck.timed().join().require();
        }
        Parallel parallel = Parallel.pool(options.threads() == 0 ? Runtime.getRuntime().availableProcessors() : options.threads());
        TensorSource source = null;
        Llama llama = null;
        try {
            source = ModelLoader.open(path);
            llama = ModelLoader.load(source, parallel);
            Tokenizer tokenizer = Tokenizers.load(source);
            if (tokenizer.vocabSize() > llama.config().vocabSize()) {
                throw new IllegalArgumentException(path + ": the tokenizer has " + tokenizer.vocabSize()
                        + " tokens but the model only " + llama.config().vocabSize());
            }
            logSimd();
            return new LlamaModel(path, llama, tokenizer, parallel);
        } catch (RuntimeException e) {
            if (llama != null) {
                llama.close();
            } else if (source != null) {
                source.close();
            }
            parallel.close();
            throw e;
        }
    }

    private static void logSimd() {
        if (SIMD_LOGGED.compareAndSet(false, true)) {
            SimdCheck flags = SimdCheck.flags().join();
            LOG.log(flags.simd() ? System.Logger.Level.INFO : System.Logger.Level.WARNING, flags.line());
            SimdCheck.timed().thenAccept(timed -> {
                if (!timed.simd() && flags.simd()) {
                    LOG.log(System.Logger.Level.WARNING, timed.line());
                }
            });
        }
    }

    public Path path() {
        return path;
    }

    Llama llama() {
        return llama;
    }

    Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The longest context the model was made for, in tokens (a session's or scheduler's context is at most this). */
    public int contextLength() {
        return llama.config().contextLength();
    }

    /**
     * Compiles the kernels this model uses by running a tiny model of the same weight types
     * (a second or two, once per JVM), so that the first real request runs at warm speed
     * instead of at about half of it. For services: call it after loading, before serving.
     */
    public void warmUp() {
        checkOpen();
        WarmUp.run(llama);
    }

    /**
     * The KV cache capacity for a requested context: {@code requested} tokens, or for 0 the
     * model's context length capped at {@link Session.Options#DEFAULT_CONTEXT_CAP}.
     *
     * @throws IllegalArgumentException when {@code requested} is longer than the model's context length
     */
    int contextFor(int requested) {
        int trained = llama.config().contextLength();
        if (requested > trained) {
            throw new IllegalArgumentException("a context of " + requested
                    + " tokens is longer than the model's context length " + trained);
        }
        return requested > 0 ? requested : Math.min(trained, Session.Options.DEFAULT_CONTEXT_CAP);
    }

    /** A session with the default options: a KV cache of the model's context (at most 4096 tokens). */
    public Session newSession() {
        return newSession(Session.Options.DEFAULTS);
    }

    public synchronized Session newSession(Session.Options options) {
        checkOpen();
        Session s = new Session(this, options);
        sessions.add(s);
        return s;
    }

    /**
     * Generates a continuation of plain text (BOS put first), blocking until it ends; many
     * threads may call it at once, and their generations run batched together on the
     * {@linkplain #scheduler() shared scheduler}. {@code onText} is called on the scheduler's
     * thread (keep it quick).
     */
    public Generation generate(String prompt, GenerationParams params, Consumer<String> onText) throws InterruptedException {
        return run(scheduler().submit(prompt, params, listener(onText)));
    }

    /** The assistant's answer to a conversation, as {@link #generate} (chat template from the file). */
    public Generation chat(List<ChatMessage> conversation, GenerationParams params, Consumer<String> onText)
            throws InterruptedException {
        return run(scheduler().submitChat(conversation, null, params, listener(onText)));
    }

    private static TokenListener listener(Consumer<String> onText) {
        return onText == null ? text -> {} : onText::accept;
    }

    private static Generation run(Request r) throws InterruptedException {
        try {
            return r.await();
        } catch (InterruptedException e) {
            r.cancel();
            throw e;
        }
    }

    /**
     * The model's shared scheduler ({@link Scheduler.Options#DEFAULTS}), started on first use:
     * what {@link #generate} and {@link #chat} run on.
     */
    public synchronized Scheduler scheduler() {
        checkOpen();
        if (shared == null) {
            shared = newScheduler(Scheduler.Options.DEFAULTS);
        }
        return shared;
    }

    /** A scheduler of its own (a server's, with its slots and context); closed with the model at the latest. */
    public synchronized Scheduler newScheduler(Scheduler.Options options) {
        checkOpen();
        Scheduler s = new Scheduler(this, options);
        schedulers.add(s);
        return s;
    }

    synchronized void forget(Session s) {
        sessions.remove(s);
    }

    /** Whether {@link #close()} has run. */
    public boolean isClosed() {
        return closed;
    }

    /** @throws IllegalStateException once the model is closed */
    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the model " + path + " is closed");
        }
    }

    synchronized void forget(Scheduler s) {
        schedulers.remove(s);
        if (shared == s) {
            shared = null;
        }
    }

    /** Prompt ids of a conversation formatted with the named chat template, or the file's when {@code template} is null. */
    int[] chatPrompt(List<ChatMessage> conversation, String template) {
        ChatTemplate t = chatTemplate(template);
        String prompt = t.format(conversation, true, text(tokenizer.bos()), text(tokenizer.eos()));
        // The template writes BOS where the model wants it, as text: encode as transformers does.
        return tokenizer.encode(prompt, false, true);
    }

    private String text(int id) {
        return id < 0 ? "" : tokenizer.piece(id);
    }

    /** See {@link ModelParts.Access#chatTemplate}. */
    private ChatTemplate chatTemplate(String name) {
        if (name != null) {
            return ChatTemplate.named(name);
        }
        String source = tokenizer.chatTemplate();
        if (source == null) {
            throw new IllegalArgumentException(path + " has no chat template; name one with --chat-template NAME ("
                    + String.join(", ", ChatTemplate.names()) + ")");
        }
        return ChatTemplate.detect(source);
    }

    /**
     * Ends the schedulers' generations, closes the open sessions (freeing their off-heap KV
     * caches), unmaps the file and stops the worker threads. Using the model, or a session of
     * it, afterwards throws {@link IllegalStateException}. Closing twice does nothing.
     */
    @Override
    public void close() {
        List<Scheduler> running;
        List<Session> open;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            running = List.copyOf(schedulers);
            open = List.copyOf(sessions);
        }
        for (Scheduler s : running) {
            s.close();
        }
        for (Session s : open) {
            s.close();
        }
        llama.close();
        parallel.close();
    }

    /**
     * How a model is loaded.
     *
     * @param threads     worker threads for the forward pass; 0 means one per processor
     * @param requireSimd fail the load with an {@link IllegalStateException} naming the cause and
     *                    the fix, instead of logging a warning, when this JVM will not compile the
     *                    Vector API to SIMD instructions (then waits for the timed check, a few
     *                    hundred milliseconds once per JVM)
     */
    public record Options(int threads, boolean requireSimd) {

        public static final Options DEFAULTS = new Options(0, false);

        public Options {
            if (threads < 0) {
                throw new IllegalArgumentException("threads must be at least 1 (or 0 for one per processor), not " + threads);
            }
        }

        public Options withThreads(int n) {
            return new Options(n, requireSimd);
        }

        public Options withRequireSimd(boolean require) {
            return new Options(threads, require);
        }
    }
}
