package dev.llamasimd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.cli.SynthCommand.ProgressBar;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** synth's progress: redrawn in place on a terminal, a plain line per 10 % elsewhere. */
class ProgressBarTest {

    private static String run(boolean terminal, long total, long... updates) {
        StringWriter text = new StringWriter();
        ProgressBar bar = new ProgressBar(new PrintWriter(text, true), "writing m.gguf", terminal);
        for (long written : updates) {
            bar.update(written, total);
        }
        bar.end();
        return text.toString();
    }

    private static long[] everyByte(int total) {
        long[] updates = new long[total + 1];
        for (int i = 0; i <= total; i++) {
            updates[i] = i;
        }
        return updates;
    }

    @Test
    void offATerminalEachTenPercentStepIsOnePlainLine() {
        String out = run(false, 5000, everyByte(5000));
        assertFalse(out.contains("\r"), out);
        List<String> lines = out.lines().toList();
        assertEquals(11, lines.size(), out);
        assertEquals("writing m.gguf", lines.get(0));
        for (int step = 1; step <= 10; step++) {
            assertTrue(lines.get(step).startsWith(String.format("%3d%% [%s", 10 * step, "#".repeat(3 * step))), out);
        }
        assertEquals("100% [##############################] 5.0 kB of 5.0 kB", lines.get(10));
    }

    @Test
    void offATerminalAJumpOverStepsIsOneLineAndTheEndIsPrintedOnce() {
        String out = run(false, 1000, 0, 50, 400, 410, 999, 1000, 1000);
        assertEquals(List.of("writing m.gguf",
                " 40% [############..................] 0.4 kB of 1.0 kB",
                " 99% [#############################.] 1.0 kB of 1.0 kB",
                "100% [##############################] 1.0 kB of 1.0 kB"), out.lines().toList());
    }

    @Test
    void onATerminalTheBarIsRedrawnInPlaceAndEndsItsLine() {
        String out = run(true, 5000, everyByte(5000));
        assertTrue(out.startsWith("writing m.gguf\n\r  0% [..............................]"), out);
        assertTrue(out.endsWith("\r100% [##############################] 5.0 kB of 5.0 kB\n"), out);
        // redrawn at most ten times a second, and at the end
        assertTrue(out.chars().filter(c -> c == '\r').count() < 5000, out);
        assertEquals(2, out.chars().filter(c -> c == '\n').count(), "one line under the title: " + out);
    }
}
