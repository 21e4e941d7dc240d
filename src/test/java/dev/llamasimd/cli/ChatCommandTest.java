package dev.llamasimd.cli;

import static dev.llamasimd.cli.Cli.runWithStdin;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.cli.Cli.Run;
import dev.llamasimd.testing.Shared;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code chat}'s own commands, end of input, Ctrl-C at the prompt, and the figures of an empty answer. */
class ChatCommandTest {
    private static final String MODEL = Shared.weights("tiny-kjv-Q8_0.gguf").toString();

    @Test
    void commandsNeverReachTheModel() {
        Run r = runWithStdin("/help\n  /bogus \n/quit\nIn the beginning\n", "chat", "--model", MODEL, "--temperature", "0");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains(ChatCommand.HELP), r.err());
        assertTrue(r.err().contains("unknown command /bogus (/help lists the commands)"), r.err());
        assertTrue(!r.err().contains("prompt tokens"), "nothing was generated: " + r.err());
        assertEquals("> > > ", r.out(), "three prompts, and nothing read after /quit");

        Run exit = runWithStdin("/exit\nIn the beginning\n", "chat", "--model", MODEL, "--temperature", "0");
        assertEquals(0, exit.exit(), exit.err());
        assertEquals("> ", exit.out());
        assertTrue(!exit.err().contains("prompt tokens"), exit.err());
    }

    @Test
    void endOfInputAtThePromptEndsTheLine() {
        Run r = runWithStdin("", "chat", "--model", MODEL);
        assertEquals(0, r.exit(), r.err());
        assertEquals("> " + System.lineSeparator(), r.out());
    }

    @Test
    void anEmptyAnswerHasNoTimeToFirstToken() {
        Run r = runWithStdin("In the beginning\n", "chat", "--model", MODEL, "--max-tokens", "0");
        assertEquals(0, r.exit(), r.err());
        String stats = r.err().lines().filter(l -> l.contains("prompt tokens")).findFirst().orElseThrow();
        assertTrue(stats.contains("| 0 generated") && !stats.contains("first token"), stats);

        Run one = runWithStdin("In the beginning\n", "chat", "--model", MODEL, "--max-tokens", "1");
        assertTrue(one.err().contains("| 1 generated") && one.err().contains("first token after"), one.err());
    }

    /** SIGINT while chat waits for a line: exit code 130 and a newline after the prompt, in a JVM of its own. */
    @Test
    void ctrlCAtThePromptEndsTheLineAndExits(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(sigintHandled(), "SIGINT is ignored in this process, and so in its children");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path err = dir.resolve("stderr");
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "chat", "--model", MODEL)
                .redirectError(err.toFile())
                .start();
        try {
            String out = assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
                String prompt = readUntilPrompt(p.getInputStream());
                new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).inheritIO().start().waitFor();
                return prompt + new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            });
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "chat did not exit");
            assertEquals(130, p.exitValue(), Files.readString(err));
            assertEquals("> \n", out, Files.readString(err));
        } finally {
            p.destroyForcibly();
        }
    }

    private static String readUntilPrompt(InputStream in) throws Exception {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        while (!seen.toString(StandardCharsets.UTF_8).endsWith("> ")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            seen.write(b);
        }
        return seen.toString(StandardCharsets.UTF_8);
    }

    /** Whether SIGINT (signal 2) is not in this process's ignored set, which children inherit. */
    private static boolean sigintHandled() throws Exception {
        Path status = Path.of("/proc/self/status");
        if (!Files.exists(status)) {
            return false;
        }
        String ignored = Files.readAllLines(status).stream().filter(l -> l.startsWith("SigIgn:")).findFirst()
                .orElseThrow().substring("SigIgn:".length()).strip();
        return (Long.parseUnsignedLong(ignored, 16) & (1L << (2 - 1))) == 0;
    }
}
