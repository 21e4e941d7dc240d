package dev.llamasimd.cli;

import static dev.llamasimd.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.cli.Cli.Run;
import dev.llamasimd.testing.Shared;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code inspect}'s metadata listing. */
class InspectCommandTest {
    private static final Path MODEL = Shared.weights("tiny-kjv-Q8_0.gguf");

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
}
