package dev.llamasimd.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.SystemMessage;
import dev.langchain4j.service.TokenStream;
import dev.llamasimd.generate.ChatMessage;
import dev.llamasimd.generate.GenerationParams;
import dev.llamasimd.generate.LlamaModel;
import dev.llamasimd.generate.SamplingParams;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** LangChain4j's own AiServices over the shipped model, in-process: what one user alone gets from the Java API and the CLI. */
class LlamaSimdChatModelTest {
    private static final String SYSTEM = "Thou art a scribe.";
    private static final String USER = "Tell of the flood.";
    private static final int MAX_TOKENS = 24;
    private static final Path MODEL = Path.of(System.getProperty("model.path", "../../weights/tiny-kjv-Q8_0.gguf"));
    private static LlamaModel llama;

    interface Scribe {
        @SystemMessage(SYSTEM)
        String tell(String request);
    }

    interface StreamingScribe {
        @SystemMessage(SYSTEM)
        TokenStream tell(String request);
    }

    @BeforeAll
    static void load() {
        llama = LlamaModel.load(MODEL);
    }

    @AfterAll
    static void close() {
        llama.close();
    }

    private static LlamaSimdChatModel chatModel(int maxTokens) {
        return LlamaSimdChatModel.builder().model(llama).chatTemplate("chatml").temperature(0.0).maxTokens(maxTokens).build();
    }

    private static LlamaSimdStreamingChatModel streamingModel(int maxTokens) {
        return LlamaSimdStreamingChatModel.builder().model(llama).chatTemplate("chatml").temperature(0.0)
                .maxTokens(maxTokens).build();
    }

    /** The single user's greedy answer through the Java API. */
    private static String greedy(int maxTokens) throws InterruptedException {
        return llama.scheduler().submitChat(List.of(ChatMessage.system(SYSTEM), ChatMessage.user(USER)), "chatml",
                GenerationParams.of(SamplingParams.GREEDY, maxTokens), text -> {}).await().text();
    }

    @Test
    void aiServiceAnswersAsGenerateAtTemperatureZero() throws IOException, InterruptedException {
        String answer = AiServices.create(Scribe.class, (ChatModel) chatModel(MAX_TOKENS)).tell(USER);
        assertFalse(answer.isBlank());
        assertEquals(greedy(MAX_TOKENS), answer);
        Process cli = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-jar", MODEL.resolveSibling("../target/llama-simd.jar").normalize().toString(),
                "generate", "--model", MODEL.toString(), "--chat", "--system", SYSTEM, "--chat-template", "chatml",
                "--temperature", "0", "--max-tokens", Integer.toString(MAX_TOKENS), "--prompt", USER)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String printed = new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(cli.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, cli.exitValue());
        assertEquals(answer + "\n", printed, "generate --chat --temperature 0 prints what the AI service answered");
    }

    @Test
    void aiServiceStreamsTheSameAnswerInOrder() throws Exception {
        List<String> parts = new CopyOnWriteArrayList<>();
        CompletableFuture<dev.langchain4j.model.chat.response.ChatResponse> done = new CompletableFuture<>();
        AiServices.create(StreamingScribe.class, (StreamingChatModel) streamingModel(MAX_TOKENS)).tell(USER)
                .onPartialResponse(parts::add)
                .onCompleteResponse(done::complete)
                .onError(done::completeExceptionally)
                .start();
        ChatResponse response = done.get(120, TimeUnit.SECONDS);
        String want = greedy(MAX_TOKENS);
        assertTrue(parts.size() > 1, "streamed in " + parts.size() + " parts");
        assertEquals(want, String.join("", parts), "the parts, in the order they arrived");
        assertEquals(want, response.aiMessage().text());
    }

    @Test
    void responseCarriesUsageAndWhyItStopped() {
        ChatResponse r = chatModel(5).chat(ChatRequest.builder().messages(UserMessage.from(USER)).build());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(5, r.tokenUsage().outputTokenCount());
        assertTrue(r.tokenUsage().inputTokenCount() > 3, "prompt tokens " + r.tokenUsage().inputTokenCount());
        assertEquals("tiny-kjv-Q8_0.gguf", r.modelName());
    }

    @Test
    void cancellingAStreamStopsItAndFreesItsSlot() throws Exception {
        List<String> parts = new CopyOnWriteArrayList<>();
        CountDownLatch first = new CountDownLatch(1);
        CompletableFuture<Object> ended = new CompletableFuture<>();
        streamingModel(200).chat(ChatRequest.builder().messages(UserMessage.from(USER)).build(),
                new StreamingChatResponseHandler() {
                    @Override
                    public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
                        parts.add(partial.text());
                        context.streamingHandle().cancel();
                        first.countDown();
                    }

                    @Override
                    public void onCompleteResponse(ChatResponse response) {
                        ended.complete(response);
                    }

                    @Override
                    public void onError(Throwable error) {
                        ended.complete(error);
                    }
                });
        assertTrue(first.await(120, TimeUnit.SECONDS));
        // a request after it still runs to the end (its slot is free), and nothing more reached the cancelled handler
        assertEquals(greedy(MAX_TOKENS), AiServices.create(Scribe.class, (ChatModel) chatModel(MAX_TOKENS)).tell(USER));
        assertEquals(1, parts.size(), "parts after cancel: " + parts);
        assertFalse(ended.isDone(), "a cancelled stream is not completed: " + ended.getNow(null));
    }

    @Test
    void toolsAreRefusedByName() {
        ChatRequest withTool = ChatRequest.builder().messages(UserMessage.from(USER))
                .toolSpecifications(ToolSpecification.builder().name("weather").description("the weather").build())
                .build();
        UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class, () -> chatModel(8).chat(withTool));
        assertTrue(e.getMessage().contains("tool"), e.getMessage());
    }
}
