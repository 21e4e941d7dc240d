package dev.llamasimd.cli;

import static dev.llamasimd.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.cli.Cli.Run;
import dev.llamasimd.testing.Shared;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code serve}: what it prints at start, that it serves, stops cleanly, and refuses bad options. */
class ServeCommandTest {
    private static final String MODEL = Shared.weights("tiny-kjv-Q8_0.gguf").toString();

    @Test
    void startsOnAFreePortPrintsItsSetupAndStopsCleanly() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int[] exit = {-1};
        Thread serve = Thread.ofPlatform().start(() -> exit[0] = Main.run(new PrintWriter(out, true), new PrintWriter(err, true),
                "serve", "--model", MODEL, "--port", "0", "--parallel", "2", "--ctx", "128", "--threads", "1",
                "--chat-template", "chatml"));
        Pattern listening = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)/v1");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Matcher m;
        while (!(m = listening.matcher(out.toString())).find()) {
            assertTrue(serve.isAlive(), "serve ended: " + err);
            assertTrue(System.nanoTime() < deadline, "no address printed: " + out + err);
            Thread.sleep(20);
        }
        String printed = out.toString();
        assertTrue(printed.contains("model tiny-kjv-Q8_0.gguf"), printed);
        // 2 slots x 128 positions x 6 layers x 2 x 96 values x 4 bytes: the default is F32
        assertTrue(printed.contains("2 slots x 128 tokens of context, KV cache 1.1 MiB (F32)"), printed);
        assertTrue(printed.contains("chat template chatml"), printed);
        HttpResponse<String> health = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.group(1) + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode());
        serve.interrupt();
        serve.join(TimeUnit.SECONDS.toMillis(30));
        assertEquals(0, exit[0], err.toString());
    }

    @Test
    void badOptionsAreUsageErrors() {
        Run slots = run("serve", "--model", MODEL, "--port", "0", "--parallel", "0");
        assertEquals(2, slots.exit(), slots.err());
        assertTrue(slots.err().contains("slots must be 1 to"), slots.err());
        Run port = run("serve", "--model", MODEL, "--port", "70000");
        assertEquals(2, port.exit());
        assertTrue(port.err().contains("port must be"), port.err());
        Run template = run("serve", "--model", MODEL, "--port", "0", "--threads", "1", "--chat-template", "nope");
        assertEquals(2, template.exit(), template.err());
        assertTrue(template.err().contains("chatml"), "the known names are listed: " + template.err());
        Run ctx = run("serve", "--model", MODEL, "--port", "0", "--threads", "1", "--ctx", "100000");
        assertEquals(2, ctx.exit(), ctx.err());
        assertTrue(ctx.err().contains("context length"), ctx.err());
    }
}
