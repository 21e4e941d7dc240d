package dev.llamasimd.cli;

import dev.llamasimd.generate.LlamaModel;
import dev.llamasimd.generate.Scheduler;
import dev.llamasimd.model.ModelParts;
import dev.llamasimd.server.OpenAiServer;
import dev.llamasimd.server.ServerOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code serve}: an OpenAI-compatible HTTP server on one model, until Ctrl-C. */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        description = {
            "Serves the model over an OpenAI-compatible HTTP API until Ctrl-C:",
            "GET /v1/models, POST /v1/completions and /v1/chat/completions",
            "(streamed or not), GET /health and GET /metrics (Prometheus)."
        })
final class ServeCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    CacheTypeOption cache;

    @Mixin
    SimdOption simd;

    @Option(names = "--host", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "the address to listen on; 0.0.0.0 for every interface (default: ${DEFAULT-VALUE}, this machine only)")
    String host;

    @Option(names = "--port", paramLabel = "N", defaultValue = "8080", description = "the TCP port, 0 for any free one (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--parallel", paramLabel = "N", defaultValue = "4",
            description = "generations that run at once, each with a KV cache of --ctx tokens (default: ${DEFAULT-VALUE})")
    int parallel;

    @Option(names = "--ctx", paramLabel = "N", description = "each generation's context in tokens, prompt included, ≥ 1 (default: the model's, at most 4096)")
    Integer ctx;

    @Option(names = "--queue", paramLabel = "N", defaultValue = "64",
            description = "requests that may wait for a free slot; beyond them the answer is 429 (default: ${DEFAULT-VALUE})")
    int queue;

    @Option(names = "--api-key", paramLabel = "KEY", description = "require the header Authorization: Bearer KEY (all but /health)")
    String apiKey;

    @Option(names = "--chat-template", paramLabel = "NAME", description = "the chat template for /v1/chat/completions (default: the model file's)")
    String chatTemplate;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "4096",
            description = "the most tokens a request may ask for, and what it gets when it does not ask (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--max-body-bytes", paramLabel = "N", defaultValue = "1048576",
            description = "a larger request body is refused with 413 (default: ${DEFAULT-VALUE})")
    int maxBodyBytes;

    @Option(names = "--request-timeout", paramLabel = "SECONDS", defaultValue = "600",
            description = "a request running longer in all is cancelled (default: ${DEFAULT-VALUE})")
    long requestTimeout;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ServerOptions options = Usage.check(spec, () -> ServerOptions.DEFAULTS.withHost(host).withPort(port)
                .withApiKey(apiKey).withChatTemplate(chatTemplate).withMaxTokens(maxTokens)
                .withMaxBodyBytes(maxBodyBytes).withRequestTimeout(Duration.ofSeconds(requestTimeout))
                .withScheduler(Scheduler.Options.DEFAULTS.withSlots(parallel).withContextSize(CliChecks.context(ctx))
                        .withMaxQueued(queue).withCacheType(cache.cacheType)));
        try (LlamaModel model = Loading.load(spec, modelOptions, simd, err)) {
            model.warmUp();
            try (OpenAiServer server = Usage.check(spec, () -> start(model, options))) {
                Thread stop = new Thread(server::close, "llama-simd-serve-shutdown");
                Runtime.getRuntime().addShutdownHook(stop);
                out.printf("model %s: %s%n", server.modelId(), model.path());
                out.printf("%d slots x %d tokens of context, KV cache %s (%s)%n", server.scheduler().options().slots(),
                        server.scheduler().contextSize(), InspectCommand.bytes(server.scheduler().cacheBytes()),
                        server.scheduler().options().cacheType());
                out.printf("chat template %s%n", chatTemplateName(model));
                out.printf("listening on http://%s:%d/v1%s (Ctrl-C stops)%n", server.address().getHostString(),
                        server.address().getPort(), apiKey == null ? "" : ", API key required");
                out.flush();
                try {
                    server.awaitClose();
                } catch (InterruptedException e) {
                    // the thread running the command was interrupted: stop serving, as on Ctrl-C
                } finally {
                    removeHook(stop);
                }
            }
        }
        return 0;
    }

    private static OpenAiServer start(LlamaModel model, ServerOptions options) {
        try {
            return OpenAiServer.start(model, options);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + options.host() + ":" + options.port() + ": " + e.getMessage(), e);
        }
    }

    private String chatTemplateName(LlamaModel model) {
        try {
            return ModelParts.chatTemplate(model, chatTemplate).name();
        } catch (IllegalArgumentException none) {
            return "none: /v1/chat/completions answers 400 (" + none.getMessage() + ")";
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // Ctrl-C: the hook is what closed the server
        }
    }
}
