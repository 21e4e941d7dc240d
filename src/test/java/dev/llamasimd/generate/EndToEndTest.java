package dev.llamasimd.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.llamasimd.io.Json;
import dev.llamasimd.testing.Shared;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Text in, text out: the greedy continuations of tiny-kjv's {@code e2e.json} (transformers and
 * llama.cpp), reproduced exactly through the tokenizer, the session and the sampler.
 */
class EndToEndTest {
    /** Q8_0 ids are compared up to the first reference step closer than this to a tie (README). */
    private static final double Q8_NEAR_TIE = 0.3;

    record Model(String name, String path, String reference, boolean stopAtNearTie) {}

    @TestFactory
    Stream<DynamicTest> greedyContinuations() {
        List<Model> models = List.of(
                new Model("HF directory", "models/tiny-kjv/hf", "hf_F32", false),
                new Model("F32 GGUF", "models/tiny-kjv/tiny-kjv-F32.gguf", "llamacpp_F32", false),
                new Model("Q8_0 GGUF (shipped)", "models/tiny-kjv/tiny-kjv-Q8_0.gguf", "llamacpp_Q8_0", true));
        return models.stream().map(m -> DynamicTest.dynamicTest(m.name(), () -> check(m)));
    }

    private static void check(Model m) {
        Path path = Shared.require(m.path());
        Json.Obj e2e = Json.parseObject(Shared.require("models/tiny-kjv/golden/e2e.json"));
        int n = e2e.getInt("n_new_tokens");
        try (LlamaModel model = LlamaModel.load(path, 2)) {
            for (Json.Obj prompt : e2e.getObjectList("prompts")) {
                Json.Obj ref = prompt.getObject(m.reference());
                int[] expected = ints(ref.getList("ids"));
                int[] input = ints(prompt.getList("input_ids"));
                assertArrayEquals(input, model.tokenizer().encode(prompt.getString("prompt"), true, true),
                        "tokenization of " + prompt.getString("prompt"));
                Generation g;
                try (Session s = model.newSession()) {
                    g = s.generate(prompt.getString("prompt"),
                            GenerationParams.of(SamplingParams.GREEDY, n).withStopAtEndOfGeneration(false), null);
                }
                int agree = expected.length;
                if (m.stopAtNearTie()) {
                    List<Object> margins = ref.getList("top1_top2_margins");
                    for (int k = 0; k < margins.size(); k++) {
                        if (((Number) margins.get(k)).doubleValue() < Q8_NEAR_TIE) {
                            agree = k;
                            break;
                        }
                    }
                }
                assertArrayEquals(Arrays.copyOf(expected, agree), Arrays.copyOf(g.tokens(), agree),
                        m.name() + ": " + prompt.getString("prompt"));
                if (agree == expected.length) {
                    assertEquals(ref.getString("text"), g.text(), m.name() + ": " + prompt.getString("prompt"));
                }
                System.out.printf("%-20s %-32s %d/%d greedy ids compared and equal%n", m.name(),
                        prompt.getString("prompt"), agree, expected.length);
            }
        }
    }

    private static int[] ints(List<Object> list) {
        return list.stream().mapToInt(o -> ((Number) o).intValue()).toArray();
    }
}
