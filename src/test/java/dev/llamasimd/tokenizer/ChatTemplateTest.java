package dev.llamasimd.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.generate.ChatMessage;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Chat templates on the published templates of the main families, written inline so that these
 * tests run without ../shared. Each expected string was derived by reading the template and checked
 * against a Jinja rendering of it.
 */
class ChatTemplateTest {

    /** The conversation every template test formats. */
    static final List<ChatMessage> CHAT = List.of(
            ChatMessage.system("You are a helpful assistant."),
            ChatMessage.user("Hello!"),
            ChatMessage.assistant("Hi there! How can I help?"),
            ChatMessage.user("What is 2+2?"));
    static final List<ChatMessage> CHAT_WITHOUT_SYSTEM = CHAT.subList(1, CHAT.size());
    static final LocalDate DATE = LocalDate.of(2025, 1, 2);

    /** meta-llama/Llama-2-7b-chat-hf. */
    static final String LLAMA2_CHAT =
            "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
            + "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
            + "{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
            + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
            + "{% endif %}{% if loop.index0 == 0 and system_message != false %}"
            + "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
            + "{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}"
            + "{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
            + "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}"
            + "{% endif %}{% endfor %}";

    /** meta-llama/Meta-Llama-3-8B-Instruct. */
    static final String LLAMA3_INSTRUCT =
            "{% set loop_messages = messages %}{% for message in loop_messages %}"
            + "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n"
            + "\n"
            + "'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
            + "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n"
            + "\n"
            + "' }}{% endif %}";

    /** teknium/OpenHermes-2.5-Mistral-7B. */
    static final String CHATML_OPENHERMES =
            "{% for message in messages %}"
            + "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /** HuggingFaceTB/SmolLM2-135M-Instruct: ChatML with a default system prompt. */
    static final String SMOLLM2 =
            "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
            + "{{ '<|im_start|>system\\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\\n' }}"
            + "{% endif %}"
            + "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /** mistralai/Mistral-7B-Instruct-v0.2 (the later one, with a system message). */
    static final String MISTRAL_V1 =
            "{%- if messages[0]['role'] == 'system' %}\n"
            + "    {%- set system_message = messages[0]['content'] %}\n"
            + "    {%- set loop_messages = messages[1:] %}\n"
            + "{%- else %}\n"
            + "    {%- set loop_messages = messages %}\n"
            + "{%- endif %}\n"
            + "\n"
            + "{{- bos_token }}\n"
            + "{%- for message in loop_messages %}\n"
            + "    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}\n"
            + "        "
            + "{{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}\n"
            + "    {%- endif %}\n"
            + "    {%- if message['role'] == 'user' %}\n"
            + "        {%- if loop.first and system_message is defined %}\n"
            + "            {{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}\n"
            + "        {%- else %}\n"
            + "            {{- ' [INST] ' + message['content'] + ' [/INST]' }}\n"
            + "        {%- endif %}\n"
            + "    {%- elif message['role'] == 'assistant' %}\n"
            + "        {{- ' ' + message['content'] + eos_token}}\n"
            + "    {%- else %}\n"
            + "        "
            + "{{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}\n"
            + "    {%- endif %}\n"
            + "{%- endfor %}\n";

    /** mistralai/Mistral-Large-Instruct-2411. */
    static final String MISTRAL_V7 =
            "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
            + "{{ '[INST] ' + message['content'] + '[/INST]' }}{% elif message['role'] == 'system' %}"
            + "{{ '[SYSTEM_PROMPT] ' + message['content'] + '[/SYSTEM_PROMPT]' }}"
            + "{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] + eos_token }}{% else %}"
            + "{{ raise_exception('Only user, system and assistant roles are supported!') }}{% endif %}"
            + "{% endfor %}";

    /** google/gemma-3-1b-it. */
    static final String GEMMA3 =
            "{{ bos_token }}\n"
            + "{%- if messages[0]['role'] == 'system' -%}\n"
            + "    {%- if messages[0]['content'] is string -%}\n"
            + "        {%- set first_user_prefix = messages[0]['content'] + '\\n\\n' -%}\n"
            + "    {%- else -%}\n"
            + "        {%- set first_user_prefix = messages[0]['content'][0]['text'] + '\\n\\n' -%}\n"
            + "    {%- endif -%}\n"
            + "    {%- set loop_messages = messages[1:] -%}\n"
            + "{%- else -%}\n"
            + "    {%- set first_user_prefix = \"\" -%}\n"
            + "    {%- set loop_messages = messages -%}\n"
            + "{%- endif -%}\n"
            + "{%- for message in loop_messages -%}\n"
            + "    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}\n"
            + "        "
            + "{{ raise_exception(\"Conversation roles must alternate user/assistant/user/assistant/...\") }}\n"
            + "    {%- endif -%}\n"
            + "    {%- if (message['role'] == 'assistant') -%}\n"
            + "        {%- set role = \"model\" -%}\n"
            + "    {%- else -%}\n"
            + "        {%- set role = message['role'] -%}\n"
            + "    {%- endif -%}\n"
            + "    {{ '<start_of_turn>' + role + '\\n' + (first_user_prefix if loop.first else \"\") }}\n"
            + "    {%- if message['content'] is string -%}\n"
            + "        {{ message['content'] | trim }}\n"
            + "    {%- elif message['content'] is iterable -%}\n"
            + "        {%- for item in message['content'] -%}\n"
            + "            {%- if item['type'] == 'image' -%}\n"
            + "                {{ '<start_of_image>' }}\n"
            + "            {%- elif item['type'] == 'text' -%}\n"
            + "                {{ item['text'] | trim }}\n"
            + "            {%- endif -%}\n"
            + "        {%- endfor -%}\n"
            + "    {%- else -%}\n"
            + "        {{ raise_exception(\"Invalid content type\") }}\n"
            + "    {%- endif -%}\n"
            + "    {{ '<end_of_turn>\\n' }}\n"
            + "{%- endfor -%}\n"
            + "{%- if add_generation_prompt -%}\n"
            + "    {{'<start_of_turn>model\\n'}}\n"
            + "{%- endif -%}\n";

    /** microsoft/Phi-3.5-mini-instruct (its strings hold real newlines). */
    static final String PHI35 =
            "{% for message in messages %}{% if message['role'] == 'system' and message['content'] %}"
            + "{{'<|system|>\n"
            + "' + message['content'] + '<|end|>\n"
            + "'}}{% elif message['role'] == 'user' %}{{'<|user|>\n"
            + "' + message['content'] + '<|end|>\n"
            + "'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n"
            + "' + message['content'] + '<|end|>\n"
            + "'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n"
            + "' }}{% else %}{{ eos_token }}{% endif %}";

    private static String format(String template, List<ChatMessage> chat, String bos, String eos) {
        return ChatTemplate.detect(template).format(chat, true, bos, eos, DATE);
    }

    @Test
    void llama2PutsTheSystemTextInTheFirstInstAndBosBeforeEachTurn() {
        assertEquals("llama2", ChatTemplate.detect(LLAMA2_CHAT).name());
        assertEquals("<s>[INST] <<SYS>>\nYou are a helpful assistant.\n<</SYS>>\n\nHello! [/INST]"
                        + " Hi there! How can I help? </s><s>[INST] What is 2+2? [/INST]",
                format(LLAMA2_CHAT, CHAT, "<s>", "</s>"));
        assertEquals("<s>[INST] Hello! [/INST] Hi there! How can I help? </s><s>[INST] What is 2+2? [/INST]",
                format(LLAMA2_CHAT, CHAT_WITHOUT_SYSTEM, "<s>", "</s>"));
    }

    @Test
    void llama2HasNoGenerationPromptAndStripsMessages() {
        ChatTemplate t = ChatTemplate.detect(LLAMA2_CHAT);
        List<ChatMessage> padded = List.of(ChatMessage.user("  Hi \n"));
        assertEquals("<s>[INST] Hi [/INST]", t.format(padded, true, "<s>", "</s>", DATE));
        assertEquals("<s>[INST] Hi [/INST]", t.format(padded, false, "<s>", "</s>", DATE));
    }

    @Test
    void llama3StartsWithBosAndTrimsEveryMessage() {
        assertEquals("llama3", ChatTemplate.detect(LLAMA3_INSTRUCT).name());
        assertEquals("<|begin_of_text|>"
                        + "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\nHi there! How can I help?<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                format(LLAMA3_INSTRUCT, CHAT, "<|begin_of_text|>", "<|eot_id|>"));
        assertEquals("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
                ChatTemplate.detect(LLAMA3_INSTRUCT).format(
                        List.of(ChatMessage.user("\u00a0\t Hi \u2003\n")), false, "<|begin_of_text|>", "", DATE),
                "trims whitespace as Python does, no-break and em spaces included");
    }

    @Test
    void llama31And32PrintADatedSystemHeaderEvenWithoutASystemMessage() {
        String header = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                + "Cutting Knowledge Date: December 2023\nToday Date: ";
        String rest = "\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n";
        List<ChatMessage> hi = List.of(ChatMessage.user("Hi"));
        assertEquals(header + "26 Jul 2024" + rest,
                ChatTemplate.named("llama3.1").format(hi, true, "<|begin_of_text|>", "<|eot_id|>", DATE));
        assertEquals(header + "05 Sep 2026" + rest, ChatTemplate.named("llama3.2")
                .format(hi, true, "<|begin_of_text|>", "<|eot_id|>", LocalDate.of(2026, 9, 5)));
    }

    @Test
    void chatMlWritesEveryMessageAsATurn() {
        assertEquals("chatml", ChatTemplate.detect(CHATML_OPENHERMES).name());
        assertEquals(Optional.empty(), ChatTemplate.detect(CHATML_OPENHERMES).defaultSystemPrompt());
        assertEquals("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                        + "<|im_start|>user\nHello!<|im_end|>\n"
                        + "<|im_start|>assistant\nHi there! How can I help?<|im_end|>\n"
                        + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
                        + "<|im_start|>assistant\n",
                format(CHATML_OPENHERMES, CHAT, "", ""));
        assertEquals("<|im_start|>user\nHello!<|im_end|>\n",
                ChatTemplate.detect(CHATML_OPENHERMES).format(List.of(ChatMessage.user("Hello!")), false, "", "", DATE));
    }

    @Test
    void chatMlTakesTheTemplatesDefaultSystemPromptWhenTheChatHasNone() {
        ChatTemplate smollm = ChatTemplate.detect(SMOLLM2);
        assertEquals("chatml", smollm.name());
        assertEquals(Optional.of("You are a helpful AI assistant named SmolLM, trained by Hugging Face"),
                smollm.defaultSystemPrompt());
        String turns = "<|im_start|>user\nHello!<|im_end|>\n"
                + "<|im_start|>assistant\nHi there! How can I help?<|im_end|>\n"
                + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
                + "<|im_start|>assistant\n";
        assertEquals("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
                + turns, format(SMOLLM2, CHAT_WITHOUT_SYSTEM, "", ""));
        assertEquals("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n" + turns, format(SMOLLM2, CHAT, "", ""));
        List<ChatMessage> emptySystem = List.of(ChatMessage.system(""), ChatMessage.user("Hello!"));
        assertTrue(smollm.format(emptySystem, false, "", "", DATE).contains("named SmolLM"),
                "an empty system message counts as none");
        assertEquals("<|im_start|>user\nHello!<|im_end|>\n",
                ChatTemplate.named("chatml").format(emptySystem, false, "", "", DATE));
    }

    @Test
    void mistralV1JoinsTheSystemTextToTheFirstUserMessage() {
        assertEquals("mistral-v1", ChatTemplate.detect(MISTRAL_V1).name());
        assertEquals("<s> [INST] You are a helpful assistant.\n\nHello! [/INST] Hi there! How can I help?</s>"
                        + " [INST] What is 2+2? [/INST]",
                format(MISTRAL_V1, CHAT, "<s>", "</s>"));
    }

    @Test
    void mistralV3JoinsTheSystemTextToTheLastUserMessage() {
        // As Mistral-7B-Instruct-v0.3's and Mistral-Large-Instruct-2407's templates do.
        assertEquals("<s>[INST] Hello![/INST] Hi there! How can I help?</s>"
                        + "[INST] You are a helpful assistant.\n\nWhat is 2+2?[/INST]",
                ChatTemplate.named("mistral-v3").format(CHAT, true, "<s>", "</s>", DATE));
        assertEquals("<s>[INST] Hi[/INST] Hello!</s>[INST] S\n\nBye[/INST]",
                ChatTemplate.named("mistral-v3").format(List.of(ChatMessage.system("S"), ChatMessage.user("Hi"),
                        ChatMessage.assistant(" Hello! \n"), ChatMessage.user("Bye")), true, "<s>", "</s>", DATE),
                "v3 trims the assistant's replies");
    }

    @Test
    void mistralV7HasASystemPromptBlock() {
        assertEquals("mistral-v7", ChatTemplate.detect(MISTRAL_V7).name());
        assertEquals("<s>[SYSTEM_PROMPT] You are a helpful assistant.[/SYSTEM_PROMPT][INST] Hello![/INST]"
                        + " Hi there! How can I help?</s>[INST] What is 2+2?[/INST]",
                format(MISTRAL_V7, CHAT, "<s>", "</s>"));
        assertEquals("<s>[SYSTEM_PROMPT]You are a helpful assistant.[/SYSTEM_PROMPT][INST]Hello![/INST]"
                        + "Hi there! How can I help?</s>[INST]What is 2+2?[/INST]",
                ChatTemplate.named("mistral-v7-tekken").format(CHAT, true, "<s>", "</s>", DATE));
    }

    @Test
    void phi3EndsWithEosWhenNoGenerationPromptIsAskedFor() {
        ChatTemplate phi = ChatTemplate.detect(PHI35);
        assertEquals("phi3", phi.name());
        assertEquals("<|system|>\nYou are a helpful assistant.<|end|>\n"
                        + "<|user|>\nHello!<|end|>\n"
                        + "<|assistant|>\nHi there! How can I help?<|end|>\n"
                        + "<|user|>\nWhat is 2+2?<|end|>\n"
                        + "<|assistant|>\n",
                format(PHI35, CHAT, "<s>", "<|endoftext|>"));
        assertEquals("<|user|>\nHi<|end|>\n<|endoftext|>",
                phi.format(List.of(ChatMessage.user("Hi")), false, "<s>", "<|endoftext|>", DATE));
    }

    @Test
    void gemmaCallsTheAssistantModelAndPutsTheSystemTextInTheFirstTurn() {
        assertEquals("gemma", ChatTemplate.detect(GEMMA3).name());
        assertEquals("<bos><start_of_turn>user\nYou are a helpful assistant.\n\nHello!<end_of_turn>\n"
                        + "<start_of_turn>model\nHi there! How can I help?<end_of_turn>\n"
                        + "<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n"
                        + "<start_of_turn>model\n",
                format(GEMMA3, CHAT, "<bos>", "<eos>"));
    }

    @Test
    void namedKnowsEveryFormatAndListsThemWhenTheNameIsUnknown() {
        for (String name : ChatTemplate.names()) {
            assertEquals(name, ChatTemplate.named(name).name());
        }
        assertEquals(List.of("chatml", "chatml-bos", "llama2", "llama3", "llama3.1", "llama3.2", "mistral-v1",
                "mistral-v3", "mistral-v3-tekken", "mistral-v7", "mistral-v7-tekken", "phi3", "gemma", "granite",
                "deepseek-r1"), ChatTemplate.names());
        var e = assertThrows(IllegalArgumentException.class, () -> ChatTemplate.named("vicuna"));
        assertEquals("unknown chat template 'vicuna'; the known templates are: " + String.join(", ", ChatTemplate.names()),
                e.getMessage());
    }

    @Test
    void anUnknownTemplateIsRefusedWithTheKnownNames() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> ChatTemplate.detect("{% for m in messages %}### {{ m.role }}: {{ m.content }}\n{% endfor %}"));
        assertEquals("chat template not recognised; the known templates are: " + String.join(", ", ChatTemplate.names())
                + "; choose one with --chat-template NAME", e.getMessage());
    }

    @Test
    void aTemplateOfAKnownFamilyThatAddsSomethingIsRefusedWithTheReason() {
        String qwq = CHATML_OPENHERMES.replace("'<|im_start|>assistant\\n'", "'<|im_start|>assistant\\n<think>\\n'");
        var e = assertThrows(IllegalArgumentException.class, () -> ChatTemplate.detect(qwq));
        assertTrue(e.getMessage().startsWith("chat template not recognised (it resembles chatml, but its generation "
                + "prompt opens a <think> block); the known templates are: chatml, "), e.getMessage());
        assertTrue(e.getMessage().endsWith("; choose one with --chat-template NAME"), e.getMessage());
    }

    @Test
    void variantsTheFormatsDoNotReproduceAreRefusedWithTheReason() {
        // microsoft/phi-4: the assistant header follows every user message.
        assertRefused("chatml, but it separates the role with <|im_sep|> (Phi-4 style)",
                "{% for message in messages %}{% if (message['role'] == 'system') %}"
                        + "{{'<|im_start|>system<|im_sep|>' + message['content'] + '<|im_end|>'}}"
                        + "{% elif (message['role'] == 'user') %}"
                        + "{{'<|im_start|>user<|im_sep|>' + message['content'] + '<|im_end|><|im_start|>assistant<|im_sep|>'}}"
                        + "{% elif (message['role'] == 'assistant') %}{{message['content'] + '<|im_end|>'}}{% endif %}{% endfor %}");
        assertRefused("chatml, but it uses bos_token elsewhere than at the start",
                "{% for message in messages %}{{ bos_token + '<|im_start|>' + message['role'] + '\\n' + message['content']"
                        + " + '<|im_end|>\\n' }}{% endfor %}");
        // The first Mistral-7B-Instruct-v0.2 template: no system message, '[INST] ' + content + ' [/INST]'.
        assertRefused("mistral-v1, but its [INST] markers are spaced unlike any Mistral variant known here",
                "{{ bos_token }}{% for message in messages %}"
                        + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
                        + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
                        + "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
                        + "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}"
                        + "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}");
        assertRefused("llama2, but it places BOS, spaces or the system text differently",
                LLAMA2_CHAT.replace("bos_token + '[INST] '", "'[INST] '"));
        assertRefused("mistral-v7-tekken, but its default system prompt is computed, not a plain string",
                "{%- set default_system_message = 'You are ' ~ model_name %}" + MISTRAL_V7.replace("' '", "''")
                        .replace("'[SYSTEM_PROMPT] '", "'[SYSTEM_PROMPT]'").replace("'[INST] '", "'[INST]'"));
        assertRefused("llama3, but it adds the current date to the prompt",
                "{{ strftime_now('%d %b %Y') }}" + LLAMA3_INSTRUCT);
        // google/gemma-7b-it as llama.cpp's tests quote it, without bos_token.
        assertRefused("gemma, but it does not start with bos_token", GEMMA3.replace("{{ bos_token }}", ""));
        // microsoft/Phi-3-mini-4k-instruct: BOS, no system message, the assistant header after each user turn.
        assertRefused("phi3, but it places BOS or the system message differently from Phi-3.5's",
                "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') %}"
                        + "{{'<|user|>' + '\n' + message['content'] + '<|end|>' + '\n' + '<|assistant|>' + '\n'}}"
                        + "{% elif (message['role'] == 'assistant') %}{{message['content'] + '<|end|>' + '\n'}}{% endif %}{% endfor %}");
    }

    private static void assertRefused(String resembles, String template) {
        var e = assertThrows(IllegalArgumentException.class, () -> ChatTemplate.detect(template));
        assertEquals("chat template not recognised (it resembles " + resembles + "); the known templates are: "
                + String.join(", ", ChatTemplate.names()) + "; choose one with --chat-template NAME", e.getMessage());
    }

    @Test
    void literalsAreDecodedAsJinjaDoes() {
        assertEquals("a\nb'c\"A\u00e9A\\q", ChatTemplateDetection.unescape("a\\nb\\'c\\\"\\x41\\u00e9\\101\\q"));
        assertEquals("ab", ChatTemplateDetection.unescape("a\\\nb"), "backslash-newline continues the line");
    }

    @Test
    void onlyTheThreeRolesAreAccepted() {
        var e = assertThrows(IllegalArgumentException.class, () -> new ChatMessage("tool", "42"));
        assertEquals("unknown chat role 'tool': a message's role is one of system, user, assistant", e.getMessage());
        assertEquals(List.of("system", "user", "assistant"), ChatMessage.ROLES);
    }

    @Test
    void messagesOutOfOrderAreRefused() {
        ChatTemplate t = ChatTemplate.named("chatml");
        String order = "; chat messages must be an optional system message, then user and assistant messages "
                + "alternating, starting and ending with a user message";
        assertEquals("the chat has no user message" + order, assertThrows(IllegalArgumentException.class,
                () -> t.format(List.of(ChatMessage.system("S")), true, "", "", DATE)).getMessage());
        assertEquals("the last message is an assistant message" + order, assertThrows(IllegalArgumentException.class,
                () -> t.format(CHAT.subList(0, 3), true, "", "", DATE)).getMessage());
        assertEquals("message 2 has role system where role user was expected" + order,
                assertThrows(IllegalArgumentException.class, () -> t.format(
                        List.of(ChatMessage.system("S"), ChatMessage.system("T"), ChatMessage.user("U")),
                        true, "", "", DATE)).getMessage());
        assertEquals("message 2 has role user where role assistant was expected" + order,
                assertThrows(IllegalArgumentException.class, () -> t.format(
                        List.of(ChatMessage.user("U"), ChatMessage.user("V")), true, "", "", DATE)).getMessage());
    }

    @Test
    void endOfTurnIsTheMarkerOrElseEos() {
        assertEquals("<|im_end|>", ChatTemplate.named("chatml").endOfTurn("<|endoftext|>"));
        assertEquals("<|eot_id|>", ChatTemplate.named("llama3.1").endOfTurn("<|end_of_text|>"));
        assertEquals("<end_of_turn>", ChatTemplate.named("gemma").endOfTurn("<eos>"));
        assertEquals("</s>", ChatTemplate.named("mistral-v7-tekken").endOfTurn("</s>"));
        assertEquals("</s>", ChatTemplate.named("llama2").endOfTurn("</s>"));
    }
}
