package dev.llamasimd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.cli.Cli.Run;
import dev.llamasimd.io.GgufFile;
import dev.llamasimd.io.ModelFormatException;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.testing.Shared;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code convert} end to end: progress and summary, the types, a family other than Llama, and
 * what it refuses with which exit code.
 */
class ConvertCommandTest {

    /** Runs the command as Main would run it once registered: its error handling and exit codes. */
    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new ConvertCommand()).setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true));
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (!(e instanceof ModelFormatException || e instanceof IllegalArgumentException || e instanceof IOException)) {
                throw e;
            }
            cmd.getErr().println("error: " + e.getMessage());
            cmd.getErr().flush();
            return 1;
        });
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void convertsTinyKjvToQ8_0WithAProgressLinePerTensor(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("tiny-kjv-Q8_0.gguf");
        Run r = run("--in", Shared.require("models/tiny-kjv/hf").toString(), "--out", out.toString(), "--type", "q8_0",
                "--threads", "2");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("as Q8_0, 2 threads"), r.err());
        assertTrue(r.err().contains("[   1/  56] token_embd.weight"), r.err());
        assertTrue(r.err().contains("[  56/  56] output_norm.weight                   F32    -> F32"), r.err());
        assertEquals(56, r.err().lines().filter(l -> l.startsWith("[")).count(), r.err());
        assertTrue(r.err().contains("warning: tokenizer.json: pre-tokenizer 'gpt-2' identified by its layout"), r.err());
        assertTrue(r.err().contains("wrote " + out + " (Q8_0)"), r.err());
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(GgmlType.Q8_0, f.tensor("blk.0.attn_q.weight").type());
        }
    }

    @Test
    void convertsAPhi3DirectoryWithItsFusedTensors(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("phi3-F16.gguf");
        Run r = run("--in", Shared.require("oracles/hf/phi3").toString(), "--out", out.toString(), "--type", "F16",
                "--threads", "1");
        assertEquals(0, r.exit(), r.err());
        assertEquals(15, r.err().lines().filter(l -> l.startsWith("[")).count(), r.err());
        assertTrue(r.err().contains("blk.0.attn_qkv.weight") && r.err().contains("wrote " + out + " (F16)"), r.err());
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals("phi3", f.metadata().getString("general.architecture"));
            assertEquals(GgmlType.F16, f.tensor("blk.1.ffn_up.weight").type());
            assertEquals(GgmlType.F32, f.tensor("blk.1.ffn_norm.weight").type());
        }
    }

    @Test
    void theDefaultTypeIsTheScriptsAuto(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("bf16.gguf");
        Run r = run("--in", Shared.require("oracles/hf/bf16").toString(), "--out", out.toString(), "--threads", "1");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("as auto, 1 thread"), r.err());
        assertTrue(r.err().contains("(BF16)"), r.err());
        assertTrue(r.err().contains("warning: ") && r.err().contains("tokenizer.ggml.model = none"), r.err());
    }

    @Test
    void refusesAnExistingOutputWithoutForce(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("out.gguf");
        Files.writeString(out, "old");
        String in = Shared.require("oracles/hf/seed").toString();
        Run r = run("--in", in, "--out", out.toString(), "--type", "F32");
        assertEquals(1, r.exit(), r.err());
        assertTrue(r.err().contains("error: " + out + " exists; pass --force to replace it"), r.err());
        assertEquals("old", Files.readString(out));
        r = run("--in", in, "--out", out.toString(), "--type", "F32", "--force");
        assertEquals(0, r.exit(), r.err());
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(21, f.tensors().size());
        }
    }

    @Test
    void usageErrorsAndBadInput(@TempDir Path dir) throws IOException {
        String seed = Shared.require("oracles/hf/seed").toString();
        Path out = dir.resolve("out.gguf");
        Run r = run("--in", seed, "--out", out.toString(), "--type", "Q7_X");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("unknown or unsupported type 'Q7_X'") && r.err().contains("or auto"), r.err());
        r = run("--in", seed, "--out", out.toString(), "--threads", "0");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--threads must be from 1 to 256, not 0"), r.err());
        r = run("--in", dir.resolve("nowhere").toString(), "--out", out.toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("no such directory"), r.err());
        Path qwen3 = Files.createDirectories(dir.resolve("qwen3"));
        Files.writeString(qwen3.resolve("config.json"), Files.readString(Path.of(seed, "config.json"))
                .replace("LlamaForCausalLM", "Qwen3ForCausalLM"));
        Files.copy(Path.of(seed, "model.safetensors"), qwen3.resolve("model.safetensors"));
        r = run("--in", qwen3.toString(), "--out", out.toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("error: ") && r.err().contains("config.json")
                && r.err().contains("Qwen3ForCausalLM") && r.err().contains("supported: LlamaForCausalLM"), r.err());
        r = run("--in", seed, "--out", Path.of(seed, "model.safetensors").toString(), "--force");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("is model.safetensors of the input directory"), r.err());
        assertFalse(Files.exists(out));
    }
}
