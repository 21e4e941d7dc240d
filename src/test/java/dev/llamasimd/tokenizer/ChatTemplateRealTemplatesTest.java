package dev.llamasimd.tokenizer;

import static dev.llamasimd.tokenizer.ChatTemplateTest.CHAT;
import static dev.llamasimd.tokenizer.ChatTemplateTest.CHAT_WITHOUT_SYSTEM;
import static dev.llamasimd.tokenizer.ChatTemplateTest.DATE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.generate.ChatMessage;
import dev.llamasimd.testing.Shared;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every real template in ../shared/tokenizers/chat-templates is either recognised, and then
 * renders the conversation of {@link ChatTemplateTest#CHAT} (with a generation prompt) as the
 * expected string below, derived by reading the template and checked against a Jinja rendering;
 * or refused with the error that names the known templates and, when it resembles one, why it is
 * not that one.
 */
class ChatTemplateRealTemplatesTest {
    private static final String DIR = "tokenizers/chat-templates";

    private static final String LLAMA3_BOS = "<|begin_of_text|>";
    private static final String DEEPSEEK_BOS = "<｜begin▁of▁sentence｜>";
    private static final String DEEPSEEK_EOS = "<｜end▁of▁sentence｜>";

    private static final String CHATML = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\nHello!<|im_end|>\n"
            + "<|im_start|>assistant\nHi there! How can I help?<|im_end|>\n"
            + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
            + "<|im_start|>assistant\n";
    private static final String CHATML_BOS = "<|startoftext|>" + CHATML;
    private static final String LLAMA3_1 = llama3WithDate("26 Jul 2024");
    private static final String LLAMA3_2 = llama3WithDate("02 Jan 2025");
    private static final String MISTRAL_V3_TEKKEN = "<s>[INST]Hello![/INST]Hi there! How can I help?</s>"
            + "[INST]You are a helpful assistant.\n\nWhat is 2+2?[/INST]";
    private static final String MISTRAL_V7_TEKKEN = "<s>[SYSTEM_PROMPT]You are a helpful assistant.[/SYSTEM_PROMPT]"
            + "[INST]Hello![/INST]Hi there! How can I help?</s>[INST]What is 2+2?[/INST]";
    private static final String PHI3 = "<|system|>\nYou are a helpful assistant.<|end|>\n"
            + "<|user|>\nHello!<|end|>\n"
            + "<|assistant|>\nHi there! How can I help?<|end|>\n"
            + "<|user|>\nWhat is 2+2?<|end|>\n"
            + "<|assistant|>\n";
    /** Gemma 2's template refuses a system message; this is Gemma 3's rendering, which the format follows. */
    private static final String GEMMA = "<bos><start_of_turn>user\nYou are a helpful assistant.\n\nHello!<end_of_turn>\n"
            + "<start_of_turn>model\nHi there! How can I help?<end_of_turn>\n"
            + "<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n"
            + "<start_of_turn>model\n";
    private static final String GRANITE = "<|start_of_role|>system<|end_of_role|>You are a helpful assistant.<|end_of_text|>\n"
            + "<|start_of_role|>user<|end_of_role|>Hello!<|end_of_text|>\n"
            + "<|start_of_role|>assistant<|end_of_role|>Hi there! How can I help?<|end_of_text|>\n"
            + "<|start_of_role|>user<|end_of_role|>What is 2+2?<|end_of_text|>\n"
            + "<|start_of_role|>assistant<|end_of_role|>";
    private static final String DEEPSEEK_R1 = DEEPSEEK_BOS + "You are a helpful assistant."
            + "<｜User｜>Hello!<｜Assistant｜>Hi there! How can I help?" + DEEPSEEK_EOS
            + "<｜User｜>What is 2+2?<｜Assistant｜><think>\n";

    private static String llama3WithDate(String date) {
        return LLAMA3_BOS + "<|start_header_id|>system<|end_header_id|>\n\n"
                + "Cutting Knowledge Date: December 2023\nToday Date: " + date + "\n\n"
                + "You are a helpful assistant.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nHi there! How can I help?<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n";
    }

    /**
     * What must happen to one template file: recognised as {@code format} and rendered as
     * {@code expected} with these BOS/EOS texts, or refused ({@code format} null) with
     * {@code resembles} ("FORMAT, but REASON") or as wholly unknown ({@code resembles} null).
     */
    record Case(String file, String format, String bos, String eos, String expected, String resembles) {
        @Override
        public String toString() {
            return file;
        }
    }

    private static Case recognised(String file, String format, String bos, String eos, String expected) {
        return new Case(file, format, bos, eos, expected, null);
    }

    private static Case refused(String file, String resembles) {
        return new Case(file, null, null, null, null, resembles);
    }

    private static Case unknown(String file) {
        return new Case(file, null, null, null, null, null);
    }

    static Stream<Case> cases() {
        return Stream.of(
                unknown("Apertus-8B-Instruct.jinja"),
                unknown("Apriel-1.6-15b-Thinker-fixed.jinja"),
                refused("Bielik-11B-v3.0-Instruct.jinja", "chatml, but it strips leading whitespace from messages"),
                unknown("ByteDance-Seed-OSS.jinja"),
                unknown("Cohere2MoE.jinja"),
                unknown("CohereForAI-c4ai-command-r-plus-tool_use.jinja"),
                unknown("CohereForAI-c4ai-command-r7b-12-2024-tool_use.jinja"),
                unknown("GLM-4.6.jinja"),
                unknown("GLM-4.7-Flash.jinja"),
                unknown("GigaChat3-10B-A1.8B.jinja"),
                unknown("GigaChat3.1-10B-A1.8B.jinja"),
                refused("HuggingFaceTB-SmolLM3-3B.jinja", "chatml, but it always adds text of its own (\"## Metadata\")"),
                unknown("Kimi-K2-Instruct.jinja"),
                unknown("Kimi-K2-Thinking.jinja"),
                unknown("Kimi-K3.jinja"),
                recognised("LFM2-8B-A1B.jinja", "chatml-bos", "<|startoftext|>", "<|im_end|>", CHATML_BOS),
                recognised("LFM2.5-8B-A1B.jinja", "chatml-bos", "<|startoftext|>", "<|im_end|>", CHATML_BOS),
                recognised("LFM2.5-Instruct.jinja", "chatml-bos", "<|startoftext|>", "<|im_end|>", CHATML_BOS),
                recognised("MiMo-VL.jinja", "chatml", "<|endoftext|>", "<|im_end|>", CHATML),
                unknown("MiniMax-M1.jinja"),
                unknown("MiniMax-M2.jinja"),
                unknown("MiniMax-M3.jinja"),
                refused("Mistral-Small-3.2-24B-Instruct-2506.jinja", "mistral-v7-tekken, but it adds the current date to the prompt"),
                refused("NVIDIA-Nemotron-3-Nano-30B-A3B-BF16.jinja", "chatml, but it marks past replies with an empty <think></think>"),
                unknown("NVIDIA-Nemotron-Nano-v2.jinja"),
                refused("NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use.jinja", "chatml, but it always adds text of its own (\"You are a function calling AI model\")"),
                refused("NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja", "chatml, but it always adds text of its own (\"You are a function calling AI model\")"),
                refused("Qwen-QwQ-32B.jinja", "chatml, but its generation prompt opens a <think> block"),
                recognised("Qwen-Qwen2.5-7B-Instruct.jinja", "chatml", "<|endoftext|>", "<|im_end|>", CHATML),
                recognised("Qwen-Qwen3-0.6B.jinja", "chatml", "<|endoftext|>", "<|im_end|>", CHATML),
                recognised("Qwen3-Coder.jinja", "chatml", "<|endoftext|>", "<|im_end|>", CHATML),
                refused("Qwen3.5-4B.jinja", "chatml, but its generation prompt opens a <think> block"),
                unknown("Reka-Edge.jinja"),
                unknown("Spark2.5.jinja"),
                refused("StepFun3.5-Flash.jinja", "chatml, but its generation prompt opens a <think> block"),
                recognised("deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja", "deepseek-r1", DEEPSEEK_BOS, DEEPSEEK_EOS, DEEPSEEK_R1),
                refused("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja", "deepseek-r1, but it switches thinking on or off with template variables"),
                refused("deepseek-ai-DeepSeek-V3.1.jinja", "deepseek-r1, but it switches thinking on or off with template variables"),
                refused("deepseek-ai-DeepSeek-V3.2.jinja", "deepseek-r1, but it switches thinking on or off with template variables"),
                refused("deepseek-ai-DeepSeek-V4-Flash-0731.jinja", "deepseek-r1, but it switches thinking on or off with template variables"),
                refused("deepseek-ai-DeepSeek-V4.jinja", "deepseek-r1, but it switches thinking on or off with template variables"),
                refused("fireworks-ai-llama-3-firefunction-v2.jinja", "llama3, but it always adds text of its own (\"functools\")"),
                recognised("google-gemma-2-2b-it.jinja", "gemma", "<bos>", "<eos>", GEMMA),
                unknown("google-gemma-4-31B-it-interleaved.jinja"),
                unknown("google-gemma-4-31B-it.jinja"),
                refused("ibm-granite-granite-3.3-2B-Instruct.jinja", "granite, but it adds the current date to the prompt"),
                recognised("ibm-granite-granite-4.0.jinja", "granite", "<|end_of_text|>", "<|end_of_text|>", GRANITE),
                recognised("ibm-granite-granite-4.1.jinja", "granite", "<|end_of_text|>", "<|end_of_text|>", GRANITE),
                unknown("inclusionai-ling-3.0-flash.jinja"),
                refused("llama-cpp-deepseek-r1.jinja", "deepseek-r1, but it ends user turns with <｜end▁of▁sentence｜>"),
                unknown("llama-cpp-rwkv-world.jinja"),
                refused("meetkai-functionary-medium-v3.1.jinja", "llama3.1, but its system header differs from Llama 3.1's"),
                refused("meetkai-functionary-medium-v3.2.jinja", "llama3, but its messages are laid out differently from Llama 3's"),
                recognised("meta-llama-Llama-3.1-8B-Instruct.jinja", "llama3.1", LLAMA3_BOS, "<|eot_id|>", LLAMA3_1),
                recognised("meta-llama-Llama-3.2-3B-Instruct.jinja", "llama3.2", LLAMA3_BOS, "<|eot_id|>", LLAMA3_2),
                recognised("meta-llama-Llama-3.3-70B-Instruct.jinja", "llama3.1", LLAMA3_BOS, "<|eot_id|>", LLAMA3_1),
                recognised("microsoft-Phi-3.5-mini-instruct.jinja", "phi3", "<s>", "<|endoftext|>", PHI3),
                recognised("mistralai-Ministral-3-14B-Reasoning-2512.jinja", "mistral-v7-tekken", "<s>", "</s>", MISTRAL_V7_TEKKEN),
                recognised("mistralai-Mistral-Nemo-Instruct-2407.jinja", "mistral-v3-tekken", "<s>", "</s>", MISTRAL_V3_TEKKEN),
                unknown("moonshotai-Kimi-K2.jinja"),
                unknown("muse-glimmer.jinja"),
                unknown("openai-gpt-oss-120b.jinja"),
                recognised("openbmb-MiniCPM5-1B.jinja", "chatml-bos", "<|startoftext|>", "<|im_end|>", CHATML_BOS),
                unknown("poolside-Laguna-S-2.1.jinja"),
                unknown("poolside-Laguna-XS-2.1.jinja"),
                unknown("poolside-Laguna-XS.2.jinja"),
                unknown("tencent-Hy3.jinja"),
                refused("unsloth-Apriel-1.5.jinja", "phi3, but it places BOS or the system message differently from Phi-3.5's"),
                recognised("unsloth-mistral-Devstral-Small-2507.jinja", "mistral-v7-tekken", "<s>", "</s>", MISTRAL_V7_TEKKEN),
                unknown("upstage-Solar-Open-100B.jinja")
        );
    }

    private static String template(String file) {
        try {
            return Files.readString(Shared.require(DIR + "/" + file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void isRecognisedAndRenderedOrRefused(Case c) {
        String source = template(c.file());
        if (c.format() != null) {
            ChatTemplate t = ChatTemplate.detect(source);
            assertEquals(c.format(), t.name());
            assertEquals(c.expected(), t.format(CHAT, true, c.bos(), c.eos(), DATE));
            return;
        }
        var e = assertThrows(IllegalArgumentException.class, () -> ChatTemplate.detect(source));
        String known = "; the known templates are: " + String.join(", ", ChatTemplate.names())
                + "; choose one with --chat-template NAME";
        String why = c.resembles() == null ? "" : " (it resembles " + c.resembles() + ")";
        assertEquals("chat template not recognised" + why + known, e.getMessage());
    }

    @Test
    void everyTemplateFileHasACase() throws IOException {
        Path dir = Shared.require(DIR);
        List<String> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jinja")).sorted().toList();
        }
        assertEquals(files, cases().map(Case::file).sorted().toList());
        assertTrue(files.size() >= 70, "found " + files.size() + " templates");
        var recognised = cases().filter(c -> c.format() != null).collect(Collectors.groupingBy(Case::format));
        assertEquals(10, recognised.size(), recognised::toString);
    }

    @Test
    void theTemplatesOwnDefaultSystemPromptIsUsedWhenTheChatHasNone() {
        String turns = "<|im_start|>user\nHello!<|im_end|>\n"
                + "<|im_start|>assistant\nHi there! How can I help?<|im_end|>\n"
                + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
                + "<|im_start|>assistant\n";
        assertEquals("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                + turns, ChatTemplate.detect(template("Qwen-Qwen2.5-7B-Instruct.jinja"))
                .format(CHAT_WITHOUT_SYSTEM, true, "", "<|im_end|>", DATE));
        assertEquals("<|im_start|>system\nYou are MiMo, an AI assistant developed by Xiaomi.<|im_end|>\n" + turns,
                ChatTemplate.detect(template("MiMo-VL.jinja")).format(CHAT_WITHOUT_SYSTEM, true, "", "", DATE));
        assertEquals(Optional.empty(), ChatTemplate.detect(template("Qwen-Qwen3-0.6B.jinja")).defaultSystemPrompt());

        assertEquals("<|start_of_role|>system<|end_of_role|>You are a helpful assistant. Please ensure responses are "
                        + "professional, accurate, and safe.<|end_of_text|>\n"
                        + "<|start_of_role|>user<|end_of_role|>Hi<|end_of_text|>\n"
                        + "<|start_of_role|>assistant<|end_of_role|>",
                ChatTemplate.detect(template("ibm-granite-granite-4.0.jinja"))
                        .format(List.of(ChatMessage.user("Hi")), true, "", "", DATE));
        assertEquals(Optional.empty(), ChatTemplate.detect(template("ibm-granite-granite-4.1.jinja")).defaultSystemPrompt());

        String devstral = ChatTemplate.detect(template("unsloth-mistral-Devstral-Small-2507.jinja"))
                .defaultSystemPrompt().orElseThrow();
        assertTrue(devstral.startsWith("You are Devstral, a helpful agentic model trained by Mistral AI and using the "
                + "OpenHands scaffold. You can interact with a computer to solve tasks.\n\n<ROLE>\n"), devstral);
        assertTrue(devstral.endsWith("propose a new plan and confirm with the user before proceeding.\n</TROUBLESHOOTING>"),
                devstral);
        ChatTemplate ministral = ChatTemplate.detect(template("mistralai-Ministral-3-14B-Reasoning-2512.jinja"));
        String reasoning = ministral.defaultSystemPrompt().orElseThrow();
        assertTrue(reasoning.startsWith("# HOW YOU SHOULD THINK AND ANSWER\n\nFirst draft your thinking process"), reasoning);
        assertTrue(reasoning.endsWith("[/THINK]Here, provide a self-contained response."), reasoning);
        assertEquals(565, reasoning.length());
        assertEquals("<s>[SYSTEM_PROMPT]" + reasoning + "[/SYSTEM_PROMPT][INST]Hi[/INST]",
                ministral.format(List.of(ChatMessage.user("Hi")), true, "<s>", "</s>", DATE));
    }

    @Test
    void gemma2WithoutASystemMessageIsExactlyItsTemplate() {
        assertEquals("<bos><start_of_turn>user\nHello!<end_of_turn>\n"
                        + "<start_of_turn>model\nHi there! How can I help?<end_of_turn>\n"
                        + "<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n",
                ChatTemplate.detect(template("google-gemma-2-2b-it.jinja"))
                        .format(CHAT_WITHOUT_SYSTEM, false, "<bos>", "<eos>", DATE));
    }
}
