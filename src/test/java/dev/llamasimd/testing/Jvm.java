package dev.llamasimd.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a main class in a new JVM of this JDK, on this test run's class path. */
public final class Jvm {
    private Jvm() {}

    /** The exit code and everything printed to stdout and stderr, interleaved. */
    public record Run(int exit, String output) {}

    /** {@code java OPTIONS -cp CLASSPATH MAIN ARGS}: no option is added, not even {@code --add-modules}. */
    public static Run run(List<String> options, Class<?> main, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(options);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    /** Runs a command line, within two minutes. */
    public static Run run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        boolean done = p.waitFor(120, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        assertTrue(done, command + ": did not finish\n" + out);
        return new Run(p.exitValue(), out);
    }
}
