package dev.llamasimd.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.model.Config;
import dev.llamasimd.model.ModelParts;
import dev.llamasimd.testing.Shared;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Many generations at once on the shipped model: each as it is alone, queue limits, cancellation. */
class SchedulerTest {
    private static final String[] PROMPTS = {
        "And God said", "In the beginning", "The LORD is my shepherd;", "Blessed are the meek:",
        "And it came to pass", "Thou shalt not", "For God so loved", "Let there be light", "A"
    };

    private static LlamaModel model;

    @BeforeAll
    static void load() {
        model = LlamaModel.load(Shared.weights("tiny-kjv-Q8_0.gguf"), 2);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static Generation alone(String prompt, GenerationParams params) {
        try (Session s = model.newSession()) {
            return s.generate(prompt, params, null);
        }
    }

    @Test
    void concurrentGenerationsEqualTheirSingleUserRuns() throws Exception {
        SamplingParams[] sampling = {SamplingParams.GREEDY, SamplingParams.DEFAULTS.withSeed(7), SamplingParams.DEFAULTS.withSeed(99)};
        List<Request> requests = new ArrayList<>();
        List<Generation> expected = new ArrayList<>();
        try (Scheduler scheduler = model.newScheduler(Scheduler.Options.DEFAULTS.withSlots(4).withPrefillChunk(3))) {
            for (int i = 0; i < 3 * PROMPTS.length; i++) {
                GenerationParams p = GenerationParams.of(sampling[i % 3], 20 + i % 7);
                String prompt = PROMPTS[i % PROMPTS.length];
                expected.add(alone(prompt, p));
                StringBuilder streamed = new StringBuilder();
                requests.add(scheduler.submit(prompt, p, streamed::append));
            }
            for (int i = 0; i < requests.size(); i++) {
                Generation g = requests.get(i).await();
                assertArrayEquals(expected.get(i).tokens(), g.tokens(), "request " + i);
                assertEquals(expected.get(i).text(), g.text(), "request " + i);
                assertEquals(expected.get(i).finishReason(), g.finishReason());
            }
            Scheduler.Stats stats = scheduler.stats();
            assertEquals(requests.size(), stats.completed());
            assertEquals(0, stats.running());
        }
    }

    @ParameterizedTest
    @EnumSource(value = CacheType.class, names = {"F16", "BF16"})
    void generationsOverA16BitCacheEqualSessionsWithTheSameCacheType(CacheType type) throws Exception {
        SamplingParams[] sampling = {SamplingParams.GREEDY, SamplingParams.DEFAULTS.withSeed(7)};
        List<Request> requests = new ArrayList<>();
        List<Generation> expected = new ArrayList<>();
        try (Scheduler scheduler = model.newScheduler(Scheduler.Options.DEFAULTS.withSlots(3).withPrefillChunk(4)
                .withCacheType(type))) {
            for (int i = 0; i < PROMPTS.length; i++) {
                GenerationParams p = GenerationParams.of(sampling[i % 2], 24);
                try (Session s = model.newSession(Session.Options.DEFAULTS.withCacheType(type))) {
                    expected.add(s.generate(PROMPTS[i], p, null));
                }
                requests.add(scheduler.submit(PROMPTS[i], p, null));
            }
            for (int i = 0; i < requests.size(); i++) {
                Generation g = requests.get(i).await();
                assertArrayEquals(expected.get(i).tokens(), g.tokens(), type + " cache, request " + i);
                assertEquals(expected.get(i).text(), g.text(), type + " cache, request " + i);
            }
        }
    }

    @Test
    void theCacheTypeIsTheSlotsAndSizesThem() throws Exception {
        Config c = ModelParts.config(model);
        long valuesPerPosition = 2L * c.layers() * c.kvDim();
        try (Scheduler f32 = model.newScheduler(Scheduler.Options.DEFAULTS.withSlots(2).withContextSize(64));
                Scheduler f16 = model.newScheduler(Scheduler.Options.DEFAULTS.withSlots(2).withContextSize(64)
                        .withCacheType(CacheType.F16));
                Session bf16 = model.newSession(Session.Options.DEFAULTS.withContextSize(64).withCacheType(CacheType.BF16))) {
            assertEquals(2 * 64 * valuesPerPosition * 4, f32.cacheBytes());
            assertEquals(2 * 64 * valuesPerPosition * 2, f16.cacheBytes());
            assertEquals(64 * valuesPerPosition * 2, bf16.cacheBytes());
            // the keys and values are rounded: the same greedy answer, with other log-probabilities
            GenerationParams p = GenerationParams.of(SamplingParams.GREEDY, 8).withLogprobs(1);
            List<Float> exact = logprobs(f32, p);
            List<Float> rounded = logprobs(f16, p);
            assertEquals(exact.size(), rounded.size());
            assertTrue(!exact.equals(rounded), exact + " vs " + rounded);
            for (int i = 0; i < exact.size(); i++) {
                assertEquals(exact.get(i), rounded.get(i), 1e-2, "token " + i);
            }
        }
    }

    private static List<Float> logprobs(Scheduler scheduler, GenerationParams p) throws InterruptedException {
        List<Float> out = new ArrayList<>();
        scheduler.submit("And God said", p, new TokenListener() {
            @Override
            public void onText(String text) {}

            @Override
            public void onToken(GeneratedToken token) {
                out.add(token.logprob());
            }
        }).await();
        return out;
    }

    @Test
    void manyThreadsMayGenerateOnTheModelAtOnce() throws Exception {
        GenerationParams p = GenerationParams.of(SamplingParams.GREEDY, 16);
        String want = alone("And God said", p).text();
        List<Thread> threads = new ArrayList<>();
        List<String> got = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 8; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    got.add(model.generate("And God said", p, null).text());
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(8, got.size());
        got.forEach(text -> assertEquals(want, text));
    }

    @Test
    void aFullQueueRefusesAndACancelFreesTheSlot() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        try (Scheduler scheduler = model.newScheduler(Scheduler.Options.DEFAULTS.withSlots(1).withMaxQueued(1))) {
            Request running = scheduler.submit("And God said", GenerationParams.of(SamplingParams.GREEDY, 100_000)
                    .withStopAtEndOfGeneration(false), text -> started.countDown());
            assertTrue(started.await(30, TimeUnit.SECONDS));
            Request queued = scheduler.submit("In the beginning", GenerationParams.of(SamplingParams.GREEDY, 8), null);
            assertThrows(RejectedExecutionException.class,
                    () -> scheduler.submit("In the beginning", GenerationParams.of(SamplingParams.GREEDY, 8), null));
            running.cancel();
            assertEquals(Generation.FinishReason.CANCELLED, running.await().finishReason());
            Generation next = queued.await();
            assertEquals(8, next.tokens().length);
            assertEquals(1, scheduler.stats().refused());
        }
    }

    @Test
    void badPromptsAreRefusedAtSubmit() {
        try (Scheduler scheduler = model.newScheduler(Scheduler.Options.DEFAULTS.withSlots(1).withContextSize(16))) {
            GenerationParams p = GenerationParams.of(SamplingParams.GREEDY, 4);
            assertThrows(IllegalArgumentException.class, () -> scheduler.submit(new int[0], p, null));
            assertThrows(IllegalArgumentException.class, () -> scheduler.submit(new int[] {1, -1}, p, null));
            IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                    () -> scheduler.submit(new int[40], p, null));
            assertTrue(tooLong.getMessage().contains("context holds 16"), tooLong.getMessage());
        }
    }

    @Test
    void logprobsAreReportedPerToken() throws Exception {
        List<TokenListener.GeneratedToken> tokens = new ArrayList<>();
        TokenListener listener = new TokenListener() {
            @Override
            public void onText(String text) {}

            @Override
            public void onToken(GeneratedToken token) {
                tokens.add(token);
            }
        };
        Generation g = model.scheduler().submit("And God said", GenerationParams.of(SamplingParams.GREEDY, 6).withLogprobs(3),
                listener).await();
        assertEquals(6, tokens.size());
        for (int i = 0; i < 6; i++) {
            TokenListener.GeneratedToken t = tokens.get(i);
            assertEquals(g.tokens()[i], t.id());
            assertEquals(3, t.top().size());
            // greedy: the chosen token is the most likely one
            assertEquals(t.id(), t.top().get(0).id());
            assertEquals(t.logprob(), t.top().get(0).logprob(), 0f);
            assertTrue(t.logprob() <= 0 && t.top().get(1).logprob() <= t.logprob());
        }
    }
}
