package dev.llamasimd.tokenizer;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Recognises a Jinja chat template by distinctive pieces of its source, as llama.cpp's
 * {@code llm_chat_detect_template} does: first the family by its special tokens, then the
 * variant by the literals that differ between variants. A template of a known family that adds
 * something its hand-written format does not (a thinking prompt, fixed text of its own, the date)
 * is refused with the reason rather than formatted differently from what the model was trained
 * on. The rules were checked on the ~70 templates in {@code ../shared/tokenizers/chat-templates},
 * and each recognised one renders there exactly as Jinja renders it.
 */
final class ChatTemplateDetection {
    private ChatTemplateDetection() {}

    /** A generation prompt that ends by opening a reasoning block: {@code '...<think>\n' }}}. */
    private static final Pattern THINK_PROMPT = Pattern.compile("<think>\\\\n['\"]\\s*-?}}");
    /** What guards a thinking prompt that is off unless the caller sets {@code enable_thinking}. */
    private static final Pattern THINKING_OPT_IN = Pattern.compile("enable_thinking is true|if enable_thinking\\s*-?%}");
    /** How far before a thinking prompt its guard may be. */
    private static final int GUARD_REACH = 120;
    /** {@code {{ bos_token }}} as the template's first output, after any comments. */
    private static final Pattern LEADING_BOS = Pattern.compile("^(\\s*\\{#[^#]*#})*\\s*\\{\\{-?\\s*bos_token\\s*-?}}");
    /** {@code set default_system_message =} (also {@code g4_default_system_message}, Granite 4.0's). */
    private static final Pattern DEFAULT_SYSTEM_SET = Pattern.compile("set\\s+\\w*default_system_message\\s*=\\s*");
    private static final Pattern END_OF_STATEMENT = Pattern.compile("\\s*-?%}");
    private static final Pattern MISTRAL_INST_SPACED = Pattern.compile("['\"]\\[INST] ['\"]");
    private static final Pattern MISTRAL_INST_TIGHT = Pattern.compile("['\"]\\[INST]['\"]");
    private static final Pattern MISTRAL_END_TIGHT = Pattern.compile("['\"]\\[/INST]['\"]");
    /** Gemma 3's {@code first_user_prefix = messages[0]['content'] + '\n\n'}, escaped or with real newlines. */
    private static final Pattern GEMMA_SYSTEM_JOIN =
            Pattern.compile("first_user_prefix = messages\\[0]\\['content'] \\+ '(\\\\n|\n){2}'");
    /** Phrases of templates that always add text of their own (tool-use preambles, metadata). */
    private static final List<String> FIXED_TEXT = List.of("You are a function calling AI model", "## Metadata", "functools");

    static ChatTemplate detect(String src) {
        if (src.contains("<|im_start|>")) {
            return chatMl(src);
        }
        if (src.contains("[INST]")) {
            return inst(src);
        }
        if (src.contains("<|start_header_id|>") && src.contains("<|end_header_id|>")) {
            return llama3(src);
        }
        if (src.contains("<start_of_turn>")) {
            return gemma(src);
        }
        if (src.contains("<|start_of_role|>")) {
            return granite(src);
        }
        if (src.contains("<|user|>") && src.contains("<|assistant|>") && src.contains("<|end|>")) {
            return phi3(src);
        }
        if (src.contains("<｜User｜>") && src.contains("<｜Assistant｜>")) {
            return deepSeekR1(src);
        }
        throw notRecognised(null, null);
    }

    private static ChatTemplate chatMl(String src) {
        String family = "chatml";
        if (src.contains("<|im_sep|>")) {
            throw notRecognised(family, "it separates the role with <|im_sep|> (Phi-4 style)");
        }
        refuseThinkingPrompt(src, family);
        refuseFixedTextAndDate(src, family);
        if (src.contains("<think></think>")) {
            throw notRecognised(family, "it marks past replies with an empty <think></think>");
        }
        if (src.contains("content.lstrip()")) {
            throw notRecognised(family, "it strips leading whitespace from messages");
        }
        ChatTemplateFormat format = ChatTemplateFormat.CHATML;
        if (src.contains("bos_token")) {
            if (!LEADING_BOS.matcher(src).find()) {
                throw notRecognised(family, "it uses bos_token elsewhere than at the start");
            }
            format = ChatTemplateFormat.CHATML_BOS;
        }
        String chatMlDefault = chatMlDefaultSystem(src);
        return new ChatTemplate(format, chatMlDefault != null ? chatMlDefault : defaultSystem(src, family));
    }

    private static ChatTemplate inst(String src) {
        if (src.contains("[SYSTEM_PROMPT]")) {
            boolean spaced = src.contains("'[SYSTEM_PROMPT] '") || src.contains("\"[SYSTEM_PROMPT] \"");
            ChatTemplateFormat format = spaced ? ChatTemplateFormat.MISTRAL_V7 : ChatTemplateFormat.MISTRAL_V7_TEKKEN;
            refuseThinkingPrompt(src, format.id());
            refuseFixedTextAndDate(src, format.id());
            return new ChatTemplate(format, defaultSystem(src, format.id()));
        }
        if (src.contains("<<SYS>>")) {
            if (src.contains("bos_token + '[INST] ' + content.strip() + ' [/INST]'")
                    && src.contains("' '  + content.strip() + ' ' + eos_token")) {
                return new ChatTemplate(ChatTemplateFormat.LLAMA2, null);
            }
            throw notRecognised("llama2", "it places BOS, spaces or the system text differently");
        }
        refuseThinkingPrompt(src, "mistral-v1");
        refuseFixedTextAndDate(src, "mistral-v1");
        if (src.contains("' [INST] '") && src.contains("' [/INST]'")) {
            return new ChatTemplate(ChatTemplateFormat.MISTRAL_V1, defaultSystem(src, "mistral-v1"));
        }
        if (src.contains("[AVAILABLE_TOOLS]") && MISTRAL_END_TIGHT.matcher(src).find()) {
            if (MISTRAL_INST_SPACED.matcher(src).find()) {
                return new ChatTemplate(ChatTemplateFormat.MISTRAL_V3, defaultSystem(src, "mistral-v3"));
            }
            if (MISTRAL_INST_TIGHT.matcher(src).find()) {
                return new ChatTemplate(ChatTemplateFormat.MISTRAL_V3_TEKKEN, defaultSystem(src, "mistral-v3-tekken"));
            }
        }
        throw notRecognised("mistral-v1", "its [INST] markers are spaced unlike any Mistral variant known here");
    }

    private static ChatTemplate llama3(String src) {
        String family = "llama3";
        refuseThinkingPrompt(src, family);
        refuseFixedTextAndDate(src, family);
        if (src.contains("Cutting Knowledge Date")) {
            if (!src.contains("\"Today Date: \" + date_string")) {
                throw notRecognised("llama3.1", "its system header differs from Llama 3.1's");
            }
            if (src.contains("strftime_now(\"%d %b %Y\")")) {
                return new ChatTemplate(ChatTemplateFormat.LLAMA3_2, null);
            }
            if (src.contains("set date_string = \"26 Jul 2024\"")) {
                return new ChatTemplate(ChatTemplateFormat.LLAMA3_1, null);
            }
            throw notRecognised("llama3.1", "it dates the system header differently");
        }
        if (src.contains("<|eot_id|>") && src.contains("message['content'] | trim")) {
            return new ChatTemplate(ChatTemplateFormat.LLAMA3, null);
        }
        throw notRecognised(family, "its messages are laid out differently from Llama 3's");
    }

    private static ChatTemplate gemma(String src) {
        String family = "gemma";
        refuseThinkingPrompt(src, family);
        refuseFixedTextAndDate(src, family);
        if (src.contains("first_user_prefix") && !GEMMA_SYSTEM_JOIN.matcher(src).find()) {
            throw notRecognised(family, "it joins the system text to the first user message differently");
        }
        if (!LEADING_BOS.matcher(src).find()) {
            throw notRecognised(family, "it does not start with bos_token");
        }
        return new ChatTemplate(ChatTemplateFormat.GEMMA, null);
    }

    private static ChatTemplate granite(String src) {
        String family = "granite";
        refuseThinkingPrompt(src, family);
        refuseFixedTextAndDate(src, family);
        return new ChatTemplate(ChatTemplateFormat.GRANITE, defaultSystem(src, family));
    }

    private static ChatTemplate phi3(String src) {
        String family = "phi3";
        refuseThinkingPrompt(src, family);
        refuseFixedTextAndDate(src, family);
        if (src.contains("bos_token") || !src.contains("<|system|>")) {
            throw notRecognised(family, "it places BOS or the system message differently from Phi-3.5's");
        }
        return new ChatTemplate(ChatTemplateFormat.PHI3, null);
    }

    /** DeepSeek-R1's generation prompt opens {@code <think>} by design, so that is required, not refused. */
    private static ChatTemplate deepSeekR1(String src) {
        String family = "deepseek-r1";
        if (src.contains("thinking")) {
            throw notRecognised(family, "it switches thinking on or off with template variables");
        }
        refuseFixedTextAndDate(src, family);
        if (src.contains("'<｜User｜>' + message['content'] + '<｜end▁of▁sentence｜>'")) {
            throw notRecognised(family, "it ends user turns with <｜end▁of▁sentence｜>");
        }
        if (!src.contains("'<｜Assistant｜><think>\\n'")) {
            throw notRecognised(family, "its generation prompt differs from DeepSeek-R1's");
        }
        return new ChatTemplate(ChatTemplateFormat.DEEPSEEK_R1, null);
    }

    /**
     * Refuses a generation prompt that opens {@code <think>} by default; one guarded by an
     * {@code enable_thinking} the caller must set is off as Hugging Face renders it, so it stays.
     */
    private static void refuseThinkingPrompt(String src, String family) {
        Matcher think = THINK_PROMPT.matcher(src);
        while (think.find()) {
            String before = src.substring(Math.max(0, think.start() - GUARD_REACH), think.start());
            if (!THINKING_OPT_IN.matcher(before).find()) {
                throw notRecognised(family, "its generation prompt opens a <think> block");
            }
        }
    }

    private static void refuseFixedTextAndDate(String src, String family) {
        for (String phrase : FIXED_TEXT) {
            if (src.contains(phrase)) {
                throw notRecognised(family, "it always adds text of its own (\"" + phrase + "\")");
            }
        }
        if (src.contains("strftime_now") && !src.contains("Cutting Knowledge Date")) {
            throw notRecognised(family, "it adds the current date to the prompt");
        }
    }

    /**
     * The default system prompt of a ChatML template: a literal holding a whole system turn,
     * {@code '<|im_start|>system\nYou are ...<|im_end|>\n'}, as Qwen2, Qwen2.5 and SmolLM2 write
     * it; or {@code null}.
     */
    private static String chatMlDefaultSystem(String src) {
        String open = "<|im_start|>system\n";
        String close = "<|im_end|>\n";
        for (int at = src.indexOf("<|im_start|>system"); at > 0; at = src.indexOf("<|im_start|>system", at + 1)) {
            Literal literal = literalAt(src, at - 1);
            if (literal != null && literal.value().startsWith(open) && literal.value().endsWith(close)
                    && literal.value().length() > open.length() + close.length()) {
                return literal.value().substring(open.length(), literal.value().length() - close.length());
            }
        }
        return null;
    }

    /**
     * The string of {@code {%- set default_system_message = '...' %}}, or {@code null} when the
     * template sets none; a default built from more than one literal (e.g. with the date) is refused.
     */
    private static String defaultSystem(String src, String family) {
        Matcher set = DEFAULT_SYSTEM_SET.matcher(src);
        if (!set.find()) {
            return null;
        }
        Literal literal = literalAt(src, set.end());
        if (literal == null || !END_OF_STATEMENT.matcher(src).region(literal.end(), src.length()).lookingAt()) {
            throw notRecognised(family, "its default system prompt is computed, not a plain string");
        }
        return literal.value();
    }

    /** A decoded string literal and the index just after its closing quote. */
    private record Literal(String value, int end) {}

    /** The Jinja string literal whose opening quote is at {@code i}, or {@code null} if there is none. */
    private static Literal literalAt(String src, int i) {
        char quote = src.charAt(i);
        if (quote != '\'' && quote != '"') {
            return null;
        }
        for (int j = i + 1; j < src.length(); j++) {
            char c = src.charAt(j);
            if (c == '\\') {
                j++;
            } else if (c == quote) {
                return new Literal(unescape(src.substring(i + 1, j)), j + 1);
            }
        }
        return null;
    }

    /**
     * Decodes a Jinja string literal's body as Jinja does (Python's {@code unicode-escape}):
     * {@code \n \t \r \\ \' \"}, the rarer {@code \a \b \f \v}, octal, hexadecimal and Unicode
     * escapes, and backslash-newline; other escapes stay as written.
     */
    static String unescape(String body) {
        String s = body.replace("\r\n", "\n");
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\' || i + 1 == s.length()) {
                out.append(c);
                continue;
            }
            char e = s.charAt(++i);
            switch (e) {
                case '\n' -> { }
                case 'n' -> out.append('\n');
                case 't' -> out.append('\t');
                case 'r' -> out.append('\r');
                case 'a' -> out.append('\u0007');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'v' -> out.append('\u000b');
                case '\\', '\'', '"' -> out.append(e);
                case 'x', 'u', 'U' -> {
                    int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    int end = i + 1 + digits;
                    if (end <= s.length() && s.substring(i + 1, end).matches("[0-9a-fA-F]+")) {
                        out.appendCodePoint(Integer.parseInt(s.substring(i + 1, end), 16));
                        i = end - 1;
                    } else {
                        out.append('\\').append(e);
                    }
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        int end = i + 1;
                        while (end < s.length() && end < i + 3 && s.charAt(end) >= '0' && s.charAt(end) <= '7') {
                            end++;
                        }
                        out.append((char) Integer.parseInt(s.substring(i, end), 8));
                        i = end - 1;
                    } else {
                        out.append('\\').append(e);
                    }
                }
            }
        }
        return out.toString();
    }

    private static IllegalArgumentException notRecognised(String resembles, String reason) {
        String why = resembles == null ? "" : " (it resembles " + resembles + ", but " + reason + ")";
        return new IllegalArgumentException("chat template not recognised" + why
                + "; the known templates are: " + String.join(", ", ChatTemplate.names())
                + "; choose one with --chat-template NAME");
    }
}
