package dev.llamasimd.server;

import dev.llamasimd.generate.Scheduler;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;

/** What {@code GET /metrics} reports, in the Prometheus text format. Thread-safe. */
final class Metrics {
    /** The window of the tokens-per-second gauge. */
    static final int RATE_SECONDS = 10;

    /** Requests answered, by "endpoint code" (sorted, so the output is stable). */
    private final Map<String, LongAdder> requests = new ConcurrentSkipListMap<>();
    private final Map<String, LongAdder> cancelled = new ConcurrentHashMap<>();
    private final Histogram firstToken = new Histogram("llamasimd_time_to_first_token_seconds",
            "Time from a generation request's arrival to its first generated token.",
            0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30);
    private final Histogram perToken = new Histogram("llamasimd_time_per_output_token_seconds",
            "Time between consecutive generated tokens of a request.",
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1);
    /** Tokens generated in each of the last seconds: slot second % length, stamped with that second. */
    private final long[] secondTokens = new long[RATE_SECONDS + 1];
    private final long[] secondStamp = new long[RATE_SECONDS + 1];

    Metrics() {
        java.util.Arrays.fill(secondStamp, Long.MIN_VALUE);
    }

    void request(String endpoint, int status) {
        requests.computeIfAbsent(endpoint + " " + status, k -> new LongAdder()).increment();
    }

    /** A generation stopped by the server: its client went away ("disconnect") or it ran out of time ("timeout"). */
    void cancelled(String reason) {
        cancelled.computeIfAbsent(reason, k -> new LongAdder()).increment();
    }

    /** A request's token, produced at {@code nanos}; {@code previous} is its token before (0: none, then the arrival is used). */
    void token(long arrival, long previous, long nanos) {
        if (previous == 0) {
            firstToken.observe(nanos - arrival);
        } else {
            perToken.observe(nanos - previous);
        }
        long second = Math.floorDiv(nanos, 1_000_000_000L);
        synchronized (secondTokens) {
            int i = Math.floorMod(second, secondTokens.length);
            if (secondStamp[i] != second) {
                secondStamp[i] = second;
                secondTokens[i] = 0;
            }
            secondTokens[i]++;
        }
    }

    /** Tokens per second over the last {@link #RATE_SECONDS} whole seconds. */
    double tokensPerSecond(long nanos) {
        long now = Math.floorDiv(nanos, 1_000_000_000L);
        long sum = 0;
        synchronized (secondTokens) {
            for (int i = 0; i < secondTokens.length; i++) {
                if (secondStamp[i] < now && secondStamp[i] >= now - RATE_SECONDS) {
                    sum += secondTokens[i];
                }
            }
        }
        return sum / (double) RATE_SECONDS;
    }

    String render(Scheduler.Stats stats) {
        StringBuilder out = new StringBuilder();
        header(out, "llamasimd_http_requests_total", "counter", "HTTP requests answered, by endpoint and status code.");
        requests.forEach((key, n) -> {
            int space = key.lastIndexOf(' ');
            out.append("llamasimd_http_requests_total{endpoint=\"").append(key, 0, space).append("\",code=\"")
                    .append(key, space + 1, key.length()).append("\"} ").append(n.sum()).append('\n');
        });
        header(out, "llamasimd_requests_cancelled_total", "counter",
                "Generations the server cancelled: the client disconnected, or the request timed out.");
        for (String reason : new String[] {"disconnect", "timeout"}) {
            LongAdder n = cancelled.get(reason);
            out.append("llamasimd_requests_cancelled_total{reason=\"").append(reason).append("\"} ")
                    .append(n == null ? 0 : n.sum()).append('\n');
        }
        value(out, "llamasimd_prompt_tokens_total", "counter", "Prompt tokens prefilled.", stats.promptTokens());
        value(out, "llamasimd_generated_tokens_total", "counter", "Tokens generated.", stats.generatedTokens());
        value(out, "llamasimd_requests_refused_total", "counter", "Requests refused with 429: every slot busy and the queue full.",
                stats.refused());
        value(out, "llamasimd_queue_depth", "gauge", "Requests waiting for a free slot.", stats.queued());
        value(out, "llamasimd_slots_running", "gauge", "Slots generating now.", stats.running());
        value(out, "llamasimd_slots", "gauge", "Slots in all (--parallel).", stats.slots());
        header(out, "llamasimd_generated_tokens_per_second", "gauge",
                "Tokens generated per second over the last " + RATE_SECONDS + " seconds.");
        out.append("llamasimd_generated_tokens_per_second ")
                .append(String.format(Locale.ROOT, "%.3f", tokensPerSecond(System.nanoTime()))).append('\n');
        firstToken.render(out);
        perToken.render(out);
        return out.toString();
    }

    static void header(StringBuilder out, String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void value(StringBuilder out, String name, String type, String help, long v) {
        header(out, name, type, help);
        out.append(name).append(' ').append(v).append('\n');
    }
}
