package dev.llamasimd.cli;

import dev.llamasimd.bench.Benchmark;
import dev.llamasimd.bench.ConcurrencyBench;
import dev.llamasimd.bench.ContextSweep;
import dev.llamasimd.bench.LlamaBenchComparison;
import dev.llamasimd.generate.LlamaModel;
import dev.llamasimd.generate.Scheduler;
import dev.llamasimd.io.Json;
import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.model.Llama;
import dev.llamasimd.model.ModelLoader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code bench}: prefill and decode speed against the measured memory bandwidth. */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = {
            "Measures prefill and decode speed against the memory bandwidth.",
            "Reports prefill and decode tokens/s, time to first token, load time,",
            "peak RSS, heap allocated per decoded token (the timed runs, and the",
            "warm-up run beside them), the in-process read",
            "bandwidth, and decode efficiency = tokens/s x bytes per token / bandwidth.",
            "With --sweep-context, also writes ms/token against context length,",
            "with and without the KV cache, as CSV and SVG. With --compare-to, also",
            "prints each test of a llama.cpp llama-bench result beside this run's."
        })
final class BenchCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    CacheTypeOption cache;

    @Mixin
    SimdOption simd;

    @Option(names = "--prompt", split = ",", paramLabel = "N", defaultValue = "128,512", description = "prompt lengths to prefill (default: ${DEFAULT-VALUE})")
    int[] prompts;

    @Option(names = "--gen", paramLabel = "N", defaultValue = "128", description = "tokens to decode (default: ${DEFAULT-VALUE})")
    int gen;

    @Option(names = "--repeat", paramLabel = "R", defaultValue = "3", description = "timed runs per measurement after a warm-up; the median is reported (default: ${DEFAULT-VALUE})")
    int repeat;

    @Option(names = "--no-kv-cache", description = "time the uncached decode loop (the whole sequence every step)")
    boolean noKvCache;

    @Option(names = "--warm-up", description = "compile the kernels on a tiny model before the first prefill (what a service does at start); 'cold' then shows what is left")
    boolean warmUp;

    @Option(names = "--json", description = "print one JSON object instead of the table")
    boolean json;

    @Option(names = "--sweep-context", description = "also sweep the context length and write PREFIX.csv and PREFIX.svg")
    boolean sweep;

    @Option(names = "--sweep-out", paramLabel = "PREFIX", defaultValue = "context-sweep", description = "output path prefix for --sweep-context (default: ${DEFAULT-VALUE})")
    String sweepOut;

    @Option(names = "--sweep-max", paramLabel = "N", defaultValue = "1024", description = "longest context of the sweep, at most the model's (default: ${DEFAULT-VALUE})")
    int sweepMax;

    @Option(names = "--compare-to", paramLabel = "FILE",
            description = "a llama-bench result (llama-bench -o json or -o jsonl): prints its ppN and tgN tests beside this run's"
                    + " with the ratio llama-simd / llama.cpp; --prompt, --gen and --threads default to the file's")
    Path compareTo;

    @Option(names = "--concurrency", split = ",", paramLabel = "C",
            description = "instead: C streams at once on the scheduler for each C (e.g. 1,2,4,8,16), each a prompt of the"
                    + " first --prompt length (32 unless given) and --gen tokens; prints aggregate decode tokens/s, per-token"
                    + " latency p50/p99 and time to first token per level")
    int[] concurrency;

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        LlamaBenchComparison.Baseline baseline = compareTo == null ? null : baseline(err);
        int threads = modelOptions.threads(spec);
        // awaited: the timed check must not share the processors with the timed runs
        Startup.simd(err, true, simd.requireSimd);
        if (concurrency != null) {
            return concurrency(out, err, threads);
        }
        Benchmark.Options options = Usage.check(spec, () -> new Benchmark.Options(prompts, gen, repeat, !noKvCache,
                cache.cacheType, warmUp,
                !spec.commandLine().getParseResult().hasMatchedOption("--prompt"),
                !spec.commandLine().getParseResult().hasMatchedOption("--gen")));
        Benchmark.Result r = Benchmark.run(modelOptions.model, threads, options, step -> {
            err.println("bench: " + step);
            err.flush();
        });
        LlamaBenchComparison.Comparison vs = baseline == null ? null : LlamaBenchComparison.compare(r, baseline);
        if (json) {
            out.println(json(r, vs));
        } else {
            out.println(table(r));
            if (vs != null) {
                out.println(LlamaBenchComparison.table(vs));
            }
        }
        if (sweep) {
            sweep(err);
        }
        out.flush();
        return 0;
    }

    /**
     * Reads {@code --compare-to} before anything is measured, and takes from it the prompt lengths,
     * the generated length and the thread count the user did not give.
     */
    private LlamaBenchComparison.Baseline baseline(PrintWriter err) {
        if (concurrency != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--compare-to and --concurrency do not go together");
        }
        LlamaBenchComparison.Baseline b = LlamaBenchComparison.read(compareTo);
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        List<String> taken = new ArrayList<>();
        if (!parsed.hasMatchedOption("--prompt") && b.promptLengths().length > 0) {
            prompts = b.promptLengths();
            taken.add("--prompt " + Arrays.stream(prompts).mapToObj(Integer::toString).collect(Collectors.joining(",")));
        }
        if (!parsed.hasMatchedOption("--gen") && b.generate() > 0) {
            gen = b.generate();
            taken.add("--gen " + gen);
        }
        if (!parsed.hasMatchedOption("--threads") && b.threads() > 0) {
            modelOptions.threads = b.threads();
            taken.add("--threads " + b.threads());
        }
        if (!taken.isEmpty()) {
            err.println("bench: from " + compareTo.getFileName() + ": " + String.join(" ", taken));
            err.flush();
        }
        return b;
    }

    private int concurrency(PrintWriter out, PrintWriter err, int threads) throws InterruptedException {
        for (int c : concurrency) {
            if (c < 1 || c > Scheduler.Options.MAX_SLOTS) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--concurrency takes 1 to " + Scheduler.Options.MAX_SLOTS + " streams, not " + c);
            }
        }
        int prompt = spec.commandLine().getParseResult().hasMatchedOption("--prompt") ? prompts[0] : 32;
        if (prompt < 1 || gen < 2 || repeat < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--concurrency needs a prompt of at least 1 token, --gen of at least 2 and --repeat of at least 1");
        }
        try (LlamaModel model = LlamaModel.load(modelOptions.model, threads)) {
            if (prompt + gen + 1 > model.contextLength()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "a prompt of " + prompt + " and --gen " + gen
                        + " do not fit the model's context of " + model.contextLength());
            }
            List<ConcurrencyBench.Level> levels = ConcurrencyBench.run(model, concurrency, prompt, gen, repeat,
                    cache.cacheType, step -> {
                        err.println("bench: " + step);
                        err.flush();
                    });
            out.printf(Locale.ROOT, "model      %s, %d threads, prompt %d, %d tokens per stream, %s KV cache, median of %d%n",
                    modelOptions.model.getFileName(), threads, prompt, gen, cache.cacheType, repeat);
            out.printf(Locale.ROOT, "%8s %14s %10s %10s %10s %9s%n", "streams", "tokens/s", "p50 ms", "p99 ms", "TTFT ms", "speed-up");
            double one = levels.get(0).tokensPerSecond();
            for (ConcurrencyBench.Level l : levels) {
                out.printf(Locale.ROOT, "%8d %14.2f %10.1f %10.1f %10.1f %8.2fx%n", l.streams(), l.tokensPerSecond(),
                        l.p50Millis(), l.p99Millis(), l.ttftMillis(), l.tokensPerSecond() / one);
            }
            out.flush();
        }
        return 0;
    }

    private void sweep(PrintWriter err) throws IOException {
        try (Parallel parallel = Parallel.pool(modelOptions.threads);
                Llama llama = ModelLoader.load(modelOptions.model, parallel)) {
            int max = Math.min(sweepMax, llama.config().contextLength());
            err.println("bench: context sweep up to " + max);
            err.flush();
            List<ContextSweep.Point> points = ContextSweep.run(llama, ContextSweep.lengths(max), repeat, cache.cacheType);
            Path csv = Path.of(sweepOut + ".csv");
            Path svg = Path.of(sweepOut + ".svg");
            Files.writeString(csv, ContextSweep.csv(points));
            Files.writeString(svg, ContextSweep.svg(points, modelOptions.model.getFileName() + ", "
                    + modelOptions.threads + " threads: time per generated token"));
            err.println("wrote " + csv + " and " + svg);
            err.flush();
        }
    }

    static String table(Benchmark.Result r) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "model      %s%n", r.model()));
        b.append(String.format(Locale.ROOT, "runtime    JDK %s, %s, %d threads%n", r.jdk(), r.species(), r.threads()));
        b.append(String.format(Locale.ROOT, "load       %d ms%n", r.loadMillis()));
        if (r.warmUpMillis() > 0) {
            b.append(String.format(Locale.ROOT, "warm-up    %d ms%n", r.warmUpMillis()));
        }
        for (Map.Entry<Integer, Double> e : r.prefillTokensPerSecond().entrySet()) {
            b.append(String.format(Locale.ROOT, "pp%-8d %8.1f tokens/s   (first token after %.1f ms)%n", e.getKey(),
                    e.getValue(), r.firstTokenMillis().get(e.getKey())));
        }
        b.append(String.format(Locale.ROOT, "cold       %8.1f tokens/s   (the first prefill, %s)%n",
                r.coldPrefillTokensPerSecond(), r.warmUpMillis() > 0 ? "after the warm-up" : "before the JIT warmed up"));
        b.append(String.format(Locale.ROOT, "tg%-8s %8.2f tokens/s   (%s)%n", "", r.decodeTokensPerSecond(),
                r.useKvCache() ? r.cacheType() + " KV cache" : "no KV cache"));
        b.append(String.format(Locale.ROOT, "memory     peak RSS %.1f MiB, %.1f bytes of heap allocated per decoded token"
                        + " in the timed runs (%.1f in the warm-up run)%n",
                r.peakRssBytes() / 1048576.0, r.allocBytesPerToken(), r.warmUpAllocBytesPerToken()));
        b.append(String.format(Locale.ROOT,
                "roofline   bandwidth %.1f GB/s, %.1f MB read per token, decode efficiency %.0f %%%n",
                r.bandwidthBytesPerSecond() / 1e9, r.bytesPerToken() / 1e6, 100 * r.decodeEfficiency()));
        return b.toString().stripTrailing();
    }

    /** The result as one JSON object, with {@code vs} (when not null) as its {@code compare_to} member. */
    static String json(Benchmark.Result r, LlamaBenchComparison.Comparison vs) {
        String prefill = r.prefillTokensPerSecond().entrySet().stream()
                .map(e -> String.format(Locale.ROOT, "\"%d\": %.3f", e.getKey(), e.getValue()))
                .collect(Collectors.joining(", ", "{", "}"));
        String ttft = r.firstTokenMillis().entrySet().stream()
                .map(e -> String.format(Locale.ROOT, "\"%d\": %.3f", e.getKey(), e.getValue()))
                .collect(Collectors.joining(", ", "{", "}"));
        return String.format(Locale.ROOT, "{\"model\": %s, \"jdk\": %s, \"vector_species\": %s, \"threads\": %d, "
                        + "\"kv_cache\": %b, \"kv_cache_type\": %s, \"load_ms\": %d, \"warm_up_ms\": %d, \"prefill_tokens_per_s\": %s, \"ttft_ms\": %s, "
                        + "\"cold_prefill_tokens_per_s\": %.3f, \"decode_tokens_per_s\": %.3f, \"peak_rss_bytes\": %d, "
                        + "\"alloc_bytes_per_token\": %.1f, \"warm_up_alloc_bytes_per_token\": %.1f, "
                        + "\"bandwidth_gb_s\": %.3f, \"bytes_per_token\": %d, "
                        + "\"decode_efficiency\": %.4f%s}",
                Json.quote(r.model()), Json.quote(r.jdk()), Json.quote(r.species()), r.threads(), r.useKvCache(),
                Json.quote(r.cacheType().name()), r.loadMillis(),
                r.warmUpMillis(), prefill, ttft, r.coldPrefillTokensPerSecond(), r.decodeTokensPerSecond(), r.peakRssBytes(),
                r.allocBytesPerToken(), r.warmUpAllocBytesPerToken(), r.bandwidthBytesPerSecond() / 1e9, r.bytesPerToken(), r.decodeEfficiency(),
                vs == null ? "" : ", \"compare_to\": " + LlamaBenchComparison.json(vs));
    }
}
