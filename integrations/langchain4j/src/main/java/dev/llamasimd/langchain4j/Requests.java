package dev.llamasimd.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import dev.llamasimd.generate.ChatMessage;
import dev.llamasimd.generate.Generation;
import dev.llamasimd.generate.GenerationParams;
import dev.llamasimd.generate.SamplingParams;
import java.util.ArrayList;
import java.util.List;

/** LangChain4j requests to llama-simd's conversations and parameters, and its generations back. */
final class Requests {
    private Requests() {}

    /** The conversation of a request: system, user and assistant text; anything else is refused by name. */
    static List<ChatMessage> conversation(ChatRequest request) {
        if (request.toolSpecifications() != null && !request.toolSpecifications().isEmpty()) {
            throw new UnsupportedFeatureException("llama-simd does not call tools: the request names "
                    + request.toolSpecifications().size() + " tool specification(s)");
        }
        if (request.responseFormat() != null && request.responseFormat().type() == ResponseFormatType.JSON) {
            throw new UnsupportedFeatureException("llama-simd does not constrain its output to JSON");
        }
        List<ChatMessage> conversation = new ArrayList<>();
        for (dev.langchain4j.data.message.ChatMessage m : request.messages()) {
            switch (m) {
                case SystemMessage s -> conversation.add(ChatMessage.system(s.text()));
                case UserMessage u -> {
                    if (!u.hasSingleText()) {
                        throw new UnsupportedFeatureException("llama-simd reads text only: a user message has "
                                + u.contents().size() + " contents, not one text");
                    }
                    conversation.add(ChatMessage.user(u.singleText()));
                }
                case AiMessage a -> {
                    if (a.hasToolExecutionRequests()) {
                        throw new UnsupportedFeatureException("llama-simd does not call tools: an AI message requests one");
                    }
                    conversation.add(ChatMessage.assistant(a.text() == null ? "" : a.text()));
                }
                default -> throw new UnsupportedFeatureException("llama-simd takes system, user and AI messages, not "
                        + m.type());
            }
        }
        return conversation;
    }

    /** The generation parameters of a request; what it leaves out comes from the model's defaults. */
    static GenerationParams params(ChatRequest request, Defaults defaults) {
        SamplingParams sampling = SamplingParams.DEFAULTS.withSeed(defaults.seed());
        Double temperature = request.temperature() != null ? request.temperature() : defaults.temperature();
        if (temperature != null) {
            sampling = sampling.withTemperature(temperature.floatValue());
        }
        if (request.topP() != null) {
            sampling = sampling.withTopP(request.topP().floatValue());
        }
        if (request.topK() != null) {
            sampling = sampling.withTopK(request.topK());
        }
        if (request.frequencyPenalty() != null || request.presencePenalty() != null) {
            sampling = sampling.withPenalties(sampling.repeatPenalty(),
                    request.frequencyPenalty() == null ? 0f : request.frequencyPenalty().floatValue(),
                    request.presencePenalty() == null ? 0f : request.presencePenalty().floatValue(),
                    sampling.penaltyWindow());
        }
        int maxTokens = request.maxOutputTokens() != null ? request.maxOutputTokens() : defaults.maxTokens();
        GenerationParams params = GenerationParams.of(sampling, maxTokens);
        if (request.stopSequences() != null && !request.stopSequences().isEmpty()) {
            params = params.withStopStrings(request.stopSequences());
        }
        return params;
    }

    /** A generation as LangChain4j's response. */
    static ChatResponse response(Generation g, String modelName) {
        return ChatResponse.builder()
                .aiMessage(AiMessage.from(g.text()))
                .modelName(modelName)
                .tokenUsage(new TokenUsage(g.promptTokens(), g.tokens().length))
                .finishReason(finishReason(g.finishReason()))
                .build();
    }

    private static FinishReason finishReason(Generation.FinishReason reason) {
        return switch (reason) {
            case END_OF_GENERATION, STOP_STRING -> FinishReason.STOP;
            case MAX_TOKENS, CONTEXT_FULL -> FinishReason.LENGTH;
            case CANCELLED -> FinishReason.OTHER;
        };
    }

    /** What a request leaves out: temperature (null: the sampler's default), token limit and seed. */
    record Defaults(Double temperature, int maxTokens, long seed) {
        Defaults {
            if (maxTokens < 1) {
                throw new IllegalArgumentException("maxTokens must be at least 1, not " + maxTokens);
            }
        }
    }
}
