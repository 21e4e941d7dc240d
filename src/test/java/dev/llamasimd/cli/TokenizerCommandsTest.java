package dev.llamasimd.cli;

import static dev.llamasimd.cli.Cli.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.cli.Cli.Run;

import dev.llamasimd.testing.Shared;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code tokenize} and {@code detokenize} commands end to end: output, options and exit codes. */
class TokenizerCommandsTest {
    private static String kjvGguf() {
        return Shared.weights("tiny-kjv-Q8_0.gguf").toString();
    }

    @Test
    void tokenizePrintsTheIdsWithBos() {
        Run r = run("tokenize", "--model", kjvGguf(), "--text", "In the beginning God created");
        assertEquals(0, r.exit(), r.err());
        assertEquals("2047 1142 258 1776 1235 384 279 556 282", r.out().strip());
    }

    @Test
    void tokenizeWithoutBosAndWithPieces() {
        Run r = run("tokenize", "--model", kjvGguf(), "--text", "In the beginning", "--no-bos", "--show-pieces");
        assertEquals(0, r.exit(), r.err());
        assertEquals("1142:In 258:Ġthe 1776:Ġbegin 1235:ning", r.out().strip());
    }

    @Test
    void tokenizeParsesSpecialTextOnlyWhenAsked() {
        Run plain = run("tokenize", "--model", kjvGguf(), "--no-bos", "--text", "<|endoftext|>");
        Run special = run("tokenize", "--model", kjvGguf(), "--no-bos", "--parse-special", "--text", "<|endoftext|>");
        assertEquals(0, plain.exit(), plain.err());
        assertTrue(plain.out().strip().split(" ").length > 1, plain.out());
        assertEquals("2047", special.out().strip());
    }

    @Test
    void tokenizeReadsAFileAndAnHfDirectory(@TempDir Path dir) throws Exception {
        Path text = Files.writeString(dir.resolve("in.txt"), "And God said,\nLet there be light", StandardCharsets.UTF_8);
        Run gguf = run("tokenize", "--model", kjvGguf(), "--file", text.toString());
        Run hf = run("tokenize", "--model", Shared.require("models/tiny-kjv/hf").toString(), "--file", text.toString());
        assertEquals(0, gguf.exit(), gguf.err());
        assertEquals(gguf.out(), hf.out());
        assertTrue(gguf.out().startsWith("2047 295 384 387 44 "), gguf.out());
    }

    @Test
    void detokenizePrintsTheText() {
        Run r = run("detokenize", "--model", kjvGguf(), "--ids", "2047,1142,258,1776,1235,384,279,556,282");
        assertEquals(0, r.exit(), r.err());
        assertEquals("In the beginning God created" + System.lineSeparator(), r.out());
        Run shown = run("detokenize", "--model", kjvGguf(), "--ids", "2047,1142", "--show-special");
        assertEquals("<|endoftext|>In", shown.out().strip());
    }

    @Test
    void detokenizeOfSentencePieceDropsTheDummyPrefix() {
        String spm = Shared.require("tokenizers/ggml-vocab-llama-spm.gguf").toString();
        Run r = run("detokenize", "--model", spm, "--ids", "15043,3186");
        assertEquals(0, r.exit(), r.err());
        assertEquals("Hello world", r.out().strip());
    }

    @Test
    void usageErrorsExitWith2() {
        assertEquals(2, run("tokenize", "--model", "x.gguf").exit(), "neither --text nor --file");
        assertEquals(2, run("tokenize", "--model", "x.gguf", "--text", "a", "--file", "b").exit(), "both --text and --file");
        assertEquals(2, run("detokenize", "--model", "x.gguf", "--ids", "1,x").exit(), "an id that is not a number");
        assertEquals(2, run("detokenize", "--model", "x.gguf").exit(), "no --ids");
    }

    @Test
    void runtimeErrorsExitWith1AndSayWhy(@TempDir Path dir) {
        Path missing = dir.resolve("nope.gguf");
        Run noModel = run("tokenize", "--model", missing.toString(), "--text", "a");
        assertEquals(1, noModel.exit());
        assertTrue(noModel.err().contains(missing.toString()), noModel.err());

        Run noFile = run("tokenize", "--model", kjvGguf(), "--file", missing.toString());
        assertEquals(1, noFile.exit());
        assertTrue(noFile.err().contains(missing.toString()), noFile.err());

        Run badId = run("detokenize", "--model", kjvGguf(), "--ids", "1,2048");
        assertEquals(1, badId.exit());
        assertTrue(badId.err().contains("token id 2048"), badId.err());
    }

    @Test
    void notUtf8FileIsNamed(@TempDir Path dir) throws Exception {
        Path bad = Files.write(dir.resolve("bad.txt"), new byte[] {'a', (byte) 0xff, 'b'});
        Run r = run("tokenize", "--model", kjvGguf(), "--file", bad.toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains(bad + ": not valid UTF-8"), r.err());
    }

    @Test
    void escapedPiecesStayApart() {
        assertEquals("a\\u0020b\\n\\\\", TokenizeCommand.escape("a b\n\\"));
        assertEquals("\\u3000▁x", TokenizeCommand.escape("\u3000▁x"));
    }
}
