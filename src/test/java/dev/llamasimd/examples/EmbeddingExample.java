package dev.llamasimd.examples;

import dev.llamasimd.generate.Generation;
import dev.llamasimd.generate.GenerationParams;
import dev.llamasimd.generate.LlamaModel;
import dev.llamasimd.generate.SamplingParams;
import dev.llamasimd.generate.Session;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * How a JVM service embeds llama-simd: load the model once at start-up (it is thread-safe and
 * its weights stay in the mapped file), warm it up, then give each request its own session.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes
 * dev.llamasimd.examples.EmbeddingExample [MODEL]}
 */
public final class EmbeddingExample {
    private EmbeddingExample() {}

    public static void main(String[] args) throws Exception {
        Path path = Path.of(args.length > 0 ? args[0] : "weights/tiny-kjv-Q8_0.gguf");
        try (LlamaModel model = LlamaModel.load(path);
                ExecutorService requests = Executors.newFixedThreadPool(4)) {
            model.warmUp(); // the first request would otherwise run before the JIT has compiled the kernels
            List<String> prompts = List.of("In the beginning", "The LORD is my shepherd;", "Blessed are the",
                    "And it came to pass");
            List<Future<String>> answers = prompts.stream()
                    .map(p -> requests.submit(() -> answer(model, p)))
                    .toList();
            for (int i = 0; i < prompts.size(); i++) {
                System.out.println(prompts.get(i) + answers.get(i).get());
            }
        }
    }

    /** One request: a fresh session (its own KV cache), a bounded answer, greedy and stopping at a newline. */
    static String answer(LlamaModel model, String prompt) {
        GenerationParams params = GenerationParams.of(SamplingParams.GREEDY, 48).withStopStrings(List.of("\n"));
        try (Session session = model.newSession()) {
            Generation g = session.generate(prompt, params, piece -> { });
            return g.text();
        }
    }
}
