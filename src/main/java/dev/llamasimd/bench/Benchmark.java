package dev.llamasimd.bench;

import dev.llamasimd.generate.CacheType;
import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.kernels.Vec;
import dev.llamasimd.model.Config;
import dev.llamasimd.model.KvCache;
import dev.llamasimd.model.Llama;
import dev.llamasimd.model.LogitsRun;
import dev.llamasimd.model.Matrix;
import dev.llamasimd.model.ModelLoader;
import dev.llamasimd.model.State;
import dev.llamasimd.model.WarmUp;
import dev.llamasimd.model.Weights;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * llama-bench-style measurements: prompt processing (prefill) and text generation (decode)
 * speed, set against the memory bandwidth this process measures itself. Decode reads every
 * weight byte once per token, so {@code tokens/s × bytes/token ÷ bandwidth} says how close to
 * the hardware limit it runs.
 */
public final class Benchmark {

    /**
     * @param promptLengths prefill lengths to time
     * @param generate      tokens to decode
     * @param repeat        timed runs per measurement (after one warm-up run); the median is reported
     * @param useKvCache    false times the uncached loop (each decode step recomputes the whole sequence)
     * @param cacheType     the KV cache's element type
     * @param warmUp        run {@link WarmUp} after loading, before the first (cold) prefill
     * @param fitPrompts    shorten prompts longer than the model's context (the command's defaults),
     *                      saying so through the progress callback; otherwise they are an error
     * @param fitGenerate   the same for the tokens to generate
     */
    public record Options(int[] promptLengths, int generate, int repeat, boolean useKvCache, CacheType cacheType,
                          boolean warmUp, boolean fitPrompts, boolean fitGenerate) {
        public Options {
            promptLengths = promptLengths.clone();
            if (promptLengths.length == 0 || Arrays.stream(promptLengths).anyMatch(n -> n < 1)) {
                throw new IllegalArgumentException("prompt lengths must be ≥ 1: " + Arrays.toString(promptLengths));
            }
            if (generate < 1 || repeat < 1) {
                throw new IllegalArgumentException("--gen and --repeat must be ≥ 1");
            }
        }
    }

    /**
     * @param prefillTokensPerSecond prompt length → median tokens/s
     * @param generate               tokens each decode run generated, from an empty context
     * @param firstTokenMillis       prompt length → median time to the first token's logits
     * @param warmUpMillis           time {@link WarmUp} took, 0 without it
     * @param coldPrefillTokensPerSecond the very first prefill of the first prompt length (unwarmed, unless warmed up)
     * @param peakRssBytes           peak resident memory before the bandwidth test (which maps 1 GiB)
     * @param allocBytesPerToken     heap allocated per decoded token over the timed decode runs; until the JIT
     *                               has compiled the decode loop this counts what its interpreted steps allocate
     * @param warmUpAllocBytesPerToken the same over the decode warm-up run before them
     * @param bytesPerToken          weight bytes a decoded token reads, plus its keys and values (in the
     *                               cache's type) at half the generated length
     */
    public record Result(String model, String jdk, String species, int threads, boolean useKvCache,
                         CacheType cacheType, int generate, long loadMillis,
                         long warmUpMillis, Map<Integer, Double> prefillTokensPerSecond, Map<Integer, Double> firstTokenMillis,
                         double coldPrefillTokensPerSecond, double decodeTokensPerSecond, long peakRssBytes,
                         double allocBytesPerToken, double warmUpAllocBytesPerToken, double bandwidthBytesPerSecond,
                         long bytesPerToken) {

        public double decodeEfficiency() {
            return decodeTokensPerSecond * bytesPerToken / bandwidthBytesPerSecond;
        }
    }

    private Benchmark() {}

    /** {@code o} within a context of {@code context} positions: shortened where it may be, else an error. */
    private static Options fitted(Options o, int context, Consumer<String> progress) {
        int longest = Arrays.stream(o.promptLengths()).max().orElseThrow();
        boolean promptsFit = longest <= context;
        boolean generateFits = o.generate() < context;
        if (promptsFit && generateFits) {
            return o;
        }
        if (!promptsFit && !o.fitPrompts() || !generateFits && !o.fitGenerate()) {
            throw new IllegalArgumentException("the model's context is " + context + " tokens: --prompt " + longest
                    + " and --gen " + o.generate() + " must be at most " + context + " and " + (context - 1));
        }
        int[] prompts = Arrays.stream(o.promptLengths()).map(p -> Math.min(p, context)).distinct().toArray();
        int generate = Math.min(o.generate(), context - 1);
        progress.accept("the model's context is " + context + " tokens: --prompt "
                + Arrays.stream(prompts).mapToObj(Integer::toString).collect(Collectors.joining(",")) + " --gen " + generate);
        return new Options(prompts, generate, o.repeat(), o.useKvCache(), o.cacheType(), o.warmUp(), false, false);
    }

    public static Result run(Path path, int threads, Options o, Consumer<String> progress) {
        try (Parallel parallel = Parallel.pool(threads)) {
            long t0 = System.nanoTime();
            try (Llama llama = ModelLoader.load(path, parallel)) {
                long loadMillis = (System.nanoTime() - t0) / 1_000_000;
                long warmUpMillis = 0;
                if (o.warmUp()) {
                    progress.accept("warm-up");
                    long w0 = System.nanoTime();
                    WarmUp.run(llama);
                    warmUpMillis = (System.nanoTime() - w0) / 1_000_000;
                }
                Config c = llama.config();
                o = fitted(o, c.contextLength(), progress);
                int longest = Arrays.stream(o.promptLengths()).max().orElseThrow();
                int capacity = Math.max(longest, 1 + o.generate());
                int[] tokens = new SplittableRandom(1).ints(capacity, 0, c.vocabSize()).toArray();
                Map<Integer, Double> prefill = new LinkedHashMap<>();
                Map<Integer, Double> ttft = new LinkedHashMap<>();
                double cold = 0;
                try (KvCache cache = llama.newCache(capacity, o.cacheType())) {
                    State state = llama.newState(Math.min(longest, 512), capacity, false);
                    for (int p : o.promptLengths()) {
                        progress.accept("prefill " + p + " tokens");
                        double[] seconds = new double[o.repeat() + 1];
                        for (int r = 0; r < seconds.length; r++) {
                            long s = System.nanoTime();
                            prefill(llama, state, cache, tokens, p);
                            seconds[r] = (System.nanoTime() - s) / 1e9;
                        }
                        if (prefill.isEmpty()) {
                            cold = p / seconds[0];
                        }
                        double median = median(Arrays.copyOfRange(seconds, 1, seconds.length));
                        prefill.put(p, p / median);
                        ttft.put(p, median * 1000);
                    }
                    progress.accept("decode " + o.generate() + " tokens");
                    double[] seconds = new double[o.repeat() + 1];
                    long[] allocated = new long[seconds.length];
                    int[] sequence = new int[o.generate() + 1];
                    for (int r = 0; r < seconds.length; r++) {
                        sequence[0] = tokens[0];
                        long bytes = allocatedBytes();
                        long s = System.nanoTime();
                        decode(llama, state, cache, sequence, o.generate(), o.useKvCache());
                        seconds[r] = (System.nanoTime() - s) / 1e9;
                        allocated[r] = allocatedBytes() - bytes;
                    }
                    double decode = o.generate() / median(Arrays.copyOfRange(seconds, 1, seconds.length));
                    long rss = peakRss();
                    progress.accept("memory bandwidth");
                    double bandwidth = Bandwidth.measure(parallel, 1L << 30, 5);
                    long perToken = bytesPerToken(llama, 1 + o.generate() / 2, o.cacheType());
                    return new Result(path.toString(), Runtime.version().toString(), Vec.F.toString(), threads,
                            o.useKvCache(), o.cacheType(), o.generate(), loadMillis, warmUpMillis, prefill, ttft, cold, decode, rss,
                            timedPerToken(allocated, o.generate()), (double) allocated[0] / o.generate(), bandwidth, perToken);
                }
            }
        }
    }

    /** Bytes per token over the timed runs of {@code tokens} each: every run but the first, the warm-up. */
    static double timedPerToken(long[] allocatedPerRun, int tokens) {
        long timed = Arrays.stream(allocatedPerRun, 1, allocatedPerRun.length).sum();
        return (double) timed / ((allocatedPerRun.length - 1) * (long) tokens);
    }

    /** The prompt's first {@code n} tokens from an empty cache, batched. */
    static void prefill(Llama llama, State state, KvCache cache, int[] tokens, int n) {
        cache.truncate(0);
        for (int pos = 0; pos < n; pos += state.maxBatch()) {
            llama.forward(state, cache, tokens, pos, Math.min(state.maxBatch(), n - pos), pos);
        }
    }

    /**
     * From the start token {@code sequence[0]}, {@code n} greedy steps written to
     * {@code sequence[1..n]}: with the cache one token each; without it the whole sequence each
     * step from an emptied cache.
     */
    static void decode(Llama llama, State state, KvCache cache, int[] sequence, int n, boolean useKvCache) {
        int vocab = llama.config().vocabSize();
        cache.truncate(0);
        for (int i = 0; i < n; i++) {
            if (useKvCache) {
                llama.forward(state, cache, sequence, i, 1, i);
            } else {
                prefill(llama, state, cache, sequence, i + 1);
            }
            sequence[i + 1] = LogitsRun.argmax(state.logits, 0, vocab);
        }
    }

    /** Weight bytes every decoded token reads, plus its keys and values at {@code context} positions of {@code cacheType}. */
    public static long bytesPerToken(Llama llama, int context, CacheType cacheType) {
        Weights w = llama.weights();
        long bytes = w.output().tensor().data().byteSize();
        for (Weights.Layer l : w.layers()) {
            for (Matrix m : l.matrices()) {
                bytes += m.tensor().data().byteSize();
            }
        }
        return bytes + KvCache.bytesFor(llama.config(), context, cacheType);
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getTotalThreadAllocatedBytes();
    }

    /** The process's peak resident set (Linux {@code VmHWM}), or -1 where unknown. */
    static long peakRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
