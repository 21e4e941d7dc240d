package dev.llamasimd.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    /** Q8_0 ids may leave the reference only at a step whose top-1 minus top-2 margin is below this (README). */
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
                int agree = Arrays.mismatch(expected, g.tokens());
                agree = agree < 0 ? expected.length : agree;
                if (agree < expected.length) {
                    assertTrue(m.stopAtNearTie(), m.name() + ": " + prompt.getString("prompt") + ": greedy ids "
                            + Arrays.toString(g.tokens()) + " differ from the reference at step " + agree);
                    double margin = ((Number) ref.getList("top1_top2_margins").get(agree)).doubleValue();
                    assertTrue(margin < Q8_NEAR_TIE, m.name() + ": " + prompt.getString("prompt") + ": greedy ids "
                            + Arrays.toString(g.tokens()) + " leave the reference at step " + agree
                            + ", whose top-1 minus top-2 margin " + margin + " is no near-tie (< " + Q8_NEAR_TIE + ")");
                }
                // At least a third: the Q8_0 model leaves the reference at its near-ties after 22 of 48 ids at the earliest.
                assertTrue(3 * agree >= expected.length, m.name() + ": " + prompt.getString("prompt") + ": only "
                        + agree + " of " + expected.length + " greedy ids equal to the reference");
                if (agree == expected.length) {
                    assertEquals(ref.getString("text"), g.text(), m.name() + ": " + prompt.getString("prompt"));
                }
                System.out.printf("%-20s %-32s %d/%d greedy ids equal%n", m.name(),
                        prompt.getString("prompt"), agree, expected.length);
            }
        }
    }

    private static int[] ints(List<Object> list) {
        return list.stream().mapToInt(o -> ((Number) o).intValue()).toArray();
    }
}
