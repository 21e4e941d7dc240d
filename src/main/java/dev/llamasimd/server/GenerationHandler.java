package dev.llamasimd.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.llamasimd.generate.Generation;
import dev.llamasimd.generate.Request;
import dev.llamasimd.generate.Scheduler;
import dev.llamasimd.generate.TokenListener.GeneratedToken;
import dev.llamasimd.model.PromptTooLongException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * {@code POST /v1/completions} and {@code POST /v1/chat/completions}: submits the request to the
 * scheduler and answers as one JSON object or as server-sent events, on the exchange's own thread.
 */
final class GenerationHandler {
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private final Scheduler scheduler;
    private final String modelId;
    private final ServerOptions options;
    private final Metrics metrics;

    GenerationHandler(Scheduler scheduler, String modelId, ServerOptions options, Metrics metrics) {
        this.scheduler = scheduler;
        this.modelId = modelId;
        this.options = options;
        this.metrics = metrics;
    }

    void handle(HttpExchange exchange, Endpoint endpoint, long arrival) throws IOException, InterruptedException {
        ApiRequest req = OpenAiRequests.parse(endpoint, Exchanges.readJson(exchange, options.maxBodyBytes()), modelId,
                options.maxTokens());
        Events events = new Events();
        Request request = submit(req, events);
        request.result().whenComplete(events::done);
        Run run = new Run(req, request, events, arrival);
        if (req.stream()) {
            stream(exchange, run);
        } else {
            whole(exchange, run);
        }
    }

    private Request submit(ApiRequest req, Events events) {
        String input = req.endpoint() == Endpoint.CHAT ? "messages" : "prompt";
        try {
            return req.endpoint() == Endpoint.CHAT
                    ? scheduler.submitChat(req.messages(), options.chatTemplate(), req.params(), events)
                    : scheduler.submit(req.prompt(), req.params(), events);
        } catch (RejectedExecutionException e) {
            throw ApiError.busy(e.getMessage());
        } catch (PromptTooLongException e) {
            throw ApiError.invalid(input, "context_length_exceeded", "the prompt is " + e.promptTokens()
                    + " tokens; this server's context holds " + e.contextSize()
                    + " (the prompt and at least one generated token)");
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid(input, "invalid_value", e.getMessage());
        } catch (IllegalStateException e) {
            throw ApiError.shuttingDown();
        }
    }

    private void whole(HttpExchange exchange, Run run) throws IOException, InterruptedException {
        while (run.done == null) {
            run.next();
        }
        Generation g = run.generation();
        ObjectNode body = OpenAiJson.response(run.req.endpoint(), false, run.id, run.created, modelId,
                OpenAiJson.choice(run.req.endpoint(), false, g.text(), run.takeLogprobs(),
                        OpenAiJson.finishReason(g.finishReason())));
        body.set("usage", OpenAiJson.usage(run.request.promptTokens(), g.tokens().length));
        Exchanges.sendJson(exchange, 200, body);
    }

    /**
     * Server-sent events: a chunk per batch of text, a last chunk with the finish reason (or an
     * error event), the usage when asked, then {@code [DONE]}. A failed write means the client
     * went away: the generation is cancelled and its slot freed at the next step.
     */
    private void stream(HttpExchange exchange, Run run) throws InterruptedException {
        Endpoint endpoint = run.req.endpoint();
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        try (OutputStream out = exchange.getResponseBody()) {
            exchange.sendResponseHeaders(200, 0);
            if (endpoint == Endpoint.CHAT) {
                event(out, OpenAiJson.response(endpoint, true, run.id, run.created, modelId, OpenAiJson.roleDelta()));
            }
            while (run.done == null) {
                String text = run.next();
                if (!text.isEmpty()) {
                    event(out, chunk(run, text, null));
                }
            }
            Generation g;
            try {
                g = run.generation();
            } catch (ApiError e) {
                event(out, OpenAiJson.error(e));
                out.write(DONE);
                return;
            }
            event(out, chunk(run, endpoint == Endpoint.CHAT ? null : "", OpenAiJson.finishReason(g.finishReason())));
            if (run.req.includeUsage()) {
                ObjectNode usage = OpenAiJson.response(endpoint, true, run.id, run.created, modelId, null);
                usage.set("usage", OpenAiJson.usage(run.request.promptTokens(), g.tokens().length));
                event(out, usage);
            }
            out.write(DONE);
        } catch (IOException e) {
            if (!run.request.isDone()) {
                run.request.cancel();
                metrics.cancelled("disconnect");
            }
        }
    }

    private ObjectNode chunk(Run run, String text, String finishReason) {
        return OpenAiJson.response(run.req.endpoint(), true, run.id, run.created, modelId,
                OpenAiJson.choice(run.req.endpoint(), true, text, run.takeLogprobs(), finishReason));
    }

    private static void event(OutputStream out, JsonNode json) throws IOException {
        out.write("data: ".getBytes(StandardCharsets.US_ASCII));
        out.write(OpenAiJson.bytes(json));
        out.write("\n\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** One request's events as its handler drains them, with the timeout and the latency metrics. */
    private final class Run {
        final ApiRequest req;
        final Request request;
        final Events events;
        final long arrival;
        final long deadline;
        final String id;
        final long created = System.currentTimeMillis() / 1000;
        /** The tokens' log-probabilities not yet sent (null when not asked for). */
        final List<GeneratedToken> logprobs;
        Events.Done done;
        boolean timedOut;
        long lastToken;

        Run(ApiRequest req, Request request, Events events, long arrival) {
            this.req = req;
            this.request = request;
            this.events = events;
            this.arrival = arrival;
            this.deadline = arrival + options.requestTimeout().toNanos();
            this.id = req.endpoint().idPrefix + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
            this.logprobs = req.params().logprobs() >= 0 ? new ArrayList<>() : null;
        }

        /** Waits for the next events and returns the text they add; cancels the request when its time is up. */
        String next() throws InterruptedException {
            List<Events.Event> batch = new ArrayList<>();
            while (batch.isEmpty()) {
                long wait = deadline - System.nanoTime();
                if (wait <= 0 && !timedOut) {
                    timedOut = true;
                    request.cancel();
                    metrics.cancelled("timeout");
                }
                Events.Event e = timedOut ? events.queue.take() : events.queue.poll(wait, TimeUnit.NANOSECONDS);
                if (e != null) {
                    batch.add(e);
                    events.queue.drainTo(batch);
                }
            }
            StringBuilder text = new StringBuilder();
            for (Events.Event e : batch) {
                switch (e) {
                    case Events.Text t -> text.append(t.text());
                    case Events.Token t -> {
                        metrics.token(arrival, lastToken, t.nanos());
                        lastToken = t.nanos();
                        if (logprobs != null) {
                            logprobs.add(t.token());
                        }
                    }
                    case Events.Done d -> done = d;
                }
            }
            return text.toString();
        }

        /** The generation once done; an {@link ApiError} when it failed, timed out or was stopped by a shutdown. */
        Generation generation() {
            if (done.error() != null) {
                throw ApiError.of(500, "server_error", null, "the generation failed: " + done.error().getMessage());
            }
            if (done.generation().finishReason() == Generation.FinishReason.CANCELLED) {
                throw timedOut
                        ? ApiError.of(504, "server_error", "timeout", "the request ran longer than the server's limit of "
                                + options.requestTimeout().toSeconds() + " s (--request-timeout)")
                        : ApiError.shuttingDown();
            }
            return done.generation();
        }

        /** The log-probabilities gathered since the last call (null when not asked for). */
        List<GeneratedToken> takeLogprobs() {
            if (logprobs == null) {
                return null;
            }
            List<GeneratedToken> taken = List.copyOf(logprobs);
            logprobs.clear();
            return taken;
        }
    }
}
