package dev.llamasimd.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llamasimd.generate.ChatMessage;
import dev.llamasimd.generate.GenerationParams;
import dev.llamasimd.generate.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/**
 * Reads an OpenAI completions or chat request body into an {@link ApiRequest}; a field of the
 * wrong type, out of range or missing is an {@link ApiError} naming it. Fields not listed here
 * are ignored, as OpenAI clients send many optional ones.
 */
final class OpenAiRequests {
    private OpenAiRequests() {}

    static ApiRequest parse(Endpoint endpoint, JsonNode body, String modelId, int maxTokensLimit) {
        if (!body.isObject()) {
            throw ApiError.invalid(null, "invalid_type", "the request body must be a JSON object");
        }
        String model = string(body, "model");
        if (model != null && !model.equals(modelId)) {
            throw ApiError.of(404, "invalid_request_error", "model_not_found",
                    "the model '" + model + "' does not exist; this server serves '" + modelId + "'");
        }
        Long n = integer(body, "n");
        if (n != null && n != 1) {
            throw ApiError.invalid("n", "invalid_value", "only n = 1 is supported, not " + n);
        }
        boolean stream = Boolean.TRUE.equals(bool(body, "stream"));
        JsonNode streamOptions = field(body, "stream_options");
        if (streamOptions != null && !streamOptions.isObject()) {
            throw wrongType("stream_options", "an object", streamOptions);
        }
        boolean includeUsage = streamOptions != null && Boolean.TRUE.equals(bool(streamOptions, "include_usage"));
        GenerationParams params = params(endpoint, body, maxTokensLimit);
        return endpoint == Endpoint.CHAT
                ? new ApiRequest(endpoint, null, messages(body), params, stream, includeUsage)
                : new ApiRequest(endpoint, prompt(body), null, params, stream, includeUsage);
    }

    private static GenerationParams params(Endpoint endpoint, JsonNode body, int maxTokensLimit) {
        SamplingParams sampling = SamplingParams.DEFAULTS;
        Double temperature = number(body, "temperature", 0, 2);
        if (temperature != null) {
            sampling = sampling.withTemperature(temperature.floatValue());
        }
        Double topP = number(body, "top_p", 0, 1);
        if (topP != null) {
            if (topP == 0) {
                throw ApiError.invalid("top_p", "invalid_value", "top_p must be above 0 and at most 1, not 0");
            }
            sampling = sampling.withTopP(topP.floatValue());
        }
        Double frequency = number(body, "frequency_penalty", -2, 2);
        Double presence = number(body, "presence_penalty", -2, 2);
        if (frequency != null || presence != null) {
            sampling = sampling.withPenalties(sampling.repeatPenalty(), frequency == null ? 0 : frequency.floatValue(),
                    presence == null ? 0 : presence.floatValue(), sampling.penaltyWindow());
        }
        Long seed = integer(body, "seed");
        sampling = sampling.withSeed(seed != null ? seed : ThreadLocalRandom.current().nextLong());
        return GenerationParams.of(sampling, maxTokens(body, maxTokensLimit))
                .withStopStrings(stops(body))
                .withLogprobs(endpoint == Endpoint.CHAT ? chatLogprobs(body) : completionLogprobs(body));
    }

    /** {@code max_completion_tokens} (the newer name) or {@code max_tokens}; absent: the limit. */
    private static int maxTokens(JsonNode body, int limit) {
        String name = field(body, "max_completion_tokens") != null ? "max_completion_tokens" : "max_tokens";
        Long n = integer(body, name);
        if (n == null) {
            return limit;
        }
        if (n < 1 || n > limit) {
            throw ApiError.invalid(name, "invalid_value", name + " must be from 1 to " + limit
                    + " (the server's limit), not " + n);
        }
        return n.intValue();
    }

    private static List<String> stops(JsonNode body) {
        JsonNode stop = field(body, "stop");
        if (stop == null) {
            return List.of();
        }
        if (stop.isTextual()) {
            return stopString(stop, "stop");
        }
        if (!stop.isArray()) {
            throw wrongType("stop", "a string or an array of strings", stop);
        }
        List<String> stops = new ArrayList<>();
        for (int i = 0; i < stop.size(); i++) {
            JsonNode s = stop.get(i);
            if (!s.isTextual()) {
                throw wrongType("stop[" + i + "]", "a string", s);
            }
            stops.addAll(stopString(s, "stop[" + i + "]"));
        }
        return stops;
    }

    private static List<String> stopString(JsonNode s, String param) {
        if (s.textValue().isEmpty()) {
            throw ApiError.invalid(param, "invalid_value", param + " is an empty string");
        }
        return List.of(s.textValue());
    }

    /** Chat: {@code logprobs} (boolean) and {@code top_logprobs} (0 to 20, only with logprobs). */
    private static int chatLogprobs(JsonNode body) {
        boolean logprobs = Boolean.TRUE.equals(bool(body, "logprobs"));
        Long top = integer(body, "top_logprobs");
        if (top != null && !logprobs) {
            throw ApiError.invalid("top_logprobs", "invalid_value", "top_logprobs needs logprobs: true");
        }
        return logprobs ? logprobCount("top_logprobs", top == null ? 0 : top) : -1;
    }

    /** Completions: {@code logprobs} is the number of alternatives (0 to 20). */
    private static int completionLogprobs(JsonNode body) {
        Long k = integer(body, "logprobs");
        return k == null ? -1 : logprobCount("logprobs", k);
    }

    private static int logprobCount(String param, long k) {
        if (k < 0 || k > GenerationParams.MAX_LOGPROBS) {
            throw ApiError.invalid(param, "invalid_value", param + " must be from 0 to " + GenerationParams.MAX_LOGPROBS
                    + ", not " + k);
        }
        return (int) k;
    }

    private static String prompt(JsonNode body) {
        JsonNode prompt = field(body, "prompt");
        if (prompt == null) {
            throw ApiError.invalid("prompt", "missing_required_parameter", "the request has no prompt");
        }
        if (!prompt.isTextual()) {
            throw wrongType("prompt", "a string (arrays of prompts or of token ids are not supported)", prompt);
        }
        return prompt.textValue();
    }

    private static List<ChatMessage> messages(JsonNode body) {
        JsonNode messages = field(body, "messages");
        if (messages == null) {
            throw ApiError.invalid("messages", "missing_required_parameter", "the request has no messages");
        }
        if (!messages.isArray() || messages.isEmpty()) {
            throw wrongType("messages", "a non-empty array of messages", messages);
        }
        List<ChatMessage> conversation = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            conversation.add(message(messages.get(i), "messages[" + i + "]"));
        }
        return conversation;
    }

    private static ChatMessage message(JsonNode m, String param) {
        if (!m.isObject()) {
            throw wrongType(param, "an object", m);
        }
        String role = string(m, "role", param + ".role");
        if (role == null) {
            throw ApiError.invalid(param + ".role", "missing_required_parameter", param + " has no role");
        }
        if (role.equals("developer")) {
            role = ChatMessage.SYSTEM;
        }
        if (!ChatMessage.ROLES.contains(role)) {
            throw ApiError.invalid(param + ".role", "invalid_value", "the role '" + role + "' is not supported: a message's role is "
                    + String.join(", ", ChatMessage.ROLES) + " or developer");
        }
        return new ChatMessage(role, content(field(m, "content"), param + ".content"));
    }

    /** A message's content: a string, an array of text parts, or (an assistant's) null. */
    private static String content(JsonNode content, String param) {
        if (content == null) {
            return "";
        }
        if (content.isTextual()) {
            return content.textValue();
        }
        if (!content.isArray()) {
            throw wrongType(param, "a string or an array of text parts", content);
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < content.size(); i++) {
            JsonNode part = content.get(i);
            String p = param + "[" + i + "]";
            if (!part.isObject()) {
                throw wrongType(p, "an object", part);
            }
            String type = string(part, "type", p + ".type");
            if (!"text".equals(type)) {
                throw ApiError.invalid(p + ".type", "invalid_value", "only text parts are supported, not " + type);
            }
            String t = string(part, "text", p + ".text");
            if (t == null) {
                throw ApiError.invalid(p + ".text", "missing_required_parameter", p + " has no text");
            }
            text.append(t);
        }
        return text.toString();
    }

    /** The field, or null when it is absent or JSON null (OpenAI treats both as "not given"). */
    private static JsonNode field(JsonNode object, String name) {
        JsonNode v = object.get(name);
        return v == null || v.isNull() ? null : v;
    }

    private static String string(JsonNode object, String name) {
        return string(object, name, name);
    }

    private static String string(JsonNode object, String name, String param) {
        JsonNode v = typed(object, name, param, JsonNode::isTextual, "a string");
        return v == null ? null : v.textValue();
    }

    private static Boolean bool(JsonNode object, String name) {
        JsonNode v = typed(object, name, name, JsonNode::isBoolean, "a boolean");
        return v == null ? null : v.booleanValue();
    }

    private static Long integer(JsonNode object, String name) {
        JsonNode v = typed(object, name, name, n -> n.isIntegralNumber() && n.canConvertToLong(), "an integer");
        return v == null ? null : v.longValue();
    }

    /** The field (null when not given), refused unless {@code is} holds for it. */
    private static JsonNode typed(JsonNode object, String name, String param, Predicate<JsonNode> is, String expected) {
        JsonNode v = field(object, name);
        if (v != null && !is.test(v)) {
            throw wrongType(param, expected, v);
        }
        return v;
    }

    private static Double number(JsonNode object, String name, double min, double max) {
        JsonNode v = typed(object, name, name, JsonNode::isNumber, "a number");
        if (v == null) {
            return null;
        }
        double d = v.doubleValue();
        if (!(d >= min && d <= max)) {
            throw ApiError.invalid(name, "invalid_value", name + " must be from " + min + " to " + max + ", not " + v);
        }
        return d;
    }

    private static ApiError wrongType(String param, String expected, JsonNode got) {
        return ApiError.invalid(param, "invalid_type", param + " must be " + expected + ", not " + describe(got));
    }

    private static String describe(JsonNode v) {
        return switch (v.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> "the number " + v;
            case BOOLEAN -> v.toString();
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            default -> v.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
