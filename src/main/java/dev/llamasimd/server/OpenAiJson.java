package dev.llamasimd.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llamasimd.generate.Generation;
import dev.llamasimd.generate.TokenListener.Alternative;
import dev.llamasimd.generate.TokenListener.GeneratedToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The JSON the server reads and writes: a hardened parser, and OpenAI's response objects. */
final class OpenAiJson {
    /**
     * Limits on what a body may hold beyond its byte size: deep nesting, huge numbers and
     * names cost a parser time and memory out of proportion to their bytes.
     */
    private static final JsonMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(32)
                            .maxNumberLength(64)
                            .maxNameLength(256)
                            .maxTokenCount(1_000_000)
                            .build())
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private OpenAiJson() {}

    /** Parses a request body; malformed JSON is a 400 saying where. */
    static JsonNode parse(byte[] body) {
        if (body.length == 0) {
            throw ApiError.invalid(null, "invalid_json", "the request body is empty; send a JSON object");
        }
        try {
            return MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiError.invalid(null, "invalid_json", "the request body is not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")"));
        } catch (IOException e) {
            throw ApiError.invalid(null, "invalid_json", "the request body is not valid JSON text: " + e.getMessage());
        }
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a response could not be written as JSON", e);
        }
    }

    static ObjectNode error(ApiError e) {
        ObjectNode error = object();
        error.putObject("error")
                .put("message", e.getMessage())
                .put("type", e.type)
                .put("param", e.param)
                .put("code", e.code);
        return error;
    }

    /** A response or chunk: id, object, created, model, and the one choice (none: the usage chunk of a stream). */
    static ObjectNode response(Endpoint endpoint, boolean chunk, String id, long created, String model, ObjectNode choice) {
        ObjectNode o = object();
        o.put("id", id).put("object", chunk ? endpoint.chunkObject : endpoint.object).put("created", created).put("model", model);
        ArrayNode choices = o.putArray("choices");
        if (choice != null) {
            choices.add(choice);
        }
        return o;
    }

    /** One choice of a response (the whole text) or of a chunk (a piece, finishReason null until the last). */
    static ObjectNode choice(Endpoint endpoint, boolean chunk, String text, List<GeneratedToken> logprobs,
                             String finishReason) {
        ObjectNode c = object();
        c.put("index", 0);
        if (endpoint == Endpoint.COMPLETIONS) {
            c.put("text", text);
        } else {
            ObjectNode message = c.putObject(chunk ? "delta" : "message");
            if (!chunk) {
                message.put("role", "assistant");
            }
            if (text != null) {
                message.put("content", text);
            }
        }
        if (logprobs == null) {
            c.putNull("logprobs");
        } else {
            c.set("logprobs", endpoint == Endpoint.CHAT ? chatLogprobs(logprobs) : completionLogprobs(logprobs));
        }
        c.put("finish_reason", finishReason);
        return c;
    }

    /** The first chunk of a chat stream: the assistant's role and no text yet. */
    static ObjectNode roleDelta() {
        ObjectNode c = object();
        c.put("index", 0);
        c.putObject("delta").put("role", "assistant").put("content", "");
        c.putNull("logprobs");
        c.putNull("finish_reason");
        return c;
    }

    static ObjectNode usage(int promptTokens, int completionTokens) {
        ObjectNode u = object();
        u.put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
                .put("total_tokens", promptTokens + completionTokens);
        return u;
    }

    /** OpenAI's finish_reason: stop (end of generation, stop string), length (token limit, full context). */
    static String finishReason(Generation.FinishReason reason) {
        return switch (reason) {
            case END_OF_GENERATION, STOP_STRING -> "stop";
            case MAX_TOKENS, CONTEXT_FULL -> "length";
            case CANCELLED -> throw new IllegalArgumentException("a cancelled generation has no finish_reason");
        };
    }

    /** Chat: {"content":[{"token","logprob","bytes","top_logprobs":[...]}]}. */
    private static ObjectNode chatLogprobs(List<GeneratedToken> tokens) {
        ObjectNode lp = object();
        ArrayNode content = lp.putArray("content");
        for (GeneratedToken t : tokens) {
            ObjectNode entry = tokenLogprob(t.piece(), t.logprob());
            ArrayNode top = entry.putArray("top_logprobs");
            for (Alternative a : t.top()) {
                top.add(tokenLogprob(a.piece(), a.logprob()));
            }
            content.add(entry);
        }
        return lp;
    }

    private static ObjectNode tokenLogprob(String piece, float logprob) {
        ObjectNode o = object();
        o.put("token", piece).put("logprob", logprob);
        ArrayNode bytes = o.putArray("bytes");
        for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
            bytes.add(b & 0xff);
        }
        return o;
    }

    /** Completions: {"tokens","token_logprobs","top_logprobs":[{piece: logprob}],"text_offset"}. */
    private static ObjectNode completionLogprobs(List<GeneratedToken> tokens) {
        ObjectNode lp = object();
        ArrayNode pieces = lp.putArray("tokens");
        ArrayNode logprobs = lp.putArray("token_logprobs");
        ArrayNode top = lp.putArray("top_logprobs");
        ArrayNode offsets = lp.putArray("text_offset");
        int offset = 0;
        for (GeneratedToken t : tokens) {
            pieces.add(t.piece());
            logprobs.add(t.logprob());
            ObjectNode alternatives = top.addObject();
            for (Alternative a : t.top()) {
                alternatives.put(a.piece(), a.logprob());
            }
            offsets.add(offset);
            offset += t.piece().length();
        }
        return lp;
    }
}
