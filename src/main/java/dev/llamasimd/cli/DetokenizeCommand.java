package dev.llamasimd.cli;

import dev.llamasimd.tokenizer.Tokenizer;
import dev.llamasimd.tokenizer.Tokenizers;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code detokenize}: the text of a list of token ids. */
@Command(
        name = "detokenize",
        mixinStandardHelpOptions = true,
        description = "Prints the text of token ids (control tokens left out unless --show-special), then a newline.")
final class DetokenizeCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "PATH", description = "a .gguf file or a Hugging Face directory")
    Path model;

    @Option(names = "--ids", required = true, split = ",", paramLabel = "ID", description = "token ids, comma-separated")
    int[] ids;

    @Option(names = "--show-special", description = "print control tokens such as <s> or <|eot_id|> too")
    boolean showSpecial;

    @Override
    public Integer call() {
        Tokenizer tokenizer = Tokenizers.load(model);
        String text = tokenizer.decode(ids, showSpecial);
        PrintWriter out = spec.commandLine().getOut();
        out.println(text);
        out.flush();
        return 0;
    }
}
