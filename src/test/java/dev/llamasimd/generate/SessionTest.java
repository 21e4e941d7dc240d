package dev.llamasimd.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.model.LogitsRun;
import dev.llamasimd.model.ModelParts;
import dev.llamasimd.testing.Shared;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Sessions on the shipped model: streaming, stops, cache reuse, cancellation, concurrency. */
class SessionTest {
    private static LlamaModel model;

    @BeforeAll
    static void load() {
        model = LlamaModel.load(Shared.weights("tiny-kjv-Q8_0.gguf"), 2);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static GenerationParams greedy(int n) {
        return GenerationParams.of(SamplingParams.GREEDY, n);
    }

    @Test
    void streamedPiecesAddUpToTheText() {
        List<String> pieces = new ArrayList<>();
        try (Session s = model.newSession()) {
            Generation g = s.generate("And God said", greedy(40), pieces::add);
            assertEquals(g.text(), String.join("", pieces));
            assertEquals(40, g.tokens().length);
            assertEquals(Generation.FinishReason.MAX_TOKENS, g.finishReason());
            assertTrue(g.promptTokens() > 1 && g.decodeTokensPerSecond() > 0);
        }
    }

    @Test
    void cachedAndUncachedGenerationGiveTheSameText() {
        String cached;
        String uncached;
        try (Session s = model.newSession()) {
            cached = s.generate("The LORD is my shepherd;", greedy(32), null).text();
        }
        try (Session s = model.newSession(Session.Options.DEFAULTS.withKvCache(false))) {
            uncached = s.generate("The LORD is my shepherd;", greedy(32), null).text();
        }
        assertEquals(cached, uncached);
    }

    @Test
    void stopStringEndsTheAnswerBeforeIt() {
        try (Session s = model.newSession()) {
            String full = s.generate("And it came to pass", greedy(40), null).text();
            int comma = full.indexOf(',', 1);
            assertTrue(comma > 0, full);
            s.reset();
            Generation g = s.generate("And it came to pass", greedy(40).withStopStrings(List.of(",")), null);
            assertEquals(Generation.FinishReason.STOP_STRING, g.finishReason());
            assertEquals(full.substring(0, full.indexOf(',')), g.text());
        }
    }

    @Test
    void continuingASessionFeedsEveryGeneratedToken() {
        try (Session s = model.newSession()) {
            Generation first = s.generate("In the beginning", greedy(10), null);
            Generation second = s.generate(" and", greedy(10), null);
            int[] p1 = model.tokenizer().encode("In the beginning", true, false);
            int[] p2 = model.tokenizer().encode(" and", false, false);
            int[] sequence = concat(concat(p1, first.tokens()), p2);
            int[] expected = LogitsRun.cached(model.llama(), sequence, sequence.length, 10, CacheType.F32).generated();
            assertArrayEquals(expected, second.tokens());
            assertEquals(sequence.length + 9, s.position());
        }
    }

    private static int[] concat(int[] a, int[] b) {
        int[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    void secondChatTurnOnlyPrefillsWhatIsNew() {
        Session.Options chatml = Session.Options.DEFAULTS.withChatTemplate("chatml");
        try (Session s = model.newSession(chatml)) {
            List<ChatMessage> conversation = new ArrayList<>(List.of(new ChatMessage("user", "Who made the heaven?")));
            Generation first = s.chat(conversation, greedy(12), null);
            conversation.add(new ChatMessage("assistant", first.text()));
            conversation.add(new ChatMessage("user", "And the earth?"));
            Generation second = s.chat(conversation, greedy(12), null);
            String whole = ModelParts.chatTemplate(model, "chatml").format(conversation, true, "", "");
            int full = model.tokenizer().encode(whole, true, true).length;
            assertTrue(second.promptTokens() < full - first.promptTokens() / 2,
                    "second turn prefilled " + second.promptTokens() + " of " + full + " tokens");
            try (Session fresh = model.newSession(chatml)) {
                assertArrayEquals(fresh.chat(conversation, greedy(12), null).tokens(), second.tokens(),
                        "reusing the cache changes nothing");
            }
        }
    }

    @Test
    void contextFullStopsWithAReason() {
        try (Session s = model.newSession(Session.Options.DEFAULTS.withContextSize(16))) {
            Generation g = s.generate("In the beginning", greedy(100), null);
            assertEquals(Generation.FinishReason.CONTEXT_FULL, g.finishReason());
            assertEquals(16, s.position());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> s.generate("more text that does not fit", greedy(1), null));
            assertTrue(e.getMessage().contains("context"), e.getMessage());
        }
    }

    @Test
    void contextLongerThanTheModelsIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> model.newSession(Session.Options.DEFAULTS.withContextSize(100_000)));
        assertTrue(e.getMessage().contains("context length 256"), e.getMessage());
    }

    @Test
    void cancelFromAnotherThread() throws Exception {
        try (Session s = model.newSession(); ExecutorService other = Executors.newSingleThreadExecutor()) {
            List<String> pieces = new ArrayList<>();
            Generation g = s.generate("In the beginning", greedy(200), piece -> {
                pieces.add(piece);
                if (pieces.size() == 5) {
                    try {
                        other.submit(s::cancel).get();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            });
            assertEquals(Generation.FinishReason.CANCELLED, g.finishReason());
            assertTrue(g.tokens().length < 200);
        }
    }

    @Test
    void concurrentSessionsGiveTheSameTokensAsSequentialOnes() throws Exception {
        List<String> prompts = List.of("In the beginning", "The LORD is my shepherd;", "Blessed are the",
                "And it came to pass", "And the LORD said unto Moses,", "Behold");
        List<int[]> sequential = new ArrayList<>();
        for (String p : prompts) {
            try (Session s = model.newSession()) {
                sequential.add(s.generate(p, greedy(24), null).tokens());
            }
        }
        try (ExecutorService pool = Executors.newFixedThreadPool(prompts.size())) {
            List<Future<int[]>> futures = new ArrayList<>();
            for (String p : prompts) {
                futures.add(pool.submit(() -> {
                    try (Session s = model.newSession()) {
                        return s.generate(p, greedy(24), null).tokens();
                    }
                }));
            }
            for (int i = 0; i < prompts.size(); i++) {
                assertArrayEquals(sequential.get(i), futures.get(i).get(), prompts.get(i));
            }
        }
    }

    @Test
    void sampledGenerationIsReproducibleWithASeed() {
        GenerationParams params = GenerationParams.of(SamplingParams.DEFAULTS.withSeed(1234), 30);
        int[][] runs = new int[2][];
        for (int i = 0; i < 2; i++) {
            try (Session s = model.newSession()) {
                runs[i] = s.generate("And God said", params, null).tokens();
            }
        }
        assertArrayEquals(runs[0], runs[1]);
        assertFalse(Arrays.equals(runs[0], new int[30]));
    }
}
