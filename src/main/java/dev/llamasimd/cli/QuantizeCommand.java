package dev.llamasimd.cli;

import dev.llamasimd.model.QuantMix;
import dev.llamasimd.model.Quantizer;
import dev.llamasimd.tensor.FileType;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code quantize}: a GGUF model re-encoded in another type, as llama.cpp's llama-quantize does. */
@Command(
        name = "quantize",
        mixinStandardHelpOptions = true,
        description = {
            "Re-encodes a GGUF model in another type, as llama-quantize does.",
            "The same tensor types and bytes as llama.cpp's llama-quantize without an",
            "importance matrix.",
            "",
            "Types: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL, IQ4_XS, Q6_K",
            "and the K-quant mixes Q4_K_M (alias Q4_K), Q4_K_S, Q5_K_M (Q5_K), Q5_K_S,",
            "Q3_K_M (Q3_K), Q3_K_S, Q3_K_L, Q2_K. In the quantized types the output",
            "matrix gets Q6_K (Q8_0 stays Q8_0) and the mixes raise some layers'",
            "attn_v and ffn_down; --pure gives every matrix the named type. Rows that",
            "are not whole blocks fall back as llama.cpp does (Q4_K -> Q5_0, ...), and",
            "each fallback is printed. Norms keep their type.",
            ""
        })
final class QuantizeCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--in", required = true, paramLabel = "FILE.gguf", description = "the model to quantize (F32, F16 or BF16 tensors)")
    Path in;

    @Option(names = "--out", required = true, paramLabel = "FILE.gguf", description = "the file to write")
    Path out;

    @Option(names = "--type", required = true, paramLabel = "TYPE", description = "the target type (see above)")
    String type;

    @Option(names = "--pure", description = "every matrix gets TYPE: no Q6_K output, no raised layers")
    boolean pure;

    @Option(names = "--allow-requantize", description = "re-encode tensors that are already quantized in another type")
    boolean allowRequantize;

    @Option(names = "--threads", paramLabel = "N", description = "encoding threads, 1 to 256; more than the processors are capped (default: the number of processors)")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--force", description = "replace FILE.gguf if it exists")
    boolean force;

    @Override
    public Integer call() throws IOException {
        FileType fileType;
        try {
            fileType = QuantMix.fileType(type);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        threads = Threads.check(spec, threads);
        if (!Files.isRegularFile(in)) {
            throw new IOException(in + ": no such file");
        }
        PrintWriter err = spec.commandLine().getErr();
        err.printf("quantizing %s to %s as %s%s, %d thread%s%n", in, out, fileType.label, pure ? " (pure)" : "",
                threads, threads == 1 ? "" : "s");
        long t0 = System.nanoTime();
        Quantizer.Result r;
        try {
            r = Quantizer.quantize(in, out, new Quantizer.Options(fileType, pure, allowRequantize, threads), force,
                    (i, n, name, from, to) -> {
                        err.printf("[%4d/%4d] %-36s %-6s %s%n", i, n, name, from, from == to ? "copied" : "-> " + to);
                        err.flush();
                    },
                    line -> err.println("warning: " + line));
        } catch (FileAlreadyExistsException e) {
            throw new IOException(out + " exists; pass --force to replace it", e);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        r.countAndBytes().forEach((t, cb) -> err.printf(Locale.ROOT, "  %-6s %4d tensors %10.1f MB%n", t, cb[0], cb[1] / 1e6));
        if (!r.fallbacks().isEmpty()) {
            err.printf("%d tensor(s) fell back to another type (see the warnings above)%n", r.fallbacks().size());
        }
        err.printf(Locale.ROOT, "wrote %s: %.1f MB (from %.1f MB of tensors) in %.1f s%n", out, r.bytesOut() / 1e6,
                r.bytesIn() / 1e6, seconds);
        err.flush();
        return 0;
    }
}
