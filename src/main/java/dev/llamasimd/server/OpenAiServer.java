package dev.llamasimd.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.llamasimd.generate.LlamaModel;
import dev.llamasimd.generate.Scheduler;
import dev.llamasimd.model.ModelParts;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An OpenAI-compatible HTTP server on one model: {@code /v1/models}, {@code /v1/completions},
 * {@code /v1/chat/completions} (streaming or not), {@code /health} and {@code /metrics}. Each
 * exchange runs on a virtual thread of its own; the generations run batched on the server's
 * {@link Scheduler}. A request never takes the server down: whatever it raises is answered
 * (500 when nothing was sent yet) and the next one is served.
 */
public final class OpenAiServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(OpenAiServer.class.getName());
    /** Seconds {@link #close} gives the answers in flight to finish writing. */
    private static final int STOP_GRACE_SECONDS = 2;

    private final Scheduler scheduler;
    private final String modelId;
    private final ServerOptions options;
    private final Metrics metrics = new Metrics();
    private final GenerationHandler generations;
    private final long created = System.currentTimeMillis() / 1000;
    private final ExecutorService executor;
    private final HttpServer http;
    private final CountDownLatch closed = new CountDownLatch(1);

    private OpenAiServer(LlamaModel model, ServerOptions options) throws IOException {
        if (options.chatTemplate() != null) {
            ModelParts.chatTemplate(model, options.chatTemplate());
        }
        this.options = options;
        this.modelId = model.path().getFileName().toString();
        this.scheduler = model.newScheduler(options.scheduler());
        this.generations = new GenerationHandler(scheduler, modelId, options, metrics);
        try {
            http = HttpServer.create(new InetSocketAddress(options.host(), options.port()), 0);
        } catch (IOException | RuntimeException e) {
            scheduler.close();
            throw e;
        }
        executor = Executors.newVirtualThreadPerTaskExecutor();
        http.createContext("/", this::exchange);
        http.setExecutor(executor);
        http.start();
    }

    /**
     * Starts serving {@code model} (which the caller keeps and closes after the server).
     *
     * @throws IOException when the address cannot be bound
     * @throws IllegalArgumentException when the options do not fit the model (an unknown chat
     *     template, a context longer than the model's)
     */
    public static OpenAiServer start(LlamaModel model, ServerOptions options) throws IOException {
        return new OpenAiServer(model, options);
    }

    /** The address bound (with the port picked when it was 0). */
    public InetSocketAddress address() {
        return http.getAddress();
    }

    /** The model's id in requests and in {@code /v1/models}: its file (or folder) name. */
    public String modelId() {
        return modelId;
    }

    public Scheduler scheduler() {
        return scheduler;
    }

    /** Blocks until {@link #close} has run. */
    public void awaitClose() throws InterruptedException {
        closed.await();
    }

    /**
     * Stops: generations in flight end (their clients get an error event or a 503), then the
     * listener closes after a short grace for those answers.
     */
    @Override
    public synchronized void close() {
        if (closed.getCount() == 0) {
            return;
        }
        scheduler.close();
        http.stop(STOP_GRACE_SECONDS);
        executor.shutdownNow();
        closed.countDown();
    }

    private void exchange(HttpExchange exchange) {
        long arrival = System.nanoTime();
        String path = exchange.getRequestURI().getPath();
        try {
            route(exchange, path, arrival);
        } catch (ApiError e) {
            answer(exchange, e);
        } catch (IOException e) {
            // the client went away before its answer was written: nobody to tell
            LOG.log(System.Logger.Level.DEBUG, "request " + exchange.getRequestMethod() + " " + path + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            answer(exchange, ApiError.shuttingDown());
        } catch (Exception | Error e) {
            LOG.log(System.Logger.Level.ERROR, "request " + exchange.getRequestMethod() + " " + path + " failed", e);
            answer(exchange, ApiError.of(500, "server_error", null, "internal error: " + e));
        } finally {
            if (exchange.getResponseCode() != -1) {
                metrics.request(allowedMethod(path) == null ? "other" : path, exchange.getResponseCode());
            }
            exchange.close();
        }
    }

    private void route(HttpExchange exchange, String path, long arrival) throws IOException, InterruptedException {
        if (!path.equals("/health")) {
            authorize(exchange);
        }
        String allowed = allowedMethod(path);
        if (allowed == null) {
            throw ApiError.of(404, "invalid_request_error", "not_found", "there is no endpoint " + path
                    + "; this server has GET /v1/models, POST /v1/completions, POST /v1/chat/completions,"
                    + " GET /health and GET /metrics");
        }
        if (!exchange.getRequestMethod().equals(allowed)) {
            exchange.getResponseHeaders().set("Allow", allowed);
            throw ApiError.of(405, "invalid_request_error", "method_not_allowed", exchange.getRequestMethod() + " "
                    + path + " is not supported; use " + allowed);
        }
        switch (path) {
            case "/health" -> Exchanges.sendJson(exchange, 200, health());
            case "/metrics" -> Exchanges.sendText(exchange, 200, "text/plain; version=0.0.4; charset=utf-8",
                    metrics.render(scheduler.stats()));
            case "/v1/models" -> Exchanges.sendJson(exchange, 200, models());
            case "/v1/completions" -> generations.handle(exchange, Endpoint.COMPLETIONS, arrival);
            default -> generations.handle(exchange, Endpoint.CHAT, arrival);
        }
    }

    private static String allowedMethod(String path) {
        return switch (path) {
            case "/health", "/metrics", "/v1/models" -> "GET";
            case "/v1/completions", "/v1/chat/completions" -> "POST";
            default -> null;
        };
    }

    private void authorize(HttpExchange exchange) {
        if (options.apiKey() == null) {
            return;
        }
        String given = exchange.getRequestHeaders().getFirst("Authorization");
        byte[] want = ("Bearer " + options.apiKey()).getBytes(StandardCharsets.UTF_8);
        if (given == null || !MessageDigest.isEqual(want, given.getBytes(StandardCharsets.UTF_8))) {
            throw ApiError.of(401, "invalid_request_error", "invalid_api_key", given == null
                    ? "the request has no API key; send the header Authorization: Bearer KEY"
                    : "the API key is not this server's");
        }
    }

    /** Answers with the error, unless an answer has begun (then the connection just closes). */
    private static void answer(HttpExchange exchange, ApiError e) {
        if (exchange.getResponseCode() != -1) {
            return;
        }
        try {
            Exchanges.sendError(exchange, e);
        } catch (IOException gone) {
            // the client went away: nobody to tell
        }
    }

    private ObjectNode health() {
        Scheduler.Stats s = scheduler.stats();
        ObjectNode h = OpenAiJson.object();
        h.put("status", "ok");
        h.putObject("slots").put("total", s.slots()).put("busy", s.running()).put("free", s.slots() - s.running());
        h.put("queued", s.queued());
        return h;
    }

    private ObjectNode models() {
        ObjectNode list = OpenAiJson.object();
        list.put("object", "list");
        list.putArray("data").addObject().put("id", modelId).put("object", "model").put("created", created)
                .put("owned_by", "llama-simd");
        return list;
    }
}
