package dev.llamasimd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llamasimd.generate.ChatMessage;
import dev.llamasimd.generate.Scheduler;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Many streams at once through 8 slots: each one complete and equal to what it gets alone. */
class ServeLoadTest {
    private static final int STREAMS = 64;
    private static final String[] PROMPTS = {
        "And God said", "In the beginning", "The LORD is my shepherd;", "Blessed are the meek:",
        "And it came to pass", "Thou shalt not", "For God so loved", "Let there be light"
    };

    @Test
    void sixtyFourConcurrentStreamsEachEqualTheirSingleUserRun() throws Exception {
        Scheduler.Options eight = Scheduler.Options.DEFAULTS.withSlots(8).withMaxQueued(STREAMS);
        try (TestServer t = new TestServer(ServerOptions.DEFAULTS.withScheduler(eight))) {
            List<String> want = new ArrayList<>();
            List<HttpRequest> requests = new ArrayList<>();
            List<Boolean> chat = new ArrayList<>();
            for (int i = 0; i < STREAMS; i++) {
                String prompt = PROMPTS[i % PROMPTS.length];
                int maxTokens = 4 + (i * 7) % 25;
                boolean isChat = i % 2 == 1;
                ObjectNode body = TestServer.JSON.createObjectNode().put("temperature", 0).put("max_tokens", maxTokens)
                        .put("stream", true);
                if (isChat) {
                    body.putArray("messages").addObject().put("role", "user").put("content", prompt);
                    want.add(t.greedyChat(List.of(ChatMessage.user(prompt)), maxTokens));
                } else {
                    body.put("prompt", prompt);
                    want.add(t.greedyCompletion(prompt, maxTokens));
                }
                chat.add(isChat);
                requests.add(t.request(isChat ? "/v1/chat/completions" : "/v1/completions")
                        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build());
            }
            List<CompletableFuture<HttpResponse<String>>> streams = new ArrayList<>();
            for (HttpRequest r : requests) {
                streams.add(t.http.sendAsync(r, HttpResponse.BodyHandlers.ofString()));
            }
            for (int i = 0; i < STREAMS; i++) {
                HttpResponse<String> r = streams.get(i).get(120, TimeUnit.SECONDS);
                assertEquals(200, r.statusCode(), r.body());
                List<String> events = TestServer.events(r.body());
                assertEquals("[DONE]", events.getLast(), "stream " + i + " is complete");
                StringBuilder text = new StringBuilder();
                String finish = null;
                for (String e : events.subList(0, events.size() - 1)) {
                    JsonNode choice = TestServer.json(e).at("/choices/0");
                    text.append(chat.get(i) ? choice.at("/delta/content").asText("") : choice.get("text").asText());
                    if (!choice.get("finish_reason").isNull()) {
                        finish = choice.get("finish_reason").asText();
                    }
                }
                assertEquals(want.get(i), text.toString(), "stream " + i);
                assertEquals("length", finish, "stream " + i);
            }
            assertEquals(0, t.server.scheduler().stats().running());
            assertEquals(STREAMS, t.server.scheduler().stats().completed());
        }
    }
}
