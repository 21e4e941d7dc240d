package dev.llamasimd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llamasimd.generate.ChatMessage;
import dev.llamasimd.generate.GenerationParams;
import dev.llamasimd.generate.Request;
import dev.llamasimd.generate.SamplingParams;
import dev.llamasimd.generate.Scheduler;
import dev.llamasimd.generate.TokenListener;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** A full server refuses with 429; a client that goes away, a request out of time and closing the server end generations. */
class ServeBackPressureTest {
    /** A long generation (tiny-kjv's greedy runs fill its context) straight on the scheduler. */
    private static GenerationParams longRun() {
        return GenerationParams.of(SamplingParams.GREEDY, 100_000);
    }

    /**
     * Occupies a slot with a generation whose listener sleeps on each token: it holds the
     * scheduler's thread, so every generation beside it takes that long per token too. The
     * streams it slows run for seconds, far longer than a test needs to act on them.
     */
    private static Request slowDown(TestServer t, long millisPerToken, CountDownLatch started) {
        return t.server.scheduler().submit("In the beginning", longRun(), new TokenListener() {
            @Override
            public void onText(String text) {}

            @Override
            public void onToken(GeneratedToken token) {
                started.countDown();
                try {
                    Thread.sleep(millisPerToken);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 30 s: " + what);
            }
            Thread.sleep(20);
        }
    }

    private static long metric(TestServer t, String line) throws Exception {
        return t.get("/metrics").body().lines().filter(l -> l.startsWith(line + " ")).findFirst()
                .map(l -> Long.parseLong(l.substring(line.length() + 1))).orElseThrow(() -> new AssertionError(line));
    }

    @Test
    void aFullServerAnswers429WithRetryAfter() throws Exception {
        Scheduler.Options one = Scheduler.Options.DEFAULTS.withSlots(1).withMaxQueued(0);
        try (TestServer t = new TestServer(ServerOptions.DEFAULTS.withScheduler(one))) {
            CountDownLatch started = new CountDownLatch(1);
            Request busy = slowDown(t, 5, started);
            assertTrue(started.await(30, TimeUnit.SECONDS));
            HttpResponse<String> r = t.post("/v1/completions", "{\"prompt\": \"A\", \"max_tokens\": 2}");
            assertEquals(429, r.statusCode(), r.body());
            assertTrue(r.headers().firstValue("Retry-After").isPresent());
            assertTrue(TestServer.json(r.body()).at("/error/message").asText().contains("busy"), r.body());
            busy.cancel();
            busy.await();
            assertEquals(200, t.post("/v1/completions", "{\"prompt\": \"A\", \"max_tokens\": 2}").statusCode());
        }
    }

    @Test
    void aClientThatDisconnectsMidStreamFreesItsSlot() throws Exception {
        try (TestServer t = new TestServer(ServerOptions.DEFAULTS.withScheduler(Scheduler.Options.DEFAULTS.withSlots(3)))) {
            CountDownLatch started = new CountDownLatch(1);
            Request slow = slowDown(t, 40, started);
            assertTrue(started.await(30, TimeUnit.SECONDS));
            List<ChatMessage> other = List.of(ChatMessage.user("Who begat Enoch?"));
            String otherWant = t.greedyChat(other, 16);
            CompletableFuture<HttpResponse<String>> otherStream = t.http.sendAsync(t.request("/v1/chat/completions")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("""
                            {"messages":[{"role":"user","content":"Who begat Enoch?"}],"max_tokens":16,"temperature":0,"stream":true}"""))
                    .build(), HttpResponse.BodyHandlers.ofString());

            String body = "{\"prompt\": \"And God said\", \"temperature\": 0, \"stream\": true}";
            try (Socket socket = new Socket("127.0.0.1", t.server.address().getPort())) {
                OutputStream out = socket.getOutputStream();
                out.write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                        .getBytes(StandardCharsets.UTF_8));
                out.flush();
                BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
                assertTrue(in.readLine().startsWith("HTTP/1.1 200"));
                int events = 0;
                for (String line; events < 3 && (line = in.readLine()) != null; ) {
                    if (line.startsWith("data: {")) {
                        events++;
                    }
                }
                assertEquals(3, events);
            }
            // the stream had about 250 tokens to go at 40 ms each: the server must notice, not finish it
            await("the disconnect is noticed", () -> {
                try {
                    return metric(t, "llamasimd_requests_cancelled_total{reason=\"disconnect\"}") == 1;
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            await("the stream's slot is freed", () -> t.server.scheduler().stats().running() <= 2);

            HttpResponse<String> r = otherStream.get(60, TimeUnit.SECONDS);
            StringBuilder text = new StringBuilder();
            List<String> events = TestServer.events(r.body());
            assertEquals("[DONE]", events.getLast());
            for (String e : events.subList(0, events.size() - 1)) {
                text.append(TestServer.json(e).at("/choices/0/delta/content").asText(""));
            }
            assertEquals(otherWant, text.toString());

            slow.cancel();
            await("every slot is free", () -> t.server.scheduler().stats().running() == 0);
            assertEquals(200, t.get("/health").statusCode());
        }
    }

    @Test
    void closingTheServerEndsTheAnswersInFlight() throws Exception {
        try (TestServer t = new TestServer()) {
            CountDownLatch started = new CountDownLatch(1);
            slowDown(t, 40, started);
            assertTrue(started.await(30, TimeUnit.SECONDS));
            String body = "{\"prompt\": \"And God said\", \"temperature\": 0, \"stream\": %s}";
            CompletableFuture<HttpResponse<String>> streamed = t.http.sendAsync(t.request("/v1/completions")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body.formatted("true"))).build(),
                    HttpResponse.BodyHandlers.ofString());
            CompletableFuture<HttpResponse<String>> whole = t.http.sendAsync(t.request("/v1/completions")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body.formatted("false"))).build(),
                    HttpResponse.BodyHandlers.ofString());
            await("both requests run", () -> t.server.scheduler().stats().running() == 3);
            t.server.close();
            HttpResponse<String> s = streamed.get(30, TimeUnit.SECONDS);
            List<String> events = TestServer.events(s.body());
            assertEquals("[DONE]", events.getLast());
            assertEquals("server_shutting_down", TestServer.json(events.get(events.size() - 2)).at("/error/code").asText());
            HttpResponse<String> w = whole.get(30, TimeUnit.SECONDS);
            assertEquals(503, w.statusCode(), w.body());
            assertEquals(0, t.server.scheduler().stats().running());
        }
    }

    @Test
    void aRequestOverItsTimeIsCancelled() throws Exception {
        try (TestServer t = new TestServer(ServerOptions.DEFAULTS.withRequestTimeout(Duration.ofSeconds(1)))) {
            CountDownLatch started = new CountDownLatch(1);
            Request slow = slowDown(t, 40, started);
            assertTrue(started.await(30, TimeUnit.SECONDS));
            // about 250 tokens at 40 ms each: ten seconds, against a limit of one
            HttpResponse<String> r = t.post("/v1/completions", "{\"prompt\": \"And God said\", \"temperature\": 0}");
            assertEquals(504, r.statusCode(), r.body());
            JsonNode error = TestServer.json(r.body()).get("error");
            assertEquals("timeout", error.get("code").asText());
            assertEquals(1, metric(t, "llamasimd_requests_cancelled_total{reason=\"timeout\"}"));

            HttpResponse<String> streamed = t.post("/v1/completions",
                    "{\"prompt\": \"And God said\", \"temperature\": 0, \"stream\": true}");
            assertEquals(200, streamed.statusCode());
            List<String> events = TestServer.events(streamed.body());
            assertEquals("[DONE]", events.getLast());
            assertEquals("timeout", TestServer.json(events.get(events.size() - 2)).at("/error/code").asText(), streamed.body());
            assertEquals(2, metric(t, "llamasimd_requests_cancelled_total{reason=\"timeout\"}"));
            slow.cancel();
            await("every slot is free", () -> t.server.scheduler().stats().running() == 0);
            assertFalse(slow.await().text().isEmpty());
        }
    }
}
