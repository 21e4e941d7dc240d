package dev.llamasimd.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.model.KvCache;
import dev.llamasimd.model.Llama;
import dev.llamasimd.model.State;
import dev.llamasimd.testing.Shared;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Closing a {@link LlamaModel} gives back what it holds (the file's mapping, the sessions' and
 * schedulers' KV caches, its threads), and a closed model, or a session of it, refuses work with
 * an {@link IllegalStateException} that says so instead of reading unmapped memory.
 */
class LlamaModelCloseTest {
    private static final Path KJV = Shared.weights("tiny-kjv-Q8_0.gguf");
    private static final GenerationParams FOUR = GenerationParams.of(SamplingParams.GREEDY, 4);

    @Test
    void aClosedModelRefusesWorkWithAClearError() throws Exception {
        LlamaModel model = LlamaModel.load(KJV, 2);
        Session session = model.newSession();
        session.generate("In the beginning", FOUR, null);
        model.generate("In the beginning", FOUR, null);
        Llama llama = model.llama();
        State state = llama.newState(1, 8, false);
        try (KvCache cache = llama.newCache(8)) {
            model.close();
            model.close();
            String closed = "the model " + KJV + " is closed";
            assertClosed(() -> model.generate("In the beginning", FOUR, null), closed);
            assertClosed(() -> model.chat(List.of(ChatMessage.user("Hello")), FOUR, null), closed);
            assertClosed(model::newSession, closed);
            assertClosed(model::scheduler, closed);
            assertClosed(model::warmUp, closed);
            assertClosed(() -> session.generate("And God said", FOUR, null), closed);
            assertClosed(session::reset, closed);
            assertClosed(() -> llama.forward(state, cache, new int[] {1}, 0, 1, 0), "the model is closed: its weights are unmapped");
            assertTrue(model.isClosed());
            session.close();
        }
    }

    @Test
    void aClosedSessionRefusesWork() {
        try (LlamaModel model = LlamaModel.load(KJV, 1)) {
            Session session = model.newSession();
            session.close();
            session.close();
            assertClosed(() -> session.generate("In the beginning", FOUR, null), "the session is closed");
            model.newSession().generate("In the beginning", FOUR, null);
        }
    }

    /**
     * The file is mapped while the model is open and not after it closes (counted in
     * {@code /proc/self/maps}); no descriptor of it stays open either way; the worker and
     * scheduler threads end; sessions left open are closed with the model.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gguf", "hf"})
    void closingUnmapsTheFileAndEndsItsThreads(String format) throws Exception {
        Path model = format.equals("gguf") ? KJV : Shared.require("models/tiny-kjv/hf");
        Path mapped = (format.equals("gguf") ? model : model.resolve("model.safetensors")).toRealPath();
        long maps = mappings(mapped);
        long fds = descriptors(mapped);
        Set<Thread> before = threads();
        LlamaModel m = LlamaModel.load(model, 2);
        Session session = m.newSession(Session.Options.DEFAULTS.withContextSize(32));
        session.generate("Once", FOUR, null);
        m.generate("Once", FOUR, null);
        assertTrue(mappings(mapped) > maps, "the model maps " + mapped);
        assertEquals(fds, descriptors(mapped), "descriptors of " + mapped + " while the model is open");
        Set<Thread> started = threads();
        started.removeAll(before);
        assertEquals(2, started.size(), "the model's worker and scheduler threads: " + started);
        m.close();
        assertEquals(maps, mappings(mapped), "mappings of " + mapped + " after close");
        assertEquals(fds, descriptors(mapped), "descriptors of " + mapped + " after close");
        assertTrue(session.isClosed(), "a session left open is closed with its model");
        for (Thread t : started) {
            t.join(10_000);
            assertFalse(t.isAlive(), t.getName() + " after close");
        }
    }

    /** Lines of {@code /proc/self/maps} that map {@code file}. */
    private static long mappings(Path file) throws IOException {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/maps"))) {
            return lines.filter(l -> l.endsWith(" " + file)).count();
        }
    }

    /** Open descriptors of this process that refer to {@code file}. */
    private static long descriptors(Path file) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(file);
                } catch (IOException e) {
                    return false;
                }
            }).count();
        }
    }

    /** Live threads the runtime starts (worker pool and scheduler). */
    private static Set<Thread> threads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("llama-simd-")).collect(Collectors.toCollection(HashSet::new));
    }

    private static void assertClosed(Executable call, String message) {
        IllegalStateException e = assertThrows(IllegalStateException.class, call);
        assertEquals(message, e.getMessage());
    }
}
