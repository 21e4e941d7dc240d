package dev.llamasimd.langchain4j;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import dev.llamasimd.generate.Request;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * LangChain4j's {@link StreamingChatModel} running llama-simd in the calling JVM. The handler is
 * called in order on a virtual thread of its request (never on the model's scheduler thread, so
 * a slow handler does not hold up other streams). {@link StreamingHandle#cancel()} (from the
 * {@link PartialResponseContext}) stops the generation at the next step and frees its slot;
 * after it, the handler hears nothing more.
 */
public final class LlamaSimdStreamingChatModel implements StreamingChatModel {
    private final LlamaSimdModelBuilder.Settings settings;

    private LlamaSimdStreamingChatModel(Builder b) {
        this.settings = b.settings();
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        ExecutorService delivery = Executors.newSingleThreadExecutor(Thread.ofVirtual().name("llama-simd-stream").factory());
        Handle handle = new Handle();
        PartialResponseContext context = new PartialResponseContext(handle);
        try {
            Request r = settings.submit(request, text -> delivery.execute(() -> {
                        if (!handle.isCancelled()) {
                            handler.onPartialResponse(new PartialResponse(text), context);
                        }
                    }));
            handle.attach(r);
            r.result().whenComplete((g, error) -> {
                delivery.execute(() -> {
                    if (error != null) {
                        handler.onError(error instanceof CompletionException && error.getCause() != null
                                ? error.getCause() : error);
                    } else if (!handle.isCancelled()) {
                        handler.onCompleteResponse(settings.response(g));
                    }
                });
                delivery.shutdown();
            });
        } catch (RuntimeException e) {
            delivery.execute(() -> handler.onError(e));
            delivery.shutdown();
        }
    }

    @Override
    public ModelProvider provider() {
        return ModelProvider.OTHER;
    }

    /** Cancels a request, also one that is still being submitted. */
    private static final class Handle implements StreamingHandle {
        private volatile Request request;
        private volatile boolean cancelled;

        /** The submitted request: cancelled at once if the handle was cancelled while it was being submitted. */
        void attach(Request r) {
            request = r;
            if (cancelled) {
                r.cancel();
            }
        }

        @Override
        public void cancel() {
            cancelled = true;
            Request r = request;
            if (r != null) {
                r.cancel();
            }
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }
    }

    /** Builds a {@link LlamaSimdStreamingChatModel}. */
    public static final class Builder extends LlamaSimdModelBuilder<Builder, LlamaSimdStreamingChatModel> {
        private Builder() {}

        @Override
        public LlamaSimdStreamingChatModel build() {
            return new LlamaSimdStreamingChatModel(this);
        }
    }
}
