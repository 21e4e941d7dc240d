package dev.llamasimd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llamasimd.generate.CacheType;
import dev.llamasimd.generate.ChatMessage;
import dev.llamasimd.generate.Scheduler;
import dev.llamasimd.model.ModelParts;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The endpoints over plain HTTP: answers, SSE framing, and the errors bad requests get. */
class ServeApiTest {
    private static final int MAX_TOKENS_LIMIT = 100;
    private static final int BODY_LIMIT = 4096;
    private static TestServer t;

    @BeforeAll
    static void start() {
        t = new TestServer(ServerOptions.DEFAULTS.withMaxTokens(MAX_TOKENS_LIMIT).withMaxBodyBytes(BODY_LIMIT));
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    @Test
    void completionEqualsTheSingleUserGreedyRun() throws Exception {
        HttpResponse<String> r = t.post("/v1/completions", """
                {"model":"tiny-kjv-Q8_0.gguf","prompt":"And God said","max_tokens":20,"temperature":0}""");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = TestServer.json(r.body());
        assertEquals("text_completion", body.get("object").asText());
        assertEquals(t.greedyCompletion("And God said", 20), body.at("/choices/0/text").asText());
        assertEquals("length", body.at("/choices/0/finish_reason").asText());
        assertEquals(20, body.at("/usage/completion_tokens").asInt());
        assertEquals(ModelParts.tokenizer(t.model).encode("And God said", true, false).length, body.at("/usage/prompt_tokens").asInt());
    }

    @Test
    void chatStreamIsFramedAsServerSentEventsAndAddsUpToTheWholeAnswer() throws Exception {
        String request = """
                {"messages":[{"role":"system","content":"Answer as the scripture."},
                             {"role":"user","content":[{"type":"text","text":"Who made "},{"type":"text","text":"the light?"}]}],
                 "max_tokens":24,"temperature":0,"stream":%s,"stream_options":{"include_usage":true}}""";
        HttpResponse<String> whole = t.post("/v1/chat/completions", request.formatted("false"));
        assertEquals(200, whole.statusCode(), whole.body());
        String text = TestServer.json(whole.body()).at("/choices/0/message/content").asText();
        assertEquals(t.greedyChat(List.of(ChatMessage.system("Answer as the scripture."),
                ChatMessage.user("Who made the light?")), 24), text);

        HttpResponse<String> streamed = t.post("/v1/chat/completions", request.formatted("true"));
        assertEquals(200, streamed.statusCode());
        assertTrue(streamed.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        assertTrue(streamed.body().endsWith("data: [DONE]\n\n"), streamed.body());
        List<String> events = TestServer.events(streamed.body());
        assertEquals("[DONE]", events.getLast());
        StringBuilder pieces = new StringBuilder();
        String finish = null;
        JsonNode usage = null;
        for (String e : events.subList(0, events.size() - 1)) {
            JsonNode chunk = TestServer.json(e);
            assertEquals("chat.completion.chunk", chunk.get("object").asText());
            if (chunk.get("choices").isEmpty()) {
                usage = chunk.get("usage");
                continue;
            }
            assertTrue(usage == null, "the usage chunk comes last");
            JsonNode choice = chunk.at("/choices/0");
            pieces.append(choice.at("/delta/content").asText(""));
            if (!choice.get("finish_reason").isNull()) {
                finish = choice.get("finish_reason").asText();
            }
        }
        assertEquals(text, pieces.toString());
        assertEquals(TestServer.json(whole.body()).at("/choices/0/finish_reason").asText(), finish);
        assertTrue(usage != null, "include_usage asks for a usage chunk");
        assertEquals(TestServer.json(whole.body()).get("usage"), usage);
    }

    @Test
    void aStopStringEndsTheAnswerWithStop() throws Exception {
        String full = t.greedyCompletion("And God said", 30);
        String stop = full.substring(6, 9);
        HttpResponse<String> r = t.post("/v1/completions", """
                {"prompt":"And God said","max_tokens":30,"temperature":0,"stop":["%s"]}""".formatted(stop));
        JsonNode body = TestServer.json(r.body());
        assertEquals(full.substring(0, full.indexOf(stop)), body.at("/choices/0/text").asText());
        assertEquals("stop", body.at("/choices/0/finish_reason").asText());
    }

    @Test
    void logprobsComeWithEachToken() throws Exception {
        HttpResponse<String> r = t.post("/v1/chat/completions", """
                {"messages":[{"role":"user","content":"In the beginning"}],"max_tokens":5,"temperature":0,
                 "logprobs":true,"top_logprobs":3}""");
        JsonNode content = TestServer.json(r.body()).at("/choices/0/logprobs/content");
        assertEquals(5, content.size(), r.body());
        for (JsonNode token : content) {
            assertEquals(3, token.get("top_logprobs").size());
            // greedy: the chosen token is the most likely
            assertEquals(token.get("token"), token.at("/top_logprobs/0/token"));
            assertTrue(token.get("logprob").asDouble() <= 0);
        }
        HttpResponse<String> c = t.post("/v1/completions", """
                {"prompt":"In the beginning","max_tokens":4,"temperature":0,"logprobs":2}""");
        JsonNode lp = TestServer.json(c.body()).at("/choices/0/logprobs");
        assertEquals(4, lp.get("tokens").size(), c.body());
        assertEquals(4, lp.get("token_logprobs").size());
        assertEquals(2, lp.at("/top_logprobs/0").size());
    }

    @Test
    void aServerOverAnF16CacheAnswersAsAnF16Session() throws Exception {
        String request = """
                {"prompt":"And God said","max_tokens":16,"temperature":0,"logprobs":1}""";
        try (TestServer f16 = new TestServer(ServerOptions.DEFAULTS.withScheduler(
                Scheduler.Options.DEFAULTS.withSlots(2).withContextSize(128).withCacheType(CacheType.F16)))) {
            long f16PerPosition = f16.server.scheduler().cacheBytes() / (2 * 128);
            long f32PerPosition = t.server.scheduler().cacheBytes()
                    / ((long) t.server.scheduler().options().slots() * t.server.scheduler().contextSize());
            assertEquals(f32PerPosition, 2 * f16PerPosition, "half the bytes per position");
            JsonNode rounded = TestServer.json(f16.post("/v1/completions", request).body()).at("/choices/0");
            assertEquals(f16.greedyCompletion("And God said", 16), rounded.get("text").asText());
            JsonNode exact = TestServer.json(t.post("/v1/completions", request).body()).at("/choices/0");
            assertFalse(exact.at("/logprobs/token_logprobs").equals(rounded.at("/logprobs/token_logprobs")),
                    "the F16 cache's rounding shows in the log-probabilities");
        }
    }

    @Test
    void modelsHealthAndMetrics() throws Exception {
        JsonNode models = TestServer.json(t.get("/v1/models").body());
        assertEquals("tiny-kjv-Q8_0.gguf", models.at("/data/0/id").asText());
        JsonNode health = TestServer.json(t.get("/health").body());
        assertEquals("ok", health.get("status").asText());
        assertEquals(4, health.at("/slots/total").asInt());
        t.post("/v1/completions", """
                {"prompt":"A","max_tokens":3,"temperature":0}""");
        HttpResponse<String> metrics = t.get("/metrics");
        assertEquals(200, metrics.statusCode());
        String m = metrics.body();
        assertTrue(m.contains("llamasimd_http_requests_total{endpoint=\"/v1/completions\",code=\"200\"}"), m);
        assertTrue(m.contains("# TYPE llamasimd_time_to_first_token_seconds histogram"), m);
        assertTrue(m.contains("llamasimd_time_per_output_token_seconds_count "), m);
        assertTrue(m.contains("llamasimd_slots 4"), m);
        long generated = Long.parseLong(m.lines().filter(l -> l.startsWith("llamasimd_generated_tokens_total "))
                .findFirst().orElseThrow().split(" ")[1]);
        assertTrue(generated >= 3, m);
    }

    private static JsonNode error(HttpResponse<String> r, int status) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode e = TestServer.json(r.body()).get("error");
        assertTrue(e != null && e.get("message").isTextual() && e.has("type") && e.has("param") && e.has("code"), r.body());
        return e;
    }

    @Test
    void badRequestsAreAnsweredWithOpenAiErrors() throws Exception {
        JsonNode e = error(t.post("/v1/completions", "{\"prompt\": \"A\", "), 400);
        assertEquals("invalid_request_error", e.get("type").asText());
        assertEquals("invalid_json", e.get("code").asText());
        e = error(t.post("/v1/completions", "{\"prompt\": 42}"), 400);
        assertEquals("prompt", e.get("param").asText());
        assertEquals("invalid_type", e.get("code").asText());
        e = error(t.post("/v1/completions", "{\"prompt\": \"A\", \"max_tokens\": \"9\"}"), 400);
        assertEquals("max_tokens", e.get("param").asText());
        e = error(t.post("/v1/chat/completions", "{\"model\": \"tiny-kjv-Q8_0.gguf\"}"), 400);
        assertEquals("messages", e.get("param").asText());
        assertEquals("missing_required_parameter", e.get("code").asText());
        e = error(t.post("/v1/chat/completions", "{\"messages\": [{\"role\": \"tool\", \"content\": \"x\"}]}"), 400);
        assertEquals("messages[0].role", e.get("param").asText());
        e = error(t.post("/v1/completions", "{\"prompt\": \"A\", \"n\": 2}"), 400);
        assertEquals("n", e.get("param").asText());
        e = error(t.post("/v1/completions", "{\"prompt\": \"A\", \"max_tokens\": 0}"), 400);
        assertEquals("max_tokens", e.get("param").asText());
        error(t.post("/v1/completions", "{\"prompt\": \"A\", \"max_tokens\": " + (MAX_TOKENS_LIMIT + 1) + "}"), 400);
        error(t.post("/v1/completions", "{\"prompt\": \"A\", \"temperature\": -1}"), 400);
        error(t.post("/v1/completions", "[1, 2]"), 400);
        error(t.post("/v1/completions", "{\"prompt\": \"A\", \"prompt\": \"B\"}"), 400);
        error(t.post("/v1/completions", "[".repeat(100)), 400);
        e = error(t.post("/v1/completions", "{\"model\": \"gpt-4o\", \"prompt\": \"A\"}"), 404);
        assertEquals("model_not_found", e.get("code").asText());
    }

    @Test
    void aPromptLongerThanTheContextIsRefused() throws Exception {
        String prompt = "And God said, Let there be light: and there was light. ".repeat(30);
        assertTrue(ModelParts.tokenizer(t.model).encode(prompt, true, false).length > t.server.scheduler().contextSize());
        JsonNode e = error(t.post("/v1/completions", TestServer.JSON.createObjectNode().put("prompt", prompt).toString()), 400);
        assertEquals("context_length_exceeded", e.get("code").asText());
        assertEquals("prompt", e.get("param").asText());
    }

    @Test
    void aBodyOverTheLimitIs413() throws Exception {
        String big = "{\"prompt\": \"" + "a".repeat(BODY_LIMIT) + "\"}";
        JsonNode e = error(t.post("/v1/completions", big), 413);
        assertEquals("request_too_large", e.get("code").asText());
    }

    @Test
    void wrongMethodAndUnknownPath() throws Exception {
        HttpResponse<String> r = t.get("/v1/completions");
        error(r, 405);
        assertEquals("POST", r.headers().firstValue("Allow").orElse(""));
        error(t.post("/v1/models", "{}"), 405);
        error(t.get("/v2/nothing"), 404);
        // the server is still there after all of these
        assertEquals(200, t.get("/health").statusCode());
        assertFalse(t.get("/metrics").body().isEmpty());
    }

    @Test
    void anApiKeyIsRequiredWhenSet() throws Exception {
        try (TestServer keyed = new TestServer(ServerOptions.DEFAULTS.withApiKey("sesame"))) {
            String body = "{\"prompt\": \"A\", \"max_tokens\": 2}";
            JsonNode e = error(keyed.post("/v1/completions", body), 401);
            assertEquals("invalid_api_key", e.get("code").asText());
            HttpResponse<String> wrong = keyed.http.send(keyed.request("/v1/completions").header("Authorization", "Bearer open")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            error(wrong, 401);
            HttpResponse<String> right = keyed.http.send(keyed.request("/v1/completions").header("Authorization", "Bearer sesame")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, right.statusCode(), right.body());
            assertEquals(200, keyed.get("/health").statusCode());
        }
    }
}
