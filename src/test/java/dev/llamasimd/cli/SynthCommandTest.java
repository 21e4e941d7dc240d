package dev.llamasimd.cli;

import static dev.llamasimd.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.cli.Cli.Run;

import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.model.Llama;
import dev.llamasimd.model.ModelLoader;
import dev.llamasimd.model.SyntheticModel;
import dev.llamasimd.tensor.GgmlType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code synth} command end to end: the file it writes, its progress line, refusals and usage errors. */
class SynthCommandTest {
    private static final String[] CUSTOM = {
        "--shape", "custom", "--dim", "64", "--layers", "2", "--heads", "4", "--kv-heads", "2", "--ffn", "96",
        "--vocab", "300", "--context", "128", "--rope-base", "20000"
    };

    /** {@code synth} writing {@code out} in {@code type} with seed 5, then {@code more} (the shape ...). */
    private static String[] synth(Path out, String type, String[] more, String... evenMore) {
        String[] head = {"synth", "--type", type, "--seed", "5", "--out", out.toString()};
        return Stream.of(head, more, evenMore).flatMap(Arrays::stream).toArray(String[]::new);
    }

    @Test
    void writesALoadableCustomModelWithAProgressBar(@TempDir Path dir) {
        Path out = dir.resolve("m.gguf");
        Run r = run(synth(out, "q4_0", CUSTOM));
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("100% [##############################]"), r.err());
        assertFalse(r.err().contains("\r"), "not a terminal: plain lines, no redraws\n" + r.err());
        assertTrue(r.err().contains("wrote " + out), r.err());
        try (Llama llama = ModelLoader.load(out, Parallel.serial())) {
            SyntheticModel.Shape shape = SyntheticModel.Shape.custom(64, 2, 4, 2, 96, 300, 128, false, 20000f);
            assertEquals(shape.config(), llama.config());
            assertEquals(GgmlType.Q4_0, llama.weights().tokenEmbedding().type());
            assertFalse(llama.weights().tiedOutput());
        }
    }

    @Test
    void refusesAnExistingFileUnlessForced(@TempDir Path dir) throws Exception {
        Path out = Files.writeString(dir.resolve("m.gguf"), "precious");
        Run refused = run(synth(out, "F32", CUSTOM));
        assertEquals(1, refused.exit());
        assertTrue(refused.err().contains("--force"), refused.err());
        assertEquals("precious", Files.readString(out));

        assertEquals(0, run(synth(out, "F32", CUSTOM, "--force")).exit());
        try (Llama llama = ModelLoader.load(out, Parallel.serial())) {
            assertEquals(64, llama.config().dim());
        }
    }

    @Test
    void usageErrorsExitWithTwoAndNameTheValidChoices(@TempDir Path dir) {
        Path out = dir.resolve("m.gguf");
        Run shape = run(synth(out, "F32", new String[] {"--shape", "llama-7b"}));
        assertEquals(2, shape.exit());
        assertTrue(shape.err().contains("llama-3.2-1b, tinyllama-1.1b, llama-3.2-3b, qwen2.5-0.5b, mistral-7b, gemma-2b, phi-3-mini, custom"), shape.err());
        Run type = run(synth(out, "Q7_K", CUSTOM));
        assertEquals(2, type.exit());
        assertTrue(type.err().contains("Q4_K, Q5_K, Q6_K") && type.err().contains("Q4_K_M"), type.err());
        Run unfit = run(synth(out, "Q4_K", CUSTOM));
        assertEquals(2, unfit.exit());
        assertTrue(unfit.err().contains("blocks of 256"), unfit.err());

        assertEquals(2, run(synth(out, "F32", new String[] {"--shape", "custom"})).exit(), "custom without its options");
        assertEquals(2, run(synth(out, "F32", new String[] {"--shape", "custom"}, "--dim", "64")).exit(),
                "custom without --layers ...");
        String[] named = CUSTOM.clone();
        named[1] = "llama-3.2-1b";
        assertEquals(2, run(synth(out, "F32", named)).exit(), "custom options with a named shape");
        String[] unaligned = CUSTOM.clone();
        unaligned[3] = "48";
        assertEquals(2, run(synth(out, "Q8_0", unaligned)).exit(), "dim 48 in Q8_0 blocks");
        String[] tooFewTokens = CUSTOM.clone();
        tooFewTokens[13] = "100";
        assertEquals(2, run(synth(out, "F32", tooFewTokens)).exit(), "vocab below 258");
        assertEquals(2, run("synth", "--shape", "llama-3.2-1b", "--type", "F32").exit(), "no --out");
        assertEquals(2, run("synth", "--shape", "llama-3.2-1b", "--type", "F32", "--seed", "x", "--out", out.toString())
                .exit(), "non-numeric seed");
        assertFalse(Files.exists(out));
    }

    @Test
    void helpDescribesEveryShapeAndType() {
        Run r = run("synth", "--help");
        assertEquals(0, r.exit());
        for (SyntheticModel.Shape s : SyntheticModel.SHAPES) {
            assertTrue(r.out().contains(s.name()), s.name());
        }
        assertTrue(r.out().contains(SyntheticModel.CUSTOM));
        for (GgmlType t : SyntheticModel.TYPES) {
            assertTrue(r.out().contains(t.name()), t.name());
        }
    }
}
