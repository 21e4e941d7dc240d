package dev.llamasimd.server;

import java.util.Locale;

/** A Prometheus histogram of durations in seconds, with fixed bucket bounds. Thread-safe. */
final class Histogram {
    private final String name;
    private final String help;
    private final double[] bounds;
    private final long[] counts;
    private long count;
    private double sum;

    Histogram(String name, String help, double... bounds) {
        this.name = name;
        this.help = help;
        this.bounds = bounds.clone();
        this.counts = new long[bounds.length];
    }

    synchronized void observe(long nanos) {
        double seconds = nanos / 1e9;
        for (int i = 0; i < bounds.length; i++) {
            if (seconds <= bounds[i]) {
                counts[i]++;
                break;
            }
        }
        count++;
        sum += seconds;
    }

    /** Appends the histogram in the text exposition format (cumulative buckets, then +Inf, sum, count). */
    synchronized void render(StringBuilder out) {
        Metrics.header(out, name, "histogram", help);
        long cumulative = 0;
        for (int i = 0; i < bounds.length; i++) {
            cumulative += counts[i];
            out.append(name).append("_bucket{le=\"").append(bounds[i]).append("\"} ")
                    .append(cumulative).append('\n');
        }
        out.append(name).append("_bucket{le=\"+Inf\"} ").append(count).append('\n');
        out.append(name).append("_sum ").append(String.format(Locale.ROOT, "%.6f", sum)).append('\n');
        out.append(name).append("_count ").append(count).append('\n');
    }
}
