package dev.llamasimd.cli;

import dev.llamasimd.tokenizer.Tokenizer;
import dev.llamasimd.tokenizer.Tokenizers;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tokenize}: the token ids of a text, as the model's tokenizer (and llama.cpp) gives them. */
@Command(
        name = "tokenize",
        mixinStandardHelpOptions = true,
        description = {
            "Prints the token ids of a text on one line, separated by spaces.",
            "With --show-pieces each token is ID:PIECE, the piece spelled as in the",
            "vocabulary (e.g. 258:Ġthe), with backslash, spaces and controls escaped."
        })
final class TokenizeCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "PATH", description = "a .gguf file or a Hugging Face directory")
    Path model;

    @CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--text", required = true, paramLabel = "STR", description = "the text")
        String text;

        @Option(names = "--file", required = true, paramLabel = "PATH", description = "read the text from a UTF-8 file")
        Path file;
    }

    @Option(names = "--no-bos", description = "do not add the BOS (or EOS) token the model asks for")
    boolean noBos;

    @Option(names = "--parse-special", description = "read special-token text such as <|eot_id|> as that token")
    boolean parseSpecial;

    @Option(names = "--show-pieces", description = "print ID:PIECE for each token")
    boolean showPieces;

    @Override
    public Integer call() {
        String text = input.text != null ? input.text : read(input.file);
        Tokenizer tokenizer = Tokenizers.load(model);
        int[] ids = tokenizer.encode(text, !noBos, parseSpecial);
        StringJoiner line = new StringJoiner(" ");
        for (int id : ids) {
            line.add(showPieces ? id + ":" + escape(tokenizer.piece(id)) : Integer.toString(id));
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println(line);
        out.flush();
        return 0;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such file");
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": not valid UTF-8");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** The piece with backslash, space and control characters escaped, so that pieces stay apart on the line. */
    static String escape(String piece) {
        StringBuilder b = new StringBuilder(piece.length());
        piece.codePoints().forEach(cp -> {
            switch (cp) {
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (cp <= ' ' || cp == 0x7f || Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
                        b.append(String.format("\\u%04x", cp));
                    } else {
                        b.appendCodePoint(cp);
                    }
                }
            }
        });
        return b.toString();
    }
}
