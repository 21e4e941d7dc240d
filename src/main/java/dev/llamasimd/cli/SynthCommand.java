package dev.llamasimd.cli;

import dev.llamasimd.model.SyntheticModel;
import java.io.Console;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code synth}: writes a GGUF file of a real model's shape with random weights, for benchmarks. */
@Command(
        name = "synth",
        mixinStandardHelpOptions = true,
        description = {
            "Writes a GGUF file of a real model's shape with random weights.",
            "Weights are normal with std 0.02 (norms 1), with a byte-level tokenizer,",
            "so that anyone can benchmark without downloading weights. The same seed",
            "gives the same file, byte for byte.",
            "",
            "Shapes           family   dim  layers  heads/KV  head   FFN   vocab  context",
            "  llama-3.2-1b   llama   2048    16      32/8    64   8192  128256   131072 (1)",
            "  tinyllama-1.1b llama   2048    22      32/4    64   5632   32000     2048 (2)",
            "  llama-3.2-3b   llama   3072    28      24/8   128   8192  128256   131072 (1)",
            "  qwen2.5-0.5b   qwen2    896    24      14/2    64   4864  151936    32768 (3)",
            "  mistral-7b     mistral 4096    32      32/8   128  14336   32000    32768 (4)",
            "  gemma-2b       gemma   2048    18       8/1   256  16384  256000     8192 (5)",
            "  phi-3-mini     phi3    3072    32     32/32    96   8192   32064     4096 (6)",
            "  custom         llama, from the custom shape options below",
            "  (1) tied embeddings, Llama 3 RoPE scaling; (2) separate output matrix;",
            "  (3) q/k/v biases (zero), tied; (4) sliding window 4096, written as arch",
            "  llama; (5) tied; (6) fused attn_qkv and gate-up ffn_up",
            "",
            "Types: a weight type puts every matrix (the token embedding too) in it:",
            "  F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL (dim and FFN",
            "  multiples of 32), Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS (multiples of 256);",
            "a llama.cpp mix gives each tensor the type llama-quantize would:",
            "  Q4_K_M, Q4_K_S, Q5_K_M, Q5_K_S, Q3_K_M, Q3_K_S, Q3_K_L (output Q6_K,",
            "  some attn_v/ffn_down raised; rows that do not fit fall back).",
            "Norms are always F32.",
            ""
        })
final class SynthCommand implements Callable<Integer> {
    private static final long REDRAW_NANOS = 100_000_000;
    private static final int BAR_WIDTH = 30;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--shape", required = true, paramLabel = "NAME",
            description = "a shape of the table above, or custom")
    String shape;

    @Option(names = "--type", required = true, paramLabel = "TYPE", description = "a weight type or a llama.cpp mix (see above)")
    String type;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "seed of the weights (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--out", required = true, paramLabel = "FILE.gguf", description = "the file to write")
    Path out;

    @Option(names = "--force", description = "replace FILE.gguf if it exists")
    boolean force;

    @ArgGroup(exclusive = false, heading = "Custom shape (with --shape custom):%n")
    Custom custom;

    static final class Custom {
        @Option(names = "--dim", required = true, paramLabel = "N", description = "hidden size")
        int dim;

        @Option(names = "--layers", required = true, paramLabel = "N", description = "transformer blocks")
        int layers;

        @Option(names = "--heads", required = true, paramLabel = "N", description = "query heads (head dim = dim / heads)")
        int heads;

        @Option(names = "--kv-heads", paramLabel = "N", description = "key/value heads (default: --heads)")
        Integer kvHeads;

        @Option(names = "--ffn", required = true, paramLabel = "N", description = "SwiGLU inner size")
        int ffn;

        @Option(names = "--vocab", required = true, paramLabel = "N", description = "vocabulary size (at least 258)")
        int vocab;

        @Option(names = "--context", paramLabel = "N", defaultValue = "2048", description = "context length (default: ${DEFAULT-VALUE})")
        int context;

        @Option(names = "--tied", description = "reuse the token embedding as the output matrix")
        boolean tied;

        @Option(names = "--rope-base", paramLabel = "THETA", defaultValue = "10000", description = "RoPE base (default: ${DEFAULT-VALUE})")
        float ropeBase;
    }

    @Override
    public Integer call() throws IOException {
        SyntheticModel.Shape s = usage(this::shape);
        SyntheticModel.Plan plan = usage(() -> SyntheticModel.plan(s, type));
        PrintWriter err = spec.commandLine().getErr();
        long t0 = System.nanoTime();
        ProgressBar bar = ProgressBar.onStderr(err, String.format(Locale.ROOT, "writing %s: %s %s, %,d parameters, seed %d",
                out, s.name(), plan.fileType().label, plan.parameterCount(), seed));
        try {
            SyntheticModel.write(plan, seed, out, force, bar);
        } catch (FileAlreadyExistsException e) {
            throw new IOException(out + " exists; pass --force to replace it", e);
        } finally {
            bar.end();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long size = Files.size(out);
        err.printf("wrote %s: %s (%,d bytes) in %.1f s, %s/s%n", out, bytes(size), size, seconds, bytes((long) (size / seconds)));
        err.flush();
        return 0;
    }

    private SyntheticModel.Shape shape() {
        if (!shape.equals(SyntheticModel.CUSTOM)) {
            if (custom != null) {
                throw new IllegalArgumentException("--dim, --layers, ... only apply to --shape " + SyntheticModel.CUSTOM);
            }
            return SyntheticModel.shape(shape);
        }
        if (custom == null) {
            throw new IllegalArgumentException("--shape " + SyntheticModel.CUSTOM
                    + " needs --dim, --layers, --heads, --ffn and --vocab");
        }
        return SyntheticModel.Shape.custom(custom.dim, custom.layers, custom.heads,
                custom.kvHeads == null ? custom.heads : custom.kvHeads, custom.ffn, custom.vocab, custom.context,
                custom.tied, custom.ropeBase);
    }

    /** Runs {@code make}, turning an invalid option value into a usage error (exit 2). */
    private <T> T usage(Supplier<T> make) {
        try {
            return make.get();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private static String bytes(long n) {
        return n >= 1e9 ? String.format(Locale.ROOT, "%.2f GB", n / 1e9)
                : n >= 1e6 ? String.format(Locale.ROOT, "%.1f MB", n / 1e6)
                : String.format(Locale.ROOT, "%.1f kB", n / 1e3);
    }

    /**
     * Progress on stderr under a title line printed once writing starts. On a terminal, a
     * one-line bar redrawn in place ({@code \r}) at most ten times a second and once at the end;
     * elsewhere (a pipe, a log file, a CI job) the same line printed plainly at each 10 % step and
     * at the end, so a log gets at most eleven lines and no carriage returns.
     */
    static final class ProgressBar implements SyntheticModel.Progress {
        private final PrintWriter err;
        private final boolean terminal;
        private String title;
        private long lastDraw = System.nanoTime() - REDRAW_NANOS;
        private boolean lineOpen;
        /** Off a terminal: the tenth of the total at which the next line is printed. */
        private int nextTenth = 1;
        private boolean finished;

        /**
         * @param terminal redraw one line in place (stderr is a terminal) rather than print a line per 10 %
         */
        ProgressBar(PrintWriter err, String title, boolean terminal) {
            this.err = err;
            this.title = title;
            this.terminal = terminal;
        }

        /** A bar that redraws itself when the process runs on a terminal, and prints plain lines when it does not. */
        static ProgressBar onStderr(PrintWriter err, String title) {
            Console console = System.console();
            return new ProgressBar(err, title, console != null && console.isTerminal());
        }

        @Override
        public void update(long written, long total) {
            if (title != null) {
                err.println(title);
                title = null;
            }
            boolean done = written == total;
            if (terminal) {
                redraw(written, total, done);
            } else {
                int tenths = (int) (10 * written / Math.max(1, total));
                if (done ? finished : tenths < nextTenth) {
                    return;
                }
                nextTenth = tenths + 1;
                finished = done;
                err.println(line(written, total));
                err.flush();
            }
        }

        private void redraw(long written, long total, boolean done) {
            long now = System.nanoTime();
            if (!done && now - lastDraw < REDRAW_NANOS) {
                return;
            }
            lastDraw = now;
            err.print("\r" + line(written, total));
            lineOpen = true;
            if (done) {
                end();
            }
            err.flush();
        }

        private static String line(long written, long total) {
            int filled = (int) (BAR_WIDTH * written / Math.max(1, total));
            return String.format(Locale.ROOT, "%3d%% [%s%s] %s of %s", 100 * written / Math.max(1, total),
                    "#".repeat(filled), ".".repeat(BAR_WIDTH - filled), bytes(written), bytes(total));
        }

        /** Ends the bar's line, so that what follows (an error, say) starts on a line of its own. */
        void end() {
            if (lineOpen) {
                err.println();
                err.flush();
                lineOpen = false;
            }
        }
    }
}
