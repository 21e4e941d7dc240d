package dev.llamasimd.cli;

import dev.llamasimd.generate.CacheType;
import dev.llamasimd.io.GgufArray;
import dev.llamasimd.io.GgufFile;
import dev.llamasimd.io.GgufMetadata;
import dev.llamasimd.io.HfModelDir;
import dev.llamasimd.io.ModelFormatException;
import dev.llamasimd.io.TensorSource;
import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.kernels.TypeKernels;
import dev.llamasimd.model.Config;
import dev.llamasimd.model.KvCache;
import dev.llamasimd.model.Llama;
import dev.llamasimd.model.ModelLoader;
import dev.llamasimd.model.WeightCheck;
import dev.llamasimd.tensor.FileType;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Tensor;
import dev.llamasimd.tokenizer.ChatTemplate;
import dev.llamasimd.tokenizer.Tokenizer;
import dev.llamasimd.tokenizer.Tokenizers;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code inspect}: what is in a model file, and whether llama-simd can run it. */
@Command(
        name = "inspect",
        mixinStandardHelpOptions = true,
        description = {
            "Describes a model file and whether llama-simd can run it.",
            "Format and every metadata key (an array as its type and length, a long",
            "string cut at 80 characters), hyper-parameters, tokenizer, chat template,",
            "every tensor (name, type, shape, bytes), the total size and the KV cache",
            "memory per 1k tokens."
        })
final class InspectCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "PATH", description = "a .gguf file or a Hugging Face directory")
    Path model;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (TensorSource source = ModelLoader.open(model)) {
            describeFile(out, source);
            describeModel(out, source);
            describeTokenizer(out, source);
            describeTensors(out, source);
        }
        out.flush();
        return 0;
    }

    private void describeFile(PrintWriter out, TensorSource source) {
        out.println("model    " + model);
        switch (source) {
            case GgufFile g -> {
                out.printf("format   GGUF v%d, %s bytes, alignment %d, %d metadata keys%n", g.version(),
                        String.format(Locale.ROOT, "%,d", g.fileSize()), g.alignment(), g.metadata().size());
                GgufMetadata md = g.metadata();
                for (String key : md.keys()) {
                    out.printf("  %-44s %s%s%n", key, shortValue(md.get(key)),
                            key.equals("general.file_type") ? " (" + fileType(md.get(key)) + ")" : "");
                }
            }
            case HfModelDir h -> out.printf("format   Hugging Face directory, %d safetensors file(s)%n", h.files().size());
            default -> out.println("format   " + source);
        }
    }

    private static String shortValue(Object v) {
        if (v instanceof GgufArray a) {
            return "[" + a.elementType().name().toLowerCase(Locale.ROOT) + " × " + a.length() + "]";
        }
        String s = String.valueOf(v);
        return s.length() > 80 ? Quoting.quote(s.substring(0, 77)) + "..." : (v instanceof String ? Quoting.quote(s) : s);
    }

    /** The model built over the open source (not closed here: closing it would unmap the source, which call() closes). */
    private void describeModel(PrintWriter out, TensorSource source) {
        try {
            Llama llama = ModelLoader.load(source, Parallel.serial());
            Config c = llama.config();
            out.printf("arch     %s: %d layers, hidden %d, FFN %d, %d query heads / %d KV heads of %d, vocab %d%n",
                    c.family(), c.layers(), c.dim(), c.ffnDim(), c.heads(), c.kvHeads(), c.headDim(), c.vocabSize());
            out.printf("         context %d, RMS eps %s, RoPE theta %s over %d dims (%s)%s, output %s%n",
                    c.contextLength(), c.rmsEps(), c.ropeTheta(), c.ropeDims(),
                    c.ropeLayout().name().toLowerCase(Locale.ROOT).replace('_', '-'),
                    c.ropeScaling() == null ? "" : ", scaling " + c.ropeScaling(),
                    llama.weights().tiedOutput() ? "tied to the embeddings" : "untied");
            long biases = Arrays.stream(llama.weights().layers())
                    .flatMap(l -> l.matrices().stream())
                    .filter(m -> m.bias() != null).count();
            out.printf("family   %s%s%s%n", c.family().describe(),
                    biases == 0 ? "" : "; " + biases + " biased projections",
                    c.slidingWindow() == 0 ? "" : "; sliding window " + c.slidingWindow());
            out.printf("KV cache %s per 1k tokens of context (--cache-type)%n", Arrays.stream(CacheType.values())
                    .map(t -> bytes(KvCache.bytesFor(c, 1024, t)) + " as " + t).collect(Collectors.joining(", ")));
            ModelFormatException bad = WeightCheck.firstNonFinite(llama.weights(), source);
            out.println(bad == null ? "weights  every value finite (all blocks' scales checked)" : "weights  NOT usable: " + bad.getMessage());
        } catch (RuntimeException e) {
            out.println("runs     no: " + e.getMessage());
        }
    }

    private void describeTokenizer(PrintWriter out, TensorSource source) {
        try {
            Tokenizer t = Tokenizers.load(source);
            out.printf("tokenizer %d tokens, BOS %s, EOS %s%n", t.vocabSize(), token(t, t.bos()), token(t, t.eos()));
            String template = t.chatTemplate();
            if (template == null) {
                out.println("chat     no chat template");
            } else {
                try {
                    out.println("chat     template recognised as " + ChatTemplate.detect(template).name());
                } catch (IllegalArgumentException e) {
                    out.println("chat     template not recognised (use --chat-template NAME)");
                }
            }
        } catch (RuntimeException e) {
            out.println("tokenizer cannot be loaded: " + e.getMessage());
        }
    }

    private static String token(Tokenizer t, int id) {
        return id < 0 ? "none" : id + " " + Quoting.quote(t.piece(id));
    }

    private static void describeTensors(PrintWriter out, TensorSource source) {
        out.printf("%ntensors (%d)%n", source.tensors().size());
        out.printf("  %-44s %-6s %-22s %14s%n", "name", "type", "shape (ggml order)", "bytes");
        long total = 0;
        Map<GgmlType, long[]> byType = new EnumMap<>(GgmlType.class);
        for (Tensor t : source.tensors().values()) {
            total += t.data().byteSize();
            long[] countAndBytes = byType.computeIfAbsent(t.type(), k -> new long[2]);
            countAndBytes[0]++;
            countAndBytes[1] += t.data().byteSize();
            out.printf("  %-44s %-6s %-22s %,14d%n", t.name(), t.type(), t.shapeString(), t.data().byteSize());
        }
        out.printf("total    %s in tensors%n", bytes(total));
        byType.forEach((type, cb) -> out.printf("  %-6s %4d tensors %12s%s%n", type, cb[0], bytes(cb[1]),
                TypeKernels.find(type) != null ? "" : "  (no kernel: llama-simd cannot compute with it)"));
    }

    /** {@code general.file_type} as llama.cpp names it. */
    private static String fileType(Object value) {
        FileType t = value instanceof Number n ? FileType.byId(n.longValue()) : null;
        return t == null ? "unknown file type" : t.label;
    }

    /** A byte count in KiB, MiB or GiB. */
    static String bytes(long n) {
        if (n < 1 << 20) {
            return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
        }
        if (n < 1L << 30) {
            return String.format(Locale.ROOT, "%.1f MiB", n / (1024.0 * 1024));
        }
        return String.format(Locale.ROOT, "%.2f GiB", n / (1024.0 * 1024 * 1024));
    }
}
