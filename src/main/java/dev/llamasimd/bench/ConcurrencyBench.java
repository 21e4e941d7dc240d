package dev.llamasimd.bench;

import dev.llamasimd.generate.CacheType;
import dev.llamasimd.generate.Generation;
import dev.llamasimd.generate.GenerationParams;
import dev.llamasimd.generate.LlamaModel;
import dev.llamasimd.generate.Request;
import dev.llamasimd.generate.SamplingParams;
import dev.llamasimd.generate.Scheduler;
import dev.llamasimd.generate.TokenListener;
import dev.llamasimd.model.ModelParts;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Throughput against concurrency: {@code c} streams at once on a {@link Scheduler} of {@code c}
 * slots, each a prompt of random ids then {@code generate} greedy tokens (end of generation
 * ignored). Reported per level: aggregate decode tokens/s (tokens after each stream's first, over
 * the time from the first stream's first token to the last token), per-token latency
 * percentiles (gaps between a stream's consecutive tokens) and the median time to first token.
 */
public final class ConcurrencyBench {
    private ConcurrencyBench() {}

    /**
     * One level.
     *
     * @param streams          concurrent streams (= slots)
     * @param tokensPerSecond  aggregate decode rate, median of the runs
     * @param p50Millis        median gap between a stream's tokens
     * @param p99Millis        99th percentile of those gaps
     * @param ttftMillis       median time from submitting to a stream's first token
     */
    public record Level(int streams, double tokensPerSecond, double p50Millis, double p99Millis, double ttftMillis) {}

    public static List<Level> run(LlamaModel model, int[] levels, int prompt, int generate, int repeat,
                                  CacheType cacheType, Consumer<String> progress) throws InterruptedException {
        int max = Arrays.stream(levels).max().orElseThrow();
        progress.accept("warm-up at " + max + " streams");
        measure(model, max, prompt, Math.min(generate, 8), cacheType);
        List<Level> out = new ArrayList<>();
        for (int c : levels) {
            progress.accept(c + " stream" + (c == 1 ? "" : "s"));
            Level[] runs = new Level[repeat];
            for (int r = 0; r < repeat; r++) {
                runs[r] = measure(model, c, prompt, generate, cacheType);
            }
            Arrays.sort(runs, (a, b) -> Double.compare(a.tokensPerSecond(), b.tokensPerSecond()));
            out.add(runs[repeat / 2]);
        }
        return out;
    }

    private static Level measure(LlamaModel model, int streams, int prompt, int generate, CacheType cacheType)
            throws InterruptedException {
        int vocab = ModelParts.config(model).vocabSize();
        Random rnd = new Random(streams);
        GenerationParams params = GenerationParams.of(SamplingParams.GREEDY, generate).withStopAtEndOfGeneration(false);
        long[][] times = new long[streams][generate];
        int[] counts = new int[streams];
        Scheduler.Options options = Scheduler.Options.DEFAULTS.withSlots(streams).withContextSize(prompt + generate + 1)
                .withMaxQueued(streams).withCacheType(cacheType);
        long[] submitted = new long[streams];
        try (Scheduler scheduler = model.newScheduler(options)) {
            List<Request> requests = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                int[] ids = new int[prompt];
                for (int k = 0; k < prompt; k++) {
                    ids[k] = rnd.nextInt(vocab);
                }
                int stream = i;
                TokenListener listener = new TokenListener() {
                    @Override
                    public void onText(String text) {}

                    @Override
                    public void onToken(GeneratedToken token) {
                        times[stream][counts[stream]++] = System.nanoTime();
                    }
                };
                submitted[i] = System.nanoTime();
                requests.add(scheduler.submit(ids, params, listener));
            }
            for (Request r : requests) {
                Generation g = r.await();
                if (g.tokens().length != generate) {
                    throw new IllegalStateException("a stream ended after " + g.tokens().length + " of " + generate + " tokens");
                }
            }
        }
        long start = Long.MAX_VALUE;
        long end = 0;
        double[] ttft = new double[streams];
        double[] gaps = new double[streams * (generate - 1)];
        int n = 0;
        for (int i = 0; i < streams; i++) {
            start = Math.min(start, times[i][0]);
            end = Math.max(end, times[i][generate - 1]);
            ttft[i] = (times[i][0] - submitted[i]) / 1e6;
            for (int k = 1; k < generate; k++) {
                gaps[n++] = (times[i][k] - times[i][k - 1]) / 1e6;
            }
        }
        Arrays.sort(ttft);
        Arrays.sort(gaps, 0, n);
        double rate = end > start ? streams * (generate - 1) / ((end - start) / 1e9) : 0;
        return new Level(streams, rate, percentile(gaps, n, 0.50), percentile(gaps, n, 0.99), ttft[streams / 2]);
    }

    private static double percentile(double[] sorted, int n, double p) {
        return n == 0 ? 0 : sorted[Math.min(n - 1, (int) Math.ceil(p * n) - 1)];
    }
}
