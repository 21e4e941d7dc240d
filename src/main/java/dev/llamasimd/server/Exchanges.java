package dev.llamasimd.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Reading a request body within its limit, and sending JSON, text and error answers. */
final class Exchanges {
    private Exchanges() {}

    /** The body as JSON; 413 when it is longer than {@code limit} bytes (by its Content-Length, or as read). */
    static JsonNode readJson(HttpExchange exchange, int limit) throws IOException {
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        if (declared != null && parsesAbove(declared, limit)) {
            throw tooLarge(limit);
        }
        try (InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readNBytes(limit + 1);
            if (body.length > limit) {
                throw tooLarge(limit);
            }
            return OpenAiJson.parse(body);
        }
    }

    private static boolean parsesAbove(String declared, int limit) {
        try {
            return Long.parseLong(declared.trim()) > limit;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static ApiError tooLarge(int limit) {
        return ApiError.of(413, "invalid_request_error", "request_too_large",
                "the request body is larger than " + limit + " bytes (--max-body-bytes)");
    }

    static void sendJson(HttpExchange exchange, int status, JsonNode body) throws IOException {
        send(exchange, status, "application/json", OpenAiJson.bytes(body));
    }

    static void sendError(HttpExchange exchange, ApiError e) throws IOException {
        if (e.status == 429) {
            exchange.getResponseHeaders().set("Retry-After", Integer.toString(ApiError.RETRY_AFTER_SECONDS));
        }
        sendJson(exchange, e.status, OpenAiJson.error(e));
    }

    static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    static void sendText(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        send(exchange, status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }
}
