package dev.llamasimd.cli;

import dev.llamasimd.generate.ChatMessage;
import dev.llamasimd.generate.Generation;
import dev.llamasimd.generate.GenerationParams;
import dev.llamasimd.generate.LlamaModel;
import dev.llamasimd.generate.SamplingParams;
import dev.llamasimd.generate.Session;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code generate}: streams a continuation of a prompt, then prints the speed. */
@Command(
        name = "generate",
        mixinStandardHelpOptions = true,
        description = {
            "Generates text from a prompt, streamed to stdout.",
            "Then prints prompt and decode speed and the time to first token on stderr."
        })
final class GenerateCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    SamplingOptions sampling;

    @Mixin
    CacheTypeOption cache;

    @Mixin
    SimdOption simd;

    @Option(names = "--prompt", required = true, paramLabel = "STR", description = "the prompt text")
    String prompt;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "256", description = "the most tokens to generate (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--ctx", paramLabel = "N", description = "context size in tokens, ≥ 1 (default: the model's, at most 4096)")
    Integer ctx;

    @Option(names = "--no-kv-cache", description = "recompute the whole sequence for every new token (the uncached loop)")
    boolean noKvCache;

    @Option(names = "--trace", description = "print each step's input shape, KV cache shape and chosen token on stderr")
    boolean trace;

    @Option(names = "--chat", description = "wrap the prompt as a user message in the model's chat template")
    boolean chat;

    @Option(names = "--system", paramLabel = "STR", description = "a system message (with --chat)")
    String system;

    @Option(names = "--chat-template", paramLabel = "NAME", description = "use this chat template instead of the model's (with --chat)")
    String chatTemplate;

    @Option(names = "--stop", paramLabel = "STR", description = "stop before this text (repeatable)")
    List<String> stops = new ArrayList<>();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (system != null && !chat) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--system needs --chat");
        }
        long seed = sampling.seed != null ? sampling.seed : ThreadLocalRandom.current().nextLong();
        GenerationParams params = Usage.check(spec, () -> GenerationParams.of(sampling.params(seed), maxTokens)
                .withStopStrings(stops));
        Session.Options options = Usage.check(spec, () -> Session.Options.DEFAULTS.withContextSize(CliChecks.context(ctx))
                .withKvCache(!noKvCache).withCacheType(cache.cacheType).withChatTemplate(chatTemplate));
        try (LlamaModel model = Loading.load(spec, modelOptions, simd, err)) {
            if (trace) {
                options = options.withTrace(Tracing.printer(model, err));
            }
            try (Session session = model.newSession(options)) {
                Generation g;
                if (chat) {
                    List<ChatMessage> messages = new ArrayList<>();
                    if (system != null) {
                        messages.add(new ChatMessage("system", system));
                    }
                    messages.add(new ChatMessage("user", prompt));
                    g = session.chat(messages, params, piece -> stream(out, piece));
                } else {
                    g = session.generate(prompt, params, piece -> stream(out, piece));
                }
                out.println();
                out.flush();
                err.println(Stats.line(g, params.sampling(), seed));
                err.flush();
            }
        }
        return 0;
    }

    private static void stream(PrintWriter out, String piece) {
        out.print(piece);
        out.flush();
    }

    /** Describes sampling and speed in one line. */
    static final class Stats {
        private Stats() {}

        /** The request's figures; the time to the first token only when there was one. */
        static String line(Generation g, SamplingParams sampling, long seed) {
            return String.format("[%d prompt tokens: %.1f tokens/s | %d generated: %.1f tokens/s%s | %s | %s]",
                    g.promptTokens(), g.promptTokensPerSecond(), g.tokens().length, g.decodeTokensPerSecond(),
                    g.tokens().length == 0 ? "" : String.format(" | first token after %.0f ms", g.firstTokenNanos() / 1e6),
                    g.finishReason().name().toLowerCase(java.util.Locale.ROOT), sampling.greedy() ? "greedy" : "seed " + seed);
        }
    }
}
