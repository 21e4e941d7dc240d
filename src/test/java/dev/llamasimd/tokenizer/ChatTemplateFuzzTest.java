package dev.llamasimd.tokenizer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.llamasimd.generate.ChatMessage;
import dev.llamasimd.testing.Fuzzing;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.List;

/**
 * Coverage-guided fuzzing of chat-template detection: any Jinja source is recognised as one of the
 * known templates, which then formats a chat, or refused with the {@link IllegalArgumentException}
 * that says it is not recognised. Seeds (real templates from llama.cpp's {@code models/templates},
 * MIT, as in ../shared/tokenizers/chat-templates) and kept findings:
 * {@code src/test/resources/dev/llamasimd/tokenizer/ChatTemplateFuzzTestInputs/detect}.
 */
class ChatTemplateFuzzTest {
    private static final List<ChatMessage> CHAT = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi"),
            ChatMessage.assistant("Hello."), ChatMessage.user("Who are you?"));

    @FuzzTest
    void detect(byte[] data) {
        String source = new String(data, StandardCharsets.UTF_8);
        ChatTemplate template = Fuzzing.expect(IllegalArgumentException.class, null, data.length, () -> {
            try {
                return ChatTemplate.detect(source);
            } catch (IllegalArgumentException e) {
                if (!e.getMessage().startsWith("chat template not recognised")) {
                    throw new AssertionError("not a refusal: " + e, e);
                }
                throw e;
            }
        });
        if (template != null) {
            String prompt = template.format(CHAT, true, "<s>", "</s>", LocalDate.of(2026, 1, 2));
            assertTrue(prompt.contains("Who are you?"), prompt);
        }
    }
}
