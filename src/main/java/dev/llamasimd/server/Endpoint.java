package dev.llamasimd.server;

/** The two generating endpoints: they differ in how a request's input and a choice are spelled. */
enum Endpoint {
    /** {@code POST /v1/completions}: a prompt is continued. */
    COMPLETIONS("cmpl-", "text_completion", "text_completion"),
    /** {@code POST /v1/chat/completions}: a conversation is answered. */
    CHAT("chatcmpl-", "chat.completion", "chat.completion.chunk");

    final String idPrefix;
    final String object;
    final String chunkObject;

    Endpoint(String idPrefix, String object, String chunkObject) {
        this.idPrefix = idPrefix;
        this.object = object;
        this.chunkObject = chunkObject;
    }
}
