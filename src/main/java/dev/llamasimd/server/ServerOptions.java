package dev.llamasimd.server;

import dev.llamasimd.generate.Scheduler;
import java.time.Duration;

/**
 * How an {@link OpenAiServer} listens and what it accepts.
 *
 * @param host            the address to bind (loopback by default: expose it on purpose)
 * @param port            the TCP port; 0 picks a free one
 * @param apiKey          when not null, every request but {@code /health} needs {@code Authorization: Bearer KEY}
 * @param maxBodyBytes    a larger request body is refused (413)
 * @param maxTokens       the most tokens a request may ask for, and what it gets when it does not ask
 * @param requestTimeout  a request running longer in all is cancelled
 * @param chatTemplate    the chat template's name, or null for the model file's
 * @param scheduler       slots, context, queue and prefill chunk of the scheduler the server runs
 */
public record ServerOptions(String host, int port, String apiKey, int maxBodyBytes, int maxTokens,
                            Duration requestTimeout, String chatTemplate, Scheduler.Options scheduler) {

    public static final ServerOptions DEFAULTS = new ServerOptions("127.0.0.1", 8080, null, 1 << 20, 4096,
            Duration.ofMinutes(10), null, Scheduler.Options.DEFAULTS);

    public ServerOptions {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("the host to bind is empty");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("the port must be 0 (any free one) to 65535, not " + port);
        }
        if (apiKey != null && apiKey.isBlank()) {
            throw new IllegalArgumentException("the API key is empty");
        }
        if (maxBodyBytes < 1) {
            throw new IllegalArgumentException("the request body limit must be at least 1 byte, not " + maxBodyBytes);
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("the max tokens limit must be at least 1, not " + maxTokens);
        }
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("the request timeout must be positive, not "
                    + requestTimeout.toMillis() + " ms");
        }
    }

    public ServerOptions withHost(String h) {
        return new ServerOptions(h, port, apiKey, maxBodyBytes, maxTokens, requestTimeout, chatTemplate, scheduler);
    }

    public ServerOptions withPort(int p) {
        return new ServerOptions(host, p, apiKey, maxBodyBytes, maxTokens, requestTimeout, chatTemplate, scheduler);
    }

    public ServerOptions withApiKey(String key) {
        return new ServerOptions(host, port, key, maxBodyBytes, maxTokens, requestTimeout, chatTemplate, scheduler);
    }

    public ServerOptions withMaxBodyBytes(int n) {
        return new ServerOptions(host, port, apiKey, n, maxTokens, requestTimeout, chatTemplate, scheduler);
    }

    public ServerOptions withMaxTokens(int n) {
        return new ServerOptions(host, port, apiKey, maxBodyBytes, n, requestTimeout, chatTemplate, scheduler);
    }

    public ServerOptions withRequestTimeout(Duration t) {
        return new ServerOptions(host, port, apiKey, maxBodyBytes, maxTokens, t, chatTemplate, scheduler);
    }

    public ServerOptions withChatTemplate(String name) {
        return new ServerOptions(host, port, apiKey, maxBodyBytes, maxTokens, requestTimeout, name, scheduler);
    }

    public ServerOptions withScheduler(Scheduler.Options s) {
        return new ServerOptions(host, port, apiKey, maxBodyBytes, maxTokens, requestTimeout, chatTemplate, s);
    }
}
