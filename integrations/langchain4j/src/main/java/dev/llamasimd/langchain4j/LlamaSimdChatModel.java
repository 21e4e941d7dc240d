package dev.llamasimd.langchain4j;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.llamasimd.generate.Generation;
import dev.llamasimd.generate.Request;

/**
 * LangChain4j's {@link ChatModel} running llama-simd in the calling JVM: a service swaps a hosted
 * model for this one with one line. Thread-safe: concurrent requests run batched on the model's
 * shared scheduler. Text only (no tools, no JSON mode: such requests are refused by name).
 *
 * <pre>{@code
 * try (LlamaModel llama = LlamaModel.load(Path.of("model.gguf"))) {
 *     ChatModel model = LlamaSimdChatModel.builder().model(llama).temperature(0.0).build();
 *     String answer = model.chat("Who made the heaven?");
 * }
 * }</pre>
 */
public final class LlamaSimdChatModel implements ChatModel {
    private final LlamaSimdModelBuilder.Settings settings;

    private LlamaSimdChatModel(Builder b) {
        this.settings = b.settings();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Generates the answer, blocking; an interrupt cancels the generation and is rethrown as a runtime exception. */
    @Override
    public ChatResponse doChat(ChatRequest request) {
        Request r = settings.submit(request, text -> {});
        Generation g;
        try {
            g = r.await();
        } catch (InterruptedException e) {
            r.cancel();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while generating", e);
        }
        return settings.response(g);
    }

    @Override
    public ModelProvider provider() {
        return ModelProvider.OTHER;
    }

    /** Builds a {@link LlamaSimdChatModel}. */
    public static final class Builder extends LlamaSimdModelBuilder<Builder, LlamaSimdChatModel> {
        private Builder() {}

        @Override
        public LlamaSimdChatModel build() {
            return new LlamaSimdChatModel(this);
        }
    }
}
