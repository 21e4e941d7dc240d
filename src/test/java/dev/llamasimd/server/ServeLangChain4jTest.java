package dev.llamasimd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.http.client.jdk.JdkHttpClientBuilder;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.llamasimd.generate.ChatMessage;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** An independent OpenAI client (LangChain4j's) against the server: it gets what one user alone gets. */
class ServeLangChain4jTest {
    private static final int MAX_TOKENS = 24;
    private static TestServer t;

    @BeforeAll
    static void start() {
        t = new TestServer();
    }

    @AfterAll
    static void stop() {
        t.close();
    }

    private static List<ChatMessage> conversation() {
        return List.of(ChatMessage.system("Thou art a scribe."), ChatMessage.user("Tell of the flood."));
    }

    private static List<dev.langchain4j.data.message.ChatMessage> asLangChain4j() {
        return List.of(SystemMessage.from("Thou art a scribe."), UserMessage.from("Tell of the flood."));
    }

    @Test
    void chatModelAnswersAsTheSingleUserGreedyChat() {
        OpenAiChatModel model = OpenAiChatModel.builder()
                .httpClientBuilder(new JdkHttpClientBuilder())
                .baseUrl(t.base() + "/v1")
                .apiKey("any")
                .modelName(t.server.modelId())
                .temperature(0.0)
                .maxTokens(MAX_TOKENS)
                .timeout(Duration.ofSeconds(60))
                .build();
        ChatResponse response = model.chat(asLangChain4j());
        String want = t.greedyChat(conversation(), MAX_TOKENS);
        assertFalse(want.isBlank());
        assertEquals(want, response.aiMessage().text());
        assertTrue(response.tokenUsage().outputTokenCount() > 0);
    }

    /** The README's example as it stands there (the HTTP client found on the class path). */
    @Test
    void theReadmeExampleWorks() {
        OpenAiChatModel chat = OpenAiChatModel.builder()
                .baseUrl(t.base() + "/v1")
                .apiKey("KEY")
                .modelName("tiny-kjv-Q8_0.gguf")
                .temperature(0.0)
                .maxTokens(64)
                .build();
        String answer = chat.chat("Who made the light?");
        assertEquals(t.greedyChat(List.of(ChatMessage.user("Who made the light?")), 64), answer);
    }

    @Test
    void streamingChatModelAnswersAsTheSingleUserGreedyChat() throws Exception {
        OpenAiStreamingChatModel model = OpenAiStreamingChatModel.builder()
                .httpClientBuilder(new JdkHttpClientBuilder())
                .baseUrl(t.base() + "/v1")
                .apiKey("any")
                .modelName(t.server.modelId())
                .temperature(0.0)
                .maxTokens(MAX_TOKENS)
                .timeout(Duration.ofSeconds(60))
                .build();
        StringBuilder partial = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat(asLangChain4j(), new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String text) {
                partial.append(text);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse response = done.get(60, TimeUnit.SECONDS);
        String want = t.greedyChat(conversation(), MAX_TOKENS);
        assertEquals(want, partial.toString());
        assertEquals(want, response.aiMessage().text());
        assertTrue(response.tokenUsage() != null && response.tokenUsage().outputTokenCount() > 0, "usage from the last chunk");
    }
}
