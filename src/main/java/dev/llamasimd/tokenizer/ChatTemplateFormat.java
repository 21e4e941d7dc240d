package dev.llamasimd.tokenizer;

import dev.llamasimd.generate.ChatMessage;
import java.time.LocalDate;
import java.util.List;

/**
 * The chat prompt formats {@link ChatTemplate} knows, each written out by hand from the Jinja
 * template its models publish (the comment above each one quotes the gist of the branches a plain
 * text chat takes). Every renderer gets a {@link Conversation} already checked to be: an
 * optional system text, then user and assistant turns alternating, starting and ending with the
 * user.
 */
enum ChatTemplateFormat {

    /**
     * ChatML as in Qwen2/2.5/3, SmolLM, OpenHermes: {@code '<|im_start|>' + role + '\n' + content +
     * '<|im_end|>\n'} per message, then {@code '<|im_start|>assistant\n'}.
     */
    CHATML("chatml", "<|im_end|>") {
        @Override
        void render(Conversation c, StringBuilder out) {
            chatMl(c, out);
        }
    },

    /** ChatML preceded by {@code bos_token} (LFM2, MiniCPM). */
    CHATML_BOS("chatml-bos", "<|im_end|>") {
        @Override
        void render(Conversation c, StringBuilder out) {
            out.append(c.bos());
            chatMl(c, out);
        }
    },

    /**
     * Llama 2 chat: the system text goes inside the first {@code [INST]} between {@code <<SYS>>}
     * markers; {@code bos_token + '[INST] ' + content.strip() + ' [/INST]'} for the user,
     * {@code ' ' + content.strip() + ' ' + eos_token} for the assistant; no generation prompt.
     */
    LLAMA2("llama2", null) {
        @Override
        void render(Conversation c, StringBuilder out) {
            List<ChatMessage> turns = c.turns();
            for (int i = 0; i < turns.size(); i++) {
                ChatMessage m = turns.get(i);
                String content = m.content();
                if (i == 0 && c.system() != null) {
                    content = "<<SYS>>\n" + c.system() + "\n<</SYS>>\n\n" + content;
                }
                if (isUser(m)) {
                    out.append(c.bos()).append("[INST] ").append(strip(content)).append(" [/INST]");
                } else {
                    out.append(' ').append(strip(content)).append(' ').append(c.eos());
                }
            }
        }
    },

    /**
     * Llama 3 (Meta-Llama-3-8B-Instruct): {@code '<|start_header_id|>' + role +
     * '<|end_header_id|>\n\n' + content | trim + '<|eot_id|>'} per message, the system message
     * included, {@code bos_token} before the first.
     */
    LLAMA3("llama3", "<|eot_id|>") {
        @Override
        void render(Conversation c, StringBuilder out) {
            out.append(c.bos());
            if (c.system() != null) {
                llama3Message(ChatMessage.SYSTEM, c.system(), out);
            }
            llama3Turns(c, out);
        }
    },

    /**
     * Llama 3.1 and 3.3: a system header always, {@code "Cutting Knowledge Date: December 2023\n"
     * + "Today Date: 26 Jul 2024\n\n"} before the trimmed system text (empty when there is none).
     */
    LLAMA3_1("llama3.1", "<|eot_id|>") {
        @Override
        void render(Conversation c, StringBuilder out) {
            llama3DatedSystem(c, "26 Jul 2024", out);
            llama3Turns(c, out);
        }
    },

    /**
     * Llama 3.2: as Llama 3.1, but the date is today's, {@code strftime_now("%d %b %Y")}.
     */
    LLAMA3_2("llama3.2", "<|eot_id|>") {
        @Override
        void render(Conversation c, StringBuilder out) {
            LocalDate d = c.today();
            String date = String.format("%02d %s %d", d.getDayOfMonth(), MONTHS[d.getMonthValue() - 1], d.getYear());
            llama3DatedSystem(c, date, out);
            llama3Turns(c, out);
        }
    },

    /**
     * Mistral "v1" (Mistral-7B-Instruct-v0.1/v0.2, Mixtral): {@code bos_token}, then
     * {@code ' [INST] ' + content + ' [/INST]'}, the system text joined to the first user
     * message by a blank line; {@code ' ' + content + eos_token} for the assistant.
     */
    MISTRAL_V1("mistral-v1", null) {
        @Override
        void render(Conversation c, StringBuilder out) {
            out.append(c.bos());
            List<ChatMessage> turns = c.turns();
            for (int i = 0; i < turns.size(); i++) {
                ChatMessage m = turns.get(i);
                if (isUser(m)) {
                    out.append(" [INST] ");
                    if (i == 0 && c.system() != null) {
                        out.append(c.system()).append("\n\n");
                    }
                    out.append(m.content()).append(" [/INST]");
                } else {
                    out.append(' ').append(m.content()).append(c.eos());
                }
            }
        }
    },

    /**
     * Mistral "v3" (Mistral-7B-Instruct-v0.3, Mistral-Large-2407): {@code '[INST] ' + content +
     * '[/INST]'}, the system text joined to the <em>last</em> user message by a blank line;
     * {@code ' ' + content | trim + eos_token} for the assistant.
     */
    MISTRAL_V3("mistral-v3", null) {
        @Override
        void render(Conversation c, StringBuilder out) {
            mistralV3(c, "[INST] ", out);
        }
    },

    /**
     * Mistral "v3-tekken" (Mistral-Nemo): as v3 without the spaces: {@code '[INST]' + content +
     * '[/INST]'} and {@code content + eos_token}, content untrimmed.
     */
    MISTRAL_V3_TEKKEN("mistral-v3-tekken", null) {
        @Override
        void render(Conversation c, StringBuilder out) {
            mistralV3(c, "[INST]", out);
        }
    },

    /**
     * Mistral "v7" (Mistral-Large-2411): {@code '[SYSTEM_PROMPT] ' + content + '[/SYSTEM_PROMPT]'},
     * {@code '[INST] ' + content + '[/INST]'}, {@code ' ' + content + eos_token}.
     */
    MISTRAL_V7("mistral-v7", null) {
        @Override
        void render(Conversation c, StringBuilder out) {
            mistralV7(c, " ", out);
        }
    },

    /**
     * Mistral "v7-tekken" (Mistral-Small-3.x, Devstral, Ministral-3): as v7 without the spaces.
     */
    MISTRAL_V7_TEKKEN("mistral-v7-tekken", null) {
        @Override
        void render(Conversation c, StringBuilder out) {
            mistralV7(c, "", out);
        }
    },

    /**
     * Phi-3 / Phi-3.5: {@code '<|' + role + '|>\n' + content + '<|end|>\n'} (a system message
     * only when not empty), then {@code '<|assistant|>\n'}, or {@code eos_token} when no
     * generation prompt is asked for.
     */
    PHI3("phi3", "<|end|>") {
        @Override
        void render(Conversation c, StringBuilder out) {
            if (c.system() != null) {
                out.append("<|system|>\n").append(c.system()).append("<|end|>\n");
            }
            for (ChatMessage m : c.turns()) {
                out.append("<|").append(m.role()).append("|>\n").append(m.content()).append("<|end|>\n");
            }
            out.append(c.addGenerationPrompt() ? "<|assistant|>\n" : c.eos());
        }
    },

    /**
     * Gemma 1, 2 and 3: {@code bos_token}, then {@code '<start_of_turn>' + role + '\n' +
     * content | trim + '<end_of_turn>\n'} with the assistant called {@code model}; the system text
     * and a blank line start the first user turn (Gemma 3's template; Gemma 1 and 2 refuse a
     * system message instead).
     */
    GEMMA("gemma", "<end_of_turn>") {
        @Override
        void render(Conversation c, StringBuilder out) {
            out.append(c.bos());
            List<ChatMessage> turns = c.turns();
            for (int i = 0; i < turns.size(); i++) {
                ChatMessage m = turns.get(i);
                out.append("<start_of_turn>").append(isUser(m) ? "user" : "model").append('\n');
                if (i == 0 && c.system() != null) {
                    out.append(c.system()).append("\n\n");
                }
                out.append(strip(m.content())).append("<end_of_turn>\n");
            }
            if (c.addGenerationPrompt()) {
                out.append("<start_of_turn>model\n");
            }
        }
    },

    /**
     * IBM Granite 3.0, 4.0 and 4.1: {@code '<|start_of_role|>' + role + '<|end_of_role|>' +
     * content + '<|end_of_text|>\n'}, then {@code '<|start_of_role|>assistant<|end_of_role|>'}.
     */
    GRANITE("granite", "<|end_of_text|>") {
        @Override
        void render(Conversation c, StringBuilder out) {
            if (c.system() != null) {
                graniteMessage(ChatMessage.SYSTEM, c.system(), out);
            }
            for (ChatMessage m : c.turns()) {
                graniteMessage(m.role(), m.content(), out);
            }
            if (c.addGenerationPrompt()) {
                out.append("<|start_of_role|>assistant<|end_of_role|>");
            }
        }
    },

    /**
     * DeepSeek-R1 and its distilled Llama/Qwen models: {@code bos_token + system}, then
     * {@code '<｜User｜>' + content} and {@code '<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'},
     * and a generation prompt that opens the thinking block, {@code '<｜Assistant｜><think>\n'}.
     */
    DEEPSEEK_R1("deepseek-r1", "<｜end▁of▁sentence｜>") {
        @Override
        void render(Conversation c, StringBuilder out) {
            out.append(c.bos());
            if (c.system() != null) {
                out.append(c.system());
            }
            for (ChatMessage m : c.turns()) {
                if (isUser(m)) {
                    out.append("<｜User｜>").append(m.content());
                } else {
                    out.append("<｜Assistant｜>").append(m.content()).append("<｜end▁of▁sentence｜>");
                }
            }
            if (c.addGenerationPrompt()) {
                out.append("<｜Assistant｜><think>\n");
            }
        }
    };

    /**
     * A chat ready to format: the system text (the template's default when the chat has none;
     * {@code null} when neither), the user/assistant turns, and what the template reads besides.
     */
    record Conversation(String system, List<ChatMessage> turns, boolean addGenerationPrompt, String bos, String eos,
                        LocalDate today) {
    }

    private static final String[] MONTHS =
            {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

    private final String id;
    private final String endOfTurn;

    ChatTemplateFormat(String id, String endOfTurn) {
        this.id = id;
        this.endOfTurn = endOfTurn;
    }

    /** The name users pick it by ({@code --chat-template NAME}). */
    String id() {
        return id;
    }

    /** The text that closes an assistant turn, or {@code null} when the EOS token does. */
    String endOfTurn() {
        return endOfTurn;
    }

    /** Appends the formatted conversation. */
    abstract void render(Conversation c, StringBuilder out);

    /** The format with this name, or {@code null}. */
    static ChatTemplateFormat byId(String id) {
        for (ChatTemplateFormat f : values()) {
            if (f.id.equals(id)) {
                return f;
            }
        }
        return null;
    }

    private static boolean isUser(ChatMessage m) {
        return m.role().equals(ChatMessage.USER);
    }

    private static void chatMl(Conversation c, StringBuilder out) {
        if (c.system() != null) {
            out.append("<|im_start|>system\n").append(c.system()).append("<|im_end|>\n");
        }
        for (ChatMessage m : c.turns()) {
            out.append("<|im_start|>").append(m.role()).append('\n').append(m.content()).append("<|im_end|>\n");
        }
        if (c.addGenerationPrompt()) {
            out.append("<|im_start|>assistant\n");
        }
    }

    private static void llama3Message(String role, String content, StringBuilder out) {
        out.append("<|start_header_id|>").append(role).append("<|end_header_id|>\n\n")
                .append(strip(content)).append("<|eot_id|>");
    }

    private static void llama3DatedSystem(Conversation c, String date, StringBuilder out) {
        out.append(c.bos()).append("<|start_header_id|>system<|end_header_id|>\n\n")
                .append("Cutting Knowledge Date: December 2023\n")
                .append("Today Date: ").append(date).append("\n\n")
                .append(c.system() == null ? "" : strip(c.system())).append("<|eot_id|>");
    }

    private static void llama3Turns(Conversation c, StringBuilder out) {
        for (ChatMessage m : c.turns()) {
            llama3Message(m.role(), m.content(), out);
        }
        if (c.addGenerationPrompt()) {
            out.append("<|start_header_id|>assistant<|end_header_id|>\n\n");
        }
    }

    /** v3 and v3-tekken: {@code inst} is {@code "[INST] "} or {@code "[INST]"}; the space decides the rest too. */
    private static void mistralV3(Conversation c, String inst, StringBuilder out) {
        boolean spaced = inst.endsWith(" ");
        out.append(c.bos());
        List<ChatMessage> turns = c.turns();
        for (int i = 0; i < turns.size(); i++) {
            ChatMessage m = turns.get(i);
            if (isUser(m)) {
                out.append(inst);
                if (i == turns.size() - 1 && c.system() != null) {
                    out.append(c.system()).append("\n\n");
                }
                out.append(m.content()).append("[/INST]");
            } else if (spaced) {
                out.append(' ').append(strip(m.content())).append(c.eos());
            } else {
                out.append(m.content()).append(c.eos());
            }
        }
    }

    /** v7 and v7-tekken: {@code space} follows {@code [SYSTEM_PROMPT]} and {@code [INST]} and precedes replies. */
    private static void mistralV7(Conversation c, String space, StringBuilder out) {
        out.append(c.bos());
        if (c.system() != null) {
            out.append("[SYSTEM_PROMPT]").append(space).append(c.system()).append("[/SYSTEM_PROMPT]");
        }
        for (ChatMessage m : c.turns()) {
            if (isUser(m)) {
                out.append("[INST]").append(space).append(m.content()).append("[/INST]");
            } else {
                out.append(space).append(m.content()).append(c.eos());
            }
        }
    }

    private static void graniteMessage(String role, String content, StringBuilder out) {
        out.append("<|start_of_role|>").append(role).append("<|end_of_role|>").append(content).append("<|end_of_text|>\n");
    }

    /**
     * Python's {@code str.strip()} (Jinja's {@code trim}): removes leading and trailing characters
     * that Python counts as whitespace (Unicode category Zs, or bidirectional class WS, B or S),
     * which differs from Java's {@link String#strip()} for e.g. U+00A0 and U+0085.
     */
    static String strip(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && isPythonSpace(s.charAt(start))) {
            start++;
        }
        while (end > start && isPythonSpace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(start, end);
    }

    private static boolean isPythonSpace(char ch) {
        if (Character.getType(ch) == Character.SPACE_SEPARATOR) {
            return true;
        }
        byte dir = Character.getDirectionality(ch);
        return dir == Character.DIRECTIONALITY_WHITESPACE
                || dir == Character.DIRECTIONALITY_PARAGRAPH_SEPARATOR
                || dir == Character.DIRECTIONALITY_SEGMENT_SEPARATOR;
    }
}
