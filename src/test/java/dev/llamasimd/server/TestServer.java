package dev.llamasimd.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamasimd.generate.ChatMessage;
import dev.llamasimd.generate.GenerationParams;
import dev.llamasimd.generate.LlamaModel;
import dev.llamasimd.generate.SamplingParams;
import dev.llamasimd.generate.Session;
import dev.llamasimd.testing.Shared;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The shipped tiny-kjv model served in-process on a free port, with a plain HTTP client and the single-user reference. */
final class TestServer implements AutoCloseable {
    /** tiny-kjv is a plain text model without a chat template of its own. */
    static final String TEMPLATE = "chatml";
    static final ObjectMapper JSON = new ObjectMapper();

    final LlamaModel model;
    final OpenAiServer server;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    TestServer(ServerOptions options) {
        // one worker: the tiny model gains nothing from more, and the tests share two cores with other builds
        model = LlamaModel.load(Shared.weights("tiny-kjv-Q8_0.gguf"), 1);
        try {
            server = OpenAiServer.start(model, options.withPort(0).withChatTemplate(TEMPLATE));
        } catch (IOException e) {
            model.close();
            throw new UncheckedIOException(e);
        }
    }

    TestServer() {
        this(ServerOptions.DEFAULTS);
    }

    String base() {
        return "http://127.0.0.1:" + server.address().getPort();
    }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(60));
    }

    HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return http.send(request(path).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(String s) throws IOException {
        return JSON.readTree(s);
    }

    /** The data of each server-sent event in a stream's body, in order. */
    static List<String> events(String body) {
        List<String> data = new ArrayList<>();
        for (String event : body.split("\n\n")) {
            if (!event.isEmpty()) {
                if (!event.startsWith("data: ")) {
                    throw new AssertionError("an event that is not 'data: ': " + event);
                }
                data.add(event.substring("data: ".length()));
            }
        }
        return data;
    }

    /** What one user alone gets from greedy decoding: the reference the server must equal. */
    String greedyChat(List<ChatMessage> messages, int maxTokens) {
        try (Session s = model.newSession(Session.Options.DEFAULTS.withChatTemplate(TEMPLATE)
                .withCacheType(server.scheduler().options().cacheType()))) {
            return s.chat(messages, GenerationParams.of(SamplingParams.GREEDY, maxTokens), null).text();
        }
    }

    /** What one user alone gets from greedy decoding, with a KV cache of the server's type. */
    String greedyCompletion(String prompt, int maxTokens) {
        try (Session s = model.newSession(Session.Options.DEFAULTS.withCacheType(server.scheduler().options().cacheType()))) {
            return s.generate(prompt, GenerationParams.of(SamplingParams.GREEDY, maxTokens), null).text();
        }
    }

    @Override
    public void close() {
        server.close();
        model.close();
    }
}
