package dev.llamasimd.cli;

import dev.llamasimd.generate.LlamaModel;
import dev.llamasimd.io.ModelFormatException;
import dev.llamasimd.kernels.SimdCheck;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code java --add-modules jdk.incubator.vector -jar llama-simd.jar COMMAND ...}. Exit codes:
 * 0 ok, 1 runtime error (bad model file, impossible request), 2 usage error.
 */
@Command(
        name = "llama-simd",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Llama inference on the JDK Vector API.",
        subcommands = {
            GenerateCommand.class, ChatCommand.class, InspectCommand.class, LogitsCommand.class, BenchCommand.class,
            SynthCommand.class, QuantizeCommand.class, ConvertCommand.class, TokenizeCommand.class, DetokenizeCommand.class, ServeCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {

    /** Held: java.util.logging keeps loggers only weakly, and with them their level. */
    private static final Logger LOAD_LOG = Logger.getLogger(LlamaModel.class.getName());

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            System.err.println("error: llama-simd computes with the JDK Vector API, which is not enabled; run it as"
                    + " java --add-modules jdk.incubator.vector -jar llama-simd.jar ...");
            System.exit(1);
        }
        // The commands print what a load logs (the SIMD self-check's line) themselves, on their stderr.
        LOAD_LOG.setLevel(Level.OFF);
        // Token text is UTF-8 whatever the platform's locale says.
        System.exit(run(new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true),
                new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true), args));
    }

    /** Runs the command line with the given output streams and returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main()).setOut(out).setErr(err);
        // a usage error is its message and where the help is, not the whole help
        cli.setParameterExceptionHandler((thrown, args2) -> {
            CommandLine cmd = thrown.getCommandLine();
            // picocli checks required options before it reports an unknown one: a misspelt
            // option is the error to name (with its near match), not the option it misses
            CommandLine.ParameterException e = thrown instanceof CommandLine.UnmatchedArgumentException
                    || cmd.getUnmatchedArguments().isEmpty()
                    ? thrown : new CommandLine.UnmatchedArgumentException(cmd, cmd.getUnmatchedArguments());
            PrintWriter w = cmd.getErr();
            w.println(e.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(e, w);
            w.println("see '" + cmd.getCommandSpec().qualifiedName() + " --help'");
            w.flush();
            return cmd.getCommandSpec().exitCodeOnInvalidInput();
        });
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            PrintWriter w = cmd.getErr();
            if (e instanceof ModelFormatException || e instanceof IllegalArgumentException
                    || e instanceof java.io.IOException || e instanceof java.io.UncheckedIOException
                    || e instanceof UnsupportedOperationException || e instanceof IllegalStateException) {
                w.println("error: " + e.getMessage());
            } else {
                e.printStackTrace(w);
            }
            w.flush();
            return 1;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Reports the version and the Vector API species in use. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {
                "llama-simd " + (v == null ? "(development build)" : v),
                "JDK " + Runtime.version() + ", " + Startup.vectorDescription(),
                SimdCheck.timed().join().line()
            };
        }
    }
}
