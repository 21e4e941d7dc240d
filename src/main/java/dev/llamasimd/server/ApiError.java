package dev.llamasimd.server;

/**
 * A request the server answers with an OpenAI error object
 * {@code {"error":{"message","type","param","code"}}} and an HTTP status.
 */
final class ApiError extends RuntimeException {
    final int status;
    final String type;
    final String param;
    final String code;

    /** Seconds a client told to come back (429) waits: a slot frees as soon as any generation ends. */
    static final int RETRY_AFTER_SECONDS = 1;

    private ApiError(int status, String type, String param, String code, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400: the request is wrong; {@code param} names the field (or is null), {@code code} the kind of mistake. */
    static ApiError invalid(String param, String code, String message) {
        return new ApiError(400, "invalid_request_error", param, code, message);
    }

    /** 429: every slot is busy and the queue is full; answered with {@code Retry-After}. */
    static ApiError busy(String message) {
        return new ApiError(429, "server_busy", null, "server_busy", message);
    }

    /** 503: the server is closing; requests still running or arriving end with this. */
    static ApiError shuttingDown() {
        return new ApiError(503, "server_error", null, "server_shutting_down", "the server is shutting down");
    }

    static ApiError of(int status, String type, String code, String message) {
        return new ApiError(status, type, null, code, message);
    }
}
