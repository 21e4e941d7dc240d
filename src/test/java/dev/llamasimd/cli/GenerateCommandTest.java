package dev.llamasimd.cli;

import static dev.llamasimd.cli.Cli.run;
import static dev.llamasimd.cli.Cli.runWithStdin;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.cli.Cli.Run;
import dev.llamasimd.testing.Shared;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code generate}, {@code chat} and {@code inspect} on the shipped model. */
class GenerateCommandTest {
    private static final String MODEL = Shared.weights("tiny-kjv-Q8_0.gguf").toString();

    @Test
    void greedyGenerationIsTheSameWithAndWithoutTheKvCache() {
        Run cached = run("generate", "--model", MODEL, "--prompt", "In the beginning", "--max-tokens", "20",
                "--temperature", "0");
        Run uncached = run("generate", "--model", MODEL, "--prompt", "In the beginning", "--max-tokens", "20",
                "--temperature", "0", "--no-kv-cache");
        assertEquals(0, cached.exit(), cached.err());
        assertEquals(0, uncached.exit(), uncached.err());
        assertTrue(cached.out().strip().length() > 20, cached.out());
        assertEquals(cached.out(), uncached.out());
        assertTrue(cached.err().contains("tokens/s") && cached.err().contains("first token after"), cached.err());
    }

    @Test
    void traceShowsEveryStep() {
        Run r = run("generate", "--model", MODEL, "--prompt", "And God said", "--max-tokens", "5",
                "--temperature", "0", "--trace", "--no-kv-cache");
        assertEquals(0, r.exit(), r.err());
        assertEquals(5, r.err().lines().filter(l -> l.startsWith("[step ")).count(), r.err());
        assertTrue(r.err().contains("[step 1] input shape [1, 5]"), "uncached: the whole sequence each step\n" + r.err());
        Run cached = run("generate", "--model", MODEL, "--prompt", "And God said", "--max-tokens", "3",
                "--temperature", "0", "--trace");
        assertTrue(cached.err().contains("[step 1] input shape [1, 1]"), cached.err());
    }

    @Test
    void seededSamplingIsReproducible() {
        String[] args = {"generate", "--model", MODEL, "--prompt", "Blessed are the", "--max-tokens", "24", "--seed", "7"};
        Run a = run(args);
        Run b = run(args);
        assertEquals(0, a.exit(), a.err());
        assertEquals(a.out(), b.out());
        assertTrue(a.err().contains("seed 7"), a.err());
    }

    @Test
    void chatNeedsATemplate() {
        Run r = run("generate", "--model", MODEL, "--prompt", "hello", "--chat", "--max-tokens", "4");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("no chat template") && r.err().contains("chatml"), r.err());
        Run named = run("generate", "--model", MODEL, "--prompt", "hello", "--chat", "--chat-template", "chatml",
                "--system", "Be brief.", "--max-tokens", "4", "--temperature", "0");
        assertEquals(0, named.exit(), named.err());
    }

    @Test
    void usageErrors() {
        assertEquals(2, run("generate", "--model", MODEL, "--prompt", "x", "--system", "s").exit(), "--system without --chat");
        assertEquals(2, run("generate", "--model", MODEL, "--prompt", "x", "--top-p", "2").exit(), "--top-p 2");
        assertEquals(2, run("generate", "--model", MODEL, "--prompt", "x", "--threads", "0").exit(), "--threads 0");
        Run huge = run("generate", "--model", MODEL, "--prompt", "x", "--threads", "100000");
        assertEquals(2, huge.exit(), "--threads 100000");
        assertTrue(huge.err().startsWith("--threads must be from 1 to 256, not 100000"), huge.err());
        assertEquals(2, huge.err().strip().lines().count(), "the message and where the help is: " + huge.err());
        assertTrue(huge.err().strip().endsWith("see 'llama-simd generate --help'"), huge.err());
        assertEquals(2, run("generate", "--model", MODEL).exit(), "missing --prompt");
        Run ctx = run("generate", "--model", MODEL, "--prompt", "x", "--ctx", "0");
        assertEquals(2, ctx.exit(), "--ctx 0");
        assertTrue(ctx.err().startsWith("--ctx must be at least 1, not 0"), ctx.err());
        Run temperature = run("generate", "--model", MODEL, "--prompt", "x", "--temperature", "-1");
        assertEquals(2, temperature.exit(), "--temperature -1");
        assertTrue(temperature.err().startsWith("temperature must be a number ≥ 0 (0: greedy), not -1.0"), temperature.err());
        // a misspelt option is named with its near match, although a required option is missing too
        Run typo = run("generate", "--modle", MODEL);
        assertEquals(2, typo.exit(), "--modle");
        assertEquals(List.of("Unknown options: '--modle', '" + MODEL + "'", "Possible solutions: --model",
                "see 'llama-simd generate --help'"), typo.err().strip().lines().toList());
        Run missing = run("generate", "--model", MODEL);
        assertTrue(missing.err().startsWith("Missing required option: '--prompt=STR'"), missing.err());
    }

    @Test
    void moreThreadsThanProcessorsAreCappedAndSaid() {
        int processors = Runtime.getRuntime().availableProcessors();
        Run r = run("generate", "--model", MODEL, "--prompt", "In the beginning", "--max-tokens", "2", "--temperature", "0",
                "--threads", "256");
        assertEquals(0, r.exit(), r.err());
        assertTrue(processors >= 256 || r.err().contains("--threads 256: this JVM sees " + processors + " processor"), r.err());
    }

    @Test
    void chatOverStdinWithTwoTurns() {
        Run r = runWithStdin("In the beginning\nAnd God said\n/reset\nBehold\n/exit\n",
                "chat", "--model", MODEL, "--temperature", "0", "--max-tokens", "30");
        assertEquals(0, r.exit(), r.err());
        assertEquals(5, r.out().split("> ", -1).length - 1, "a prompt before each of the five lines: " + r.out());
        assertTrue(r.out().contains("In the beginning") && r.out().contains("Behold"), r.out());
        assertTrue(r.err().contains("no chat template"), r.err());
        assertTrue(r.err().contains("conversation forgotten"), r.err());

        Run templated = runWithStdin("Who made the heaven?\nAnd the earth?\n",
                "chat", "--model", MODEL, "--temperature", "0", "--max-tokens", "12", "--chat-template", "chatml");
        assertEquals(0, templated.exit(), templated.err());
        assertEquals(2, templated.err().lines().filter(l -> l.contains("prompt tokens")).count(), templated.err());
    }

    @Test
    void inspectDescribesTheModel() {
        Run r = run("inspect", "--model", MODEL);
        assertEquals(0, r.exit(), r.err());
        for (String part : new String[] {"GGUF v3", "6 layers", "hidden 192", "vocab 2048", "KV cache",
            "blk.5.ffn_down.weight", "Q8_0", "tokenizer 2048 tokens", "no chat template"}) {
            assertTrue(r.out().contains(part), "missing '" + part + "' in\n" + r.out());
        }
    }
}
