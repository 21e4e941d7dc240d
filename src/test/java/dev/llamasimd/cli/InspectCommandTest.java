package dev.llamasimd.cli;

import static dev.llamasimd.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.cli.Cli.Run;
import dev.llamasimd.testing.Shared;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code inspect}'s metadata listing, and what every command says about a file cut short. */
class InspectCommandTest {
    private static final Path MODEL = Shared.weights("tiny-kjv-Q8_0.gguf");

    @TempDir
    Path dir;

    @Test
    void listsAsManyMetadataKeysAsItCounts() {
        Run r = run("inspect", "--model", MODEL.toString());
        assertEquals(0, r.exit(), r.err());
        List<String> lines = r.out().lines().toList();
        Matcher count = Pattern.compile("(\\d+) metadata keys").matcher(lines.get(1));
        assertTrue(count.find(), lines.get(1));
        List<String> keys = lines.subList(2, lines.indexOf(lines.stream().filter(l -> l.startsWith("arch")).findFirst().orElseThrow()));
        assertEquals(Integer.parseInt(count.group(1)), keys.size(), String.join("\n", keys));
        assertTrue(keys.stream().anyMatch(l -> l.matches("  tokenizer\\.ggml\\.tokens +\\[string × 2048]")), r.out());
        assertTrue(keys.stream().anyMatch(l -> l.matches("  general\\.file_type +7 \\(Q8_0\\)")), r.out());
    }

    @Test
    void aFileCutShortIsCalledTruncatedByEveryCommand() throws IOException {
        byte[] full = Files.readAllBytes(MODEL);
        Path cut = Files.write(dir.resolve("cut.gguf"), Arrays.copyOf(full, 1_000_000));
        for (String[] args : new String[][] {
            {"inspect", "--model", cut.toString()},
            {"generate", "--model", cut.toString(), "--prompt", "x"},
            {"logits", "--model", cut.toString(), "--tokens", "1"},
        }) {
            Run r = run(args);
            assertEquals(1, r.exit(), args[0] + ": " + r.err());
            for (String part : new String[] {"error: " + cut, "(at byte ", "tensor '", "the file is truncated",
                "1,000,000 of the 3,077,4", "bytes its header describes (32.4 %)", "probably incomplete"}) {
                assertTrue(r.err().contains(part), args[0] + ": missing '" + part + "' in " + r.err());
            }
            assertEquals(1, r.err().strip().lines().count(), args[0] + ": one line: " + r.err());
        }
    }
}
