package dev.llamasimd.cli;

import dev.llamasimd.generate.CacheType;
import dev.llamasimd.io.Npy;
import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.model.Llama;
import dev.llamasimd.model.LogitsRun;
import dev.llamasimd.model.ModelLoader;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code logits}: the logits of a prompt of token ids, through the cached or the uncached path. */
@Command(
        name = "logits",
        mixinStandardHelpOptions = true,
        description = {
            "Computes the logits of every position of a prompt of token ids.",
            "Writes T rows; with --greedy K, continues K tokens greedily, prints their",
            "ids on one line and adds the K-1 rows that chose tokens 2..K (T+K-1 rows",
            "in all). Without --out, prints the last row's 10 most likely ids",
            "(rank, id, logit)."
        })
final class LogitsCommand implements Callable<Integer> {
    /** Ids printed when there is no {@code --out}. */
    private static final int TOP = 10;


    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    CacheTypeOption cache;

    @Option(names = "--tokens", required = true, split = ",", paramLabel = "ID", description = "prompt token ids, comma-separated")
    int[] tokens;

    @CommandLine.ArgGroup(exclusive = true)
    Mode path = new Mode();

    static final class Mode {
        @Option(names = "--chunk", paramLabel = "N", description = "feed the prompt N tokens per forward through the KV cache (default: all at once)")
        Integer chunk;

        @Option(names = "--no-kv-cache", description = "recompute the whole prefix from scratch for every position (the uncached path)")
        boolean noKvCache;
    }

    @Option(names = "--greedy", paramLabel = "K", defaultValue = "0", description = "continue K tokens greedily (default: ${DEFAULT-VALUE})")
    int greedy;

    @Option(names = "--out", paramLabel = "FILE.npy", description = "write the logits as a float32 NumPy array [rows, vocab]")
    Path out;

    @Override
    public Integer call() {
        int threads = modelOptions.threads(spec);
        if (greedy < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--greedy must be ≥ 0, not " + greedy);
        }
        if (path.chunk != null && path.chunk < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--chunk must be at least 1, not " + path.chunk);
        }
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        long t0 = System.nanoTime();
        try (Parallel pool = Parallel.pool(threads);
                Llama llama = ModelLoader.load(modelOptions.model, pool)) {
            long loaded = System.nanoTime();
            LogitsRun.Result r = path.noKvCache
                    ? LogitsRun.uncached(llama, tokens, greedy, cache.cacheType)
                    : LogitsRun.cached(llama, tokens, path.chunk == null ? tokens.length : path.chunk, greedy,
                            cache.cacheType);
            if (greedy > 0) {
                stdout.println(String.join(" ", Arrays.stream(r.generated()).mapToObj(Integer::toString).toList()));
                stdout.flush();
            }
            if (out != null) {
                Npy.write(out, r.logits(), r.rows(), r.vocab());
            } else {
                printTop(stdout, r, TOP);
            }
            err.printf("model loaded in %.0f ms; %d prompt tokens in %.1f ms (%.1f tokens/s)", (loaded - t0) / 1e6,
                    tokens.length, r.promptNanos() / 1e6, tokens.length / (r.promptNanos() / 1e9));
            if (greedy > 1) {
                err.printf("; %d decode steps in %.1f ms (%.1f tokens/s)", greedy - 1, r.decodeNanos() / 1e6,
                        (greedy - 1) / (r.decodeNanos() / 1e9));
            }
            err.printf("; %s, %s%n", cacheDescription(), Startup.vectorDescription());
            if (out != null) {
                err.printf("wrote %d x %d logits to %s%n", r.rows(), r.vocab(), out);
            } else {
                err.printf("(the top %d of the last of %d rows; --out FILE.npy writes every logit)%n", TOP, r.rows());
            }
            err.flush();
        }
        return 0;
    }

    /** {@code F16 KV cache}, or {@code no KV cache} (with the type its keys and values are rounded to, if not F32). */
    private String cacheDescription() {
        if (!path.noKvCache) {
            return cache.cacheType + " KV cache";
        }
        return cache.cacheType == CacheType.F32 ? "no KV cache" : "no KV cache (keys and values rounded to " + cache.cacheType + ")";
    }

    /** Without {@code --out}: the last row's most likely ids, one {@code rank id logit} line each. */
    private static void printTop(PrintWriter out, LogitsRun.Result r, int k) {
        int vocab = r.vocab();
        int base = (r.rows() - 1) * vocab;
        float[] logits = r.logits();
        Integer[] ids = new Integer[vocab];
        for (int i = 0; i < vocab; i++) {
            ids[i] = i;
        }
        Arrays.sort(ids, (a, b) -> {
            int byLogit = Float.compare(logits[base + b], logits[base + a]);
            return byLogit != 0 ? byLogit : Integer.compare(a, b);
        });
        for (int i = 0; i < Math.min(k, vocab); i++) {
            out.printf(Locale.ROOT, "%d %d %.6f%n", i + 1, ids[i], logits[base + ids[i]]);
        }
        out.flush();
    }
}
