package dev.llamasimd.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.tensor.GgmlType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The warm-up runs on the model's workers, leaves its results alone and cleans up after itself. */
class WarmUpTest {

    @Test
    void warmUpChangesNoResultAndLeavesNoFile() throws IOException {
        Random rnd = new Random(3);
        Config c = RandomModels.config(rnd, GgmlType.Q4_0);
        try (Arena arena = Arena.ofShared(); Parallel parallel = Parallel.pool(2)) {
            Llama model = RandomModels.model(c, GgmlType.Q4_0, false, rnd, parallel, arena);
            assertEquals(Set.of(GgmlType.Q4_0), WarmUp.types(model.weights()));
            int[] tokens = rnd.ints(6, 0, c.vocabSize()).toArray();
            float[] before = logits(model, tokens);
            Set<Path> tempBefore = warmUpFiles();
            WarmUp.run(model);
            assertArrayEquals(before, logits(model, tokens));
            // other JVMs on the machine (another build's tests) may make and remove their own meanwhile
            Set<Path> left = new HashSet<>(warmUpFiles());
            left.removeAll(tempBefore);
            assertEquals(Set.of(), left, "temporary files left behind");
        }
    }

    private static float[] logits(Llama model, int[] tokens) {
        try (KvCache cache = model.newCache(tokens.length)) {
            State s = model.newState(tokens.length, tokens.length, true);
            model.forward(s, cache, tokens, 0, tokens.length, 0);
            return Arrays.copyOf(s.logits, s.logits.length);
        }
    }

    private static Set<Path> warmUpFiles() throws IOException {
        try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return Set.copyOf(files.filter(p -> p.getFileName().toString().startsWith("llama-simd-warm-up-")).toList());
        }
    }
}
