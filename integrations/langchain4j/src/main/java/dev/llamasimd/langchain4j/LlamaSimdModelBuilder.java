package dev.llamasimd.langchain4j;

import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.llamasimd.generate.Generation;
import dev.llamasimd.generate.LlamaModel;
import dev.llamasimd.generate.Request;
import dev.llamasimd.generate.TokenListener;
import java.util.Objects;

/**
 * What {@link LlamaSimdChatModel} and {@link LlamaSimdStreamingChatModel} are built from: a
 * loaded {@link LlamaModel} (its caller keeps it and closes it) and the defaults for what a
 * request leaves out.
 *
 * @param <B> the builder
 * @param <M> the model it builds
 */
public abstract class LlamaSimdModelBuilder<B extends LlamaSimdModelBuilder<B, M>, M> {
    LlamaModel model;
    String modelName;
    String chatTemplate;
    Double temperature;
    int maxTokens = 256;
    long seed = 42;

    LlamaSimdModelBuilder() {}

    /** The model to run (required); many chat models may share one, and their requests run batched. */
    public B model(LlamaModel model) {
        this.model = model;
        return self();
    }

    /** The name responses carry; the model file's name by default. */
    public B modelName(String modelName) {
        this.modelName = modelName;
        return self();
    }

    /** A named chat template (e.g. {@code "chatml"}, {@code "llama3"}) for a file without one, or to override it. */
    public B chatTemplate(String chatTemplate) {
        this.chatTemplate = chatTemplate;
        return self();
    }

    /** The sampling temperature of requests that give none (0 is greedy); the sampler's default when unset. */
    public B temperature(Double temperature) {
        this.temperature = temperature;
        return self();
    }

    /** The token limit of requests that give none: 256 unless set. */
    public B maxTokens(int maxTokens) {
        this.maxTokens = maxTokens;
        return self();
    }

    /** The random seed of sampling (the same seed and request give the same text): 42 unless set. */
    public B seed(long seed) {
        this.seed = seed;
        return self();
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /** The chat model. */
    public abstract M build();

    Settings settings() {
        LlamaModel m = Objects.requireNonNull(model, "model: a loaded LlamaModel is required (LlamaModel.load(path))");
        return new Settings(m, modelName != null ? modelName : m.path().getFileName().toString(), chatTemplate,
                new Requests.Defaults(temperature, maxTokens, seed));
    }

    /** What a built model keeps: the model, the name its responses carry, the chat template and the defaults. */
    record Settings(LlamaModel model, String modelName, String chatTemplate, Requests.Defaults defaults) {
        /** Submits a request's conversation with its parameters to the model's shared scheduler. */
        Request submit(ChatRequest request, TokenListener listener) {
            return model.scheduler().submitChat(Requests.conversation(request), chatTemplate,
                    Requests.params(request, defaults), listener);
        }

        /** A generation as the response to a request. */
        ChatResponse response(Generation g) {
            return Requests.response(g, modelName);
        }
    }
}
