package dev.llamasimd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.llamasimd.testing.Jvm;
import dev.llamasimd.testing.Shared;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The packaged jar and {@code bin/llama-simd} (run by failsafe after {@code package}): an old JDK
 * is told which JDK the jar needs, JDK 25 runs it, and the launcher script finds a JDK 25 and runs
 * the shipped model. The old JDK is {@code -Dllamasimd.oldJdk=HOME}, or else one beside this JDK
 * (the test is skipped, saying so, where there is none).
 */
class LauncherIT {
    private static final Path JAR = Path.of("target/llama-simd.jar").toAbsolutePath();
    private static final Path SCRIPT = Path.of("bin/llama-simd").toAbsolutePath();
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    @Test
    void anOldJdkIsToldWhichJdkTheJarNeeds() throws Exception {
        Path old = oldJdk();
        int feature = feature(old).orElseThrow();
        Jvm.Run r = Jvm.run(List.of(old.resolve("bin/java").toString(), "-jar", JAR.toString(), "--version"));
        assertEquals(1, r.exit(), r.output());
        assertEquals("llama-simd needs JDK 25 (found " + feature + "): set JAVA_HOME to a JDK 25 or use bin/llama-simd",
                r.output().strip());
    }

    @Test
    void jdk25RunsTheJar() throws Exception {
        Jvm.Run r = Jvm.run(List.of(JAVA, "--add-modules", "jdk.incubator.vector", "-jar", JAR.toString(), "--version"));
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("llama-simd "), r.output());
        assertTrue(r.output().contains("JDK " + Runtime.version()), r.output());
    }

    @Test
    void theLauncherScriptRunsTheShippedModel() throws Exception {
        Jvm.Run r = script(Path.of(System.getProperty("java.home")), System.getenv("PATH"));
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("compiled to SIMD"), r.output());
        assertTrue(r.output().contains(" generated: "), r.output());
        assertTrue(r.output().contains("| greedy]"), r.output());
    }

    @Test
    void theLauncherScriptPassesOverAJavaHomeThatIsTooOld() throws Exception {
        Path old = oldJdk();
        String path = Path.of(System.getProperty("java.home"), "bin") + File.pathSeparator + System.getenv("PATH");
        Jvm.Run r = script(old, path);
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("JAVA_HOME=" + old + " is JDK " + feature(old).orElseThrow() + "; looking for a JDK 25"),
                r.output());
        assertTrue(r.output().contains("| greedy]"), r.output());
        assertFalse(r.output().contains("needs JDK 25"), r.output());
    }

    /** {@code bin/llama-simd generate} on the shipped model, with this JAVA_HOME and PATH. */
    private static Jvm.Run script(Path javaHome, String path) throws IOException, InterruptedException {
        assumeTrue(!System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("windows"), "skipped: bin/llama-simd is for POSIX shells");
        ProcessBuilder pb = new ProcessBuilder("sh", SCRIPT.toString(), "generate", "--model",
                Shared.weights("tiny-kjv-Q8_0.gguf").toString(), "--prompt", "And God said", "--max-tokens", "8",
                "--temperature", "0", "--threads", "1").redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", javaHome.toString());
        pb.environment().put("PATH", path);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "bin/llama-simd did not finish\n" + out);
        return new Jvm.Run(p.exitValue(), out);
    }

    /** A JDK older than 25: {@code llamasimd.oldJdk}, or one in the folder that holds this one. */
    private static Path oldJdk() throws IOException {
        String given = System.getProperty("llamasimd.oldJdk");
        if (given != null && !given.isBlank()) {
            return Path.of(given);
        }
        Path folder = Path.of(System.getProperty("java.home")).getParent();
        try (Stream<Path> homes = Files.list(folder)) {
            Optional<Path> old = homes.filter(h -> Files.isExecutable(h.resolve("bin/java")))
                    .filter(h -> feature(h).filter(f -> f < 25).isPresent())
                    .sorted()
                    .findFirst();
            String reason = "skipped: no JDK older than 25 in " + folder + " (set -Dllamasimd.oldJdk=HOME)";
            if (old.isEmpty()) {
                System.out.println(reason);
            }
            assumeTrue(old.isPresent(), reason);
            return old.get();
        }
    }

    /** The feature release a Java home's {@code release} file names (8 for 1.8.0_412). */
    private static Optional<Integer> feature(Path home) {
        Path release = home.resolve("release");
        if (!Files.isRegularFile(release)) {
            return Optional.empty();
        }
        try (Stream<String> lines = Files.lines(release)) {
            return lines.filter(l -> l.startsWith("JAVA_VERSION="))
                    .map(l -> l.substring("JAVA_VERSION=".length()).replace("\"", ""))
                    .map(Launcher::feature)
                    .findFirst();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
