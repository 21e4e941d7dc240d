package dev.llamasimd.cli;

import dev.llamasimd.model.Converter;
import dev.llamasimd.model.QuantMix;
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

/** {@code convert}: a Hugging Face directory of a supported family written as GGUF, as llama.cpp's convert_hf_to_gguf.py writes it. */
@Command(
        name = "convert",
        mixinStandardHelpOptions = true,
        description = {
            "Converts a Hugging Face model directory into a GGUF file.",
            "The directory (LlamaForCausalLM, with or without biases, Qwen2ForCausalLM,",
            "MistralForCausalLM, Phi3ForCausalLM or GemmaForCausalLM: config.json,",
            "model.safetensors or shards with model.safetensors.index.json in F32, F16",
            "or BF16, tokenizer.json or tokenizer.model, tokenizer_config.json) into a",
            "GGUF file as llama.cpp's convert_hf_to_gguf.py writes it: the same tensor",
            "names, order and bytes (query and key rows permuted for arch llama's RoPE,",
            "Llama 3 scaling as rope_freqs.weight, Gemma's norms as 1 + w, Phi-3's fused",
            "matrices as they are) and the same metadata keys (Mistral as arch llama,",
            "plus llama.attention.sliding_window).",
            "",
            "Types: auto (the default, as the script's: BF16 for BF16 weights, else F16),",
            "F32, F16, BF16 and Q8_0 as the script writes them; any other llama-quantize",
            "type (Q4_K_M, Q6_K, Q4_0, ...) gives what llama-quantize makes of the",
            "lossless conversion, its mix and fallbacks (--pure as there). Norms are F32.",
            ""
        })
final class ConvertCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--in", required = true, paramLabel = "HF_DIR", description = "the Hugging Face model directory")
    Path in;

    @Option(names = "--out", required = true, paramLabel = "FILE.gguf", description = "the file to write")
    Path out;

    @Option(names = "--type", paramLabel = "TYPE", defaultValue = "auto",
            description = "the target type (default: ${DEFAULT-VALUE})")
    String type;

    @Option(names = "--pure", description = "with a llama-quantize type: every matrix gets TYPE")
    boolean pure;

    @Option(names = "--threads", paramLabel = "N", description = "encoding threads, 1 to 256; more than the processors are capped (default: the number of processors)")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--force", description = "replace FILE.gguf if it exists")
    boolean force;

    @Override
    public Integer call() throws IOException {
        FileType fileType;
        try {
            fileType = type.equalsIgnoreCase("auto") ? null : QuantMix.fileType(type);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage() + ", or auto");
        }
        threads = Threads.check(spec, threads);
        if (!Files.isDirectory(in)) {
            throw new IOException(in + ": no such directory (give the Hugging Face model directory)");
        }
        PrintWriter err = spec.commandLine().getErr();
        err.printf("converting %s to %s as %s%s, %d thread%s%n", in, out, fileType == null ? "auto" : fileType.label,
                pure ? " (pure)" : "", threads, threads == 1 ? "" : "s");
        long t0 = System.nanoTime();
        Converter.Result r;
        try {
            r = Converter.convert(in, out, new Converter.Options(fileType, pure, threads), force,
                    (i, n, name, from, to) -> {
                        err.printf("[%4d/%4d] %-36s %-6s -> %s%n", i, n, name, from, to);
                        err.flush();
                    },
                    line -> {
                        err.println("warning: " + line);
                        err.flush();
                    });
        } catch (FileAlreadyExistsException e) {
            throw new IOException(out + " exists; pass --force to replace it", e);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        r.countAndBytes().forEach((t, cb) -> err.printf(Locale.ROOT, "  %-6s %4d tensors %10.1f MB%n", t, cb[0], cb[1] / 1e6));
        err.printf(Locale.ROOT, "wrote %s (%s): %.1f MB (from %.1f MB of tensors) in %.1f s%n", out, r.fileType().label,
                r.bytesOut() / 1e6, r.bytesIn() / 1e6, seconds);
        err.flush();
        return 0;
    }
}
