package dev.llamasimd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.testing.Jvm;
import dev.llamasimd.testing.Shared;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The SIMD self-check of the commands that load a model, each in a JVM of its own: started with
 * an option that keeps the Vector API from being compiled to SIMD, {@code generate} warns and
 * names the option and its fix, and {@code --require-simd} makes that an error; a plain JVM
 * passes even the timed check, with no warning.
 */
class SimdSelfCheckTest {

    private static Jvm.Run generate(String vmOption, String... more) throws Exception {
        List<String> options = new ArrayList<>(List.of("--add-modules", "jdk.incubator.vector"));
        if (vmOption != null) {
            options.addAll(List.of("-XX:+UnlockExperimentalVMOptions", vmOption));
        }
        List<String> args = new ArrayList<>(List.of("generate", "--model", Shared.weights("tiny-kjv-Q8_0.gguf").toString(),
                "--prompt", "And", "--max-tokens", "1", "--temperature", "0", "--threads", "1"));
        args.addAll(List.of(more));
        return Jvm.run(options, Main.class, args.toArray(String[]::new));
    }

    @ParameterizedTest
    @ValueSource(strings = {"-XX:-EnableVectorSupport", "-XX:TieredStopAtLevel=1"})
    void aJvmThatWillNotCompileTheVectorApiToSimdIsWarnedAbout(String vmOption) throws Exception {
        Jvm.Run r = generate(vmOption);
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("warning: the Vector API will NOT be compiled to SIMD ("), r.output());
        assertTrue(r.output().contains("(" + vmOption + ")"), r.output());
        assertTrue(r.output().contains("Fix: remove " + vmOption), r.output());
    }

    @ParameterizedTest
    @ValueSource(strings = {"-XX:-EnableVectorSupport", "-XX:TieredStopAtLevel=1"})
    void requireSimdMakesItAnError(String vmOption) throws Exception {
        Jvm.Run r = generate(vmOption, "--require-simd");
        assertEquals(1, r.exit(), r.output());
        assertTrue(r.output().contains("error: SIMD is required, but the Vector API will NOT be compiled to SIMD"), r.output());
        assertTrue(r.output().contains("Fix: remove " + vmOption), r.output());
        assertFalse(r.output().contains("Exception"), r.output());
        assertFalse(r.output().contains("the LORD"), "nothing was generated: " + r.output());
    }

    @Test
    void aPlainJvmPassesWithoutAWarning() throws Exception {
        Jvm.Run plain = generate(null);
        assertEquals(0, plain.exit(), plain.output());
        assertTrue(plain.output().contains("Vector API: "), plain.output());
        assertTrue(plain.output().contains(", compiled to SIMD"), plain.output());
        assertFalse(plain.output().toLowerCase(Locale.ROOT).contains("warning: the vector api"), plain.output());

        Jvm.Run required = generate(null, "--require-simd");
        assertEquals(0, required.exit(), required.output());
        assertTrue(required.output().contains(", compiled to SIMD; a vector dot product "), required.output());
        assertFalse(required.output().contains("NOT"), required.output());
    }
}
