package dev.llamasimd.bench;

import dev.llamasimd.generate.CacheType;
import dev.llamasimd.model.KvCache;
import dev.llamasimd.model.Llama;
import dev.llamasimd.model.State;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The KV-cache explainer's picture, measured: the time to produce one more token at a given
 * context length, with the cache (one token through the model, attending to the cached keys)
 * and without (the whole sequence through the model again).
 */
public final class ContextSweep {

    /** Milliseconds per generated token at one context length. */
    public record Point(int context, double cachedMillis, double uncachedMillis) {}

    private ContextSweep() {}

    /** Context lengths 8, 16, 32, ... up to {@code max}, and {@code max} itself. */
    public static List<Integer> lengths(int max) {
        List<Integer> out = new ArrayList<>();
        for (int c = 8; c < max; c *= 2) {
            out.add(c);
        }
        out.add(max);
        return out;
    }

    public static List<Point> run(Llama llama, List<Integer> contexts, int repeat, CacheType cacheType) {
        int max = contexts.stream().mapToInt(Integer::intValue).max().orElseThrow();
        int[] tokens = new SplittableRandom(2).ints(max, 0, llama.config().vocabSize()).toArray();
        List<Point> points = new ArrayList<>();
        try (KvCache cache = llama.newCache(max, cacheType)) {
            State state = llama.newState(Math.min(max, 512), max, false);
            // warm-up: let the JIT compile both paths before anything is timed
            Benchmark.prefill(llama, state, cache, tokens, max - 1);
            llama.forward(state, cache, tokens, max - 1, 1, max - 1);
            for (int c : contexts) {
                Benchmark.prefill(llama, state, cache, tokens, c - 1);
                double[] cached = new double[repeat];
                for (int r = 0; r < repeat; r++) {
                    cache.truncate(c - 1);
                    long t = System.nanoTime();
                    llama.forward(state, cache, tokens, c - 1, 1, c - 1);
                    cached[r] = (System.nanoTime() - t) / 1e6;
                }
                double[] uncached = new double[repeat];
                for (int r = 0; r < repeat; r++) {
                    long t = System.nanoTime();
                    Benchmark.prefill(llama, state, cache, tokens, c);
                    uncached[r] = (System.nanoTime() - t) / 1e6;
                }
                points.add(new Point(c, Benchmark.median(cached), Benchmark.median(uncached)));
            }
        }
        return points;
    }

    public static String csv(List<Point> points) {
        StringBuilder b = new StringBuilder("context,cached_ms_per_token,uncached_ms_per_token\n");
        for (Point p : points) {
            b.append(String.format(Locale.ROOT, "%d,%.4f,%.4f%n", p.context(), p.cachedMillis(), p.uncachedMillis()));
        }
        return b.toString();
    }

    /** A line chart of both series against context length, as a standalone SVG document. */
    public static String svg(List<Point> points, String title) {
        int w = 720;
        int h = 420;
        int left = 70;
        int right = 20;
        int top = 40;
        int bottom = 50;
        double maxX = points.stream().mapToInt(Point::context).max().orElse(1);
        double maxY = points.stream().mapToDouble(p -> Math.max(p.cachedMillis(), p.uncachedMillis())).max().orElse(1);
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">%n",
                w, h));
        b.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", w, h));
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"14\">%s</text>%n", left, escape(title)));
        int x0 = left;
        int y0 = h - bottom;
        int x1 = w - right;
        b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", x0, y0, x1, y0));
        b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", x0, y0, x0, top));
        for (int i = 0; i <= 4; i++) {
            double v = maxY * i / 4;
            double y = y0 - (y0 - top) * i / 4.0;
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>%n", x0 - 6, y + 4, v));
            double xv = maxX * i / 4;
            double x = x0 + (x1 - x0) * i / 4.0;
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.0f</text>%n", x, y0 + 18, xv));
        }
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">context length (tokens)</text>%n",
                (x0 + x1) / 2, h - 10));
        b.append(String.format(Locale.ROOT,
                "<text x=\"16\" y=\"%d\" transform=\"rotate(-90 16 %d)\" text-anchor=\"middle\">ms per generated token</text>%n",
                (top + y0) / 2, (top + y0) / 2));
        series(b, points, true, "#1f77b4", maxX, maxY, x0, x1, y0, top);
        series(b, points, false, "#d62728", maxX, maxY, x0, x1, y0, top);
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#1f77b4\">with KV cache</text>%n", x0 + 10, top + 14));
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#d62728\">without KV cache</text>%n", x0 + 10, top + 30));
        return b.append("</svg>\n").toString();
    }

    private static void series(StringBuilder b, List<Point> points, boolean cached, String color, double maxX,
                               double maxY, int x0, int x1, int y0, int top) {
        StringBuilder path = new StringBuilder();
        for (Point p : points) {
            double v = cached ? p.cachedMillis() : p.uncachedMillis();
            double x = x0 + (x1 - x0) * p.context() / maxX;
            double y = y0 - (y0 - top) * v / maxY;
            path.append(path.isEmpty() ? "" : " ").append(String.format(Locale.ROOT, "%.1f,%.1f", x, y));
        }
        b.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>%n",
                color, path));
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
