package dev.llamasimd.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.model.ModelParts;
import dev.llamasimd.testing.Jvm;
import dev.llamasimd.testing.Shared;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Java API's SIMD self-check, in JVMs of their own: a load logs the check's line through
 * {@link System.Logger} (java.util.logging's console by default), a warning with the cause and
 * the fix where the Vector API will not be compiled to SIMD, and
 * {@link LlamaModel.Options#requireSimd()} makes that an {@link IllegalStateException}.
 */
class LoadOptionsSimdTest {

    /** Loads the model given, first plainly, then with {@link LlamaModel.Options#requireSimd()}; prints what happened. */
    public static final class LoadTwice {
        public static void main(String[] args) {
            try (LlamaModel model = LlamaModel.load(Path.of(args[0]), LlamaModel.Options.DEFAULTS.withThreads(1))) {
                System.out.println("loaded " + ModelParts.config(model).vocabSize());
            }
            try (LlamaModel model = LlamaModel.load(Path.of(args[0]), LlamaModel.Options.DEFAULTS.withThreads(1).withRequireSimd(true))) {
                System.out.println("loaded with SIMD required " + ModelParts.config(model).vocabSize());
            } catch (IllegalStateException e) {
                System.out.println("refused: " + e.getMessage());
            }
        }
    }

    private static Jvm.Run loadTwice(List<String> options) throws Exception {
        return Jvm.run(options, LoadTwice.class, Shared.weights("tiny-kjv-Q8_0.gguf").toString());
    }

    @Test
    void withoutVectorSupportTheLoadWarnsAndRequiringSimdRefuses() throws Exception {
        Jvm.Run r = loadTwice(List.of("--add-modules", "jdk.incubator.vector", "-XX:+UnlockExperimentalVMOptions",
                "-XX:-EnableVectorSupport"));
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("WARNING: the Vector API will NOT be compiled to SIMD"), r.output());
        assertTrue(r.output().contains("loaded "), r.output());
        assertTrue(r.output().contains("refused: SIMD is required, but the Vector API will NOT be compiled to SIMD"), r.output());
        assertTrue(r.output().contains("Fix: remove -XX:-EnableVectorSupport"), r.output());
        assertFalse(r.output().contains("loaded with SIMD required"), r.output());
    }

    @Test
    void aPlainJvmLogsTheVectorWidthAndLoadsWithSimdRequired() throws Exception {
        Jvm.Run r = loadTwice(List.of("--add-modules", "jdk.incubator.vector"));
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("INFO: Vector API: "), r.output());
        assertTrue(r.output().contains(", compiled to SIMD"), r.output());
        assertTrue(r.output().contains("loaded with SIMD required"), r.output());
        assertFalse(r.output().contains("NOT be compiled"), r.output());
    }
}
