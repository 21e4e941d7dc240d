package dev.llamasimd.tokenizer;

import dev.llamasimd.generate.ChatMessage;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A chat prompt format: turns a list of {@link ChatMessage}s into the prompt text a chat model was
 * trained on, exactly as its Jinja chat template renders it (as Hugging Face
 * {@code apply_chat_template} does), special tokens included as text. The caller encodes the
 * result with {@code parseSpecial} and without adding special tokens ({@code addSpecial} false), as
 * Hugging Face does: the text already holds BOS exactly where the template puts it, or not at all.
 *
 * <p>There is no Jinja interpreter here. As llama.cpp does, {@link #detect} recognises a
 * template by distinctive pieces of its source and picks one of the formats written out by hand
 * ({@link #names()}); {@link #named} picks one by name ({@code --chat-template NAME}). A detected
 * template may also carry the default system prompt it inserts when a chat has none, read from the
 * template's source.
 *
 * <p>What {@link #format} renders exactly: an optional system message first, then user and
 * assistant messages alternating, starting and ending with the user, plain text content (no
 * {@code <think>} reasoning kept in earlier replies: the caller keeps only the answer, as these
 * templates do for past turns). An empty system message counts as none (templates disagree on
 * it). Gemma 1 and 2 templates refuse a system message; the {@code gemma} format puts it at the
 * start of the first user turn as Gemma 3's does. Tools, images and documents are not supported.
 *
 * <p>Immutable and thread-safe.
 */
public final class ChatTemplate {
    private final ChatTemplateFormat format;
    private final String defaultSystemPrompt;

    ChatTemplate(ChatTemplateFormat format, String defaultSystemPrompt) {
        this.format = Objects.requireNonNull(format);
        this.defaultSystemPrompt = defaultSystemPrompt == null || defaultSystemPrompt.isEmpty() ? null : defaultSystemPrompt;
    }

    /**
     * Recognises a model's chat template (GGUF {@code tokenizer.chat_template}, or
     * {@code chat_template} of {@code tokenizer_config.json}).
     *
     * @throws IllegalArgumentException if the template is not one this runtime can render exactly;
     *                                  the message says why when it resembles a known format, lists
     *                                  {@link #names()} and says that {@code --chat-template NAME}
     *                                  chooses one instead
     */
    public static ChatTemplate detect(String jinjaSource) {
        return ChatTemplateDetection.detect(Objects.requireNonNull(jinjaSource, "jinjaSource"));
    }

    /**
     * The format with this name (one of {@link #names()}), without a default system prompt.
     *
     * @throws IllegalArgumentException if there is none, listing the names
     */
    public static ChatTemplate named(String name) {
        ChatTemplateFormat f = ChatTemplateFormat.byId(Objects.requireNonNull(name, "name"));
        if (f == null) {
            throw new IllegalArgumentException("unknown chat template '" + name + "'; the known templates are: "
                    + String.join(", ", names()));
        }
        return new ChatTemplate(f, null);
    }

    /** The names of the known formats, for {@link #named} and {@code --chat-template}. */
    public static List<String> names() {
        return Arrays.stream(ChatTemplateFormat.values()).map(ChatTemplateFormat::id).toList();
    }

    /** This format's name, e.g. {@code chatml}, {@code llama3.1}, {@code mistral-v7-tekken}. */
    public String name() {
        return format.id();
    }

    /** The system prompt the template inserts when a chat has no system message, if it has one. */
    public Optional<String> defaultSystemPrompt() {
        return Optional.ofNullable(defaultSystemPrompt);
    }

    /**
     * The text that ends an assistant turn in this format, where generation should stop if the
     * tokenizer does not already stop there: an end-of-turn marker such as {@code <|im_end|>} or
     * {@code <|eot_id|>}, or {@code eosText} for formats whose replies end with the EOS token
     * (Llama 2, Mistral).
     */
    public String endOfTurn(String eosText) {
        return format.endOfTurn() == null ? eosText : format.endOfTurn();
    }

    /**
     * Formats a chat, with today's date (in the default time zone) where the template shows one
     * (Llama 3.2).
     *
     * @see #format(List, boolean, String, String, LocalDate)
     */
    public String format(List<ChatMessage> messages, boolean addGenerationPrompt, String bosText, String eosText) {
        return format(messages, addGenerationPrompt, bosText, eosText, LocalDate.now());
    }

    /**
     * Formats a chat.
     *
     * @param messages            an optional system message, then user and assistant messages
     *                            alternating, starting and ending with a user message
     * @param addGenerationPrompt end with the header of the assistant's reply, so that the model
     *                            writes it next ({@code add_generation_prompt})
     * @param bosText             the text of the model's BOS token ({@code bos_token}), e.g.
     *                            {@code <s>} or {@code <|begin_of_text|>}
     * @param eosText             the text of its EOS token ({@code eos_token})
     * @param today               the date templates that show one print (Llama 3.2's
     *                            {@code strftime_now}), for reproducible prompts
     * @return the prompt text, special tokens as text
     * @throws IllegalArgumentException if the messages are not in that order
     */
    public String format(List<ChatMessage> messages, boolean addGenerationPrompt, String bosText, String eosText,
                         LocalDate today) {
        Objects.requireNonNull(bosText, "bosText");
        Objects.requireNonNull(eosText, "eosText");
        Objects.requireNonNull(today, "today");
        List<ChatMessage> all = List.copyOf(messages);
        int first = !all.isEmpty() && all.getFirst().role().equals(ChatMessage.SYSTEM) ? 1 : 0;
        String system = first == 1 && !all.getFirst().content().isEmpty() ? all.getFirst().content() : defaultSystemPrompt;
        List<ChatMessage> turns = all.subList(first, all.size());
        checkOrder(turns, first);
        var conversation = new ChatTemplateFormat.Conversation(system, turns, addGenerationPrompt, bosText, eosText, today);
        StringBuilder out = new StringBuilder();
        format.render(conversation, out);
        return out.toString();
    }

    /** Checks that {@code turns} (which follow {@code offset} system messages) alternate user, assistant, ..., user. */
    private static void checkOrder(List<ChatMessage> turns, int offset) {
        String order = "; chat messages must be an optional system message, then user and assistant messages "
                + "alternating, starting and ending with a user message";
        if (turns.isEmpty()) {
            throw new IllegalArgumentException("the chat has no user message" + order);
        }
        for (int i = 0; i < turns.size(); i++) {
            String expected = i % 2 == 0 ? ChatMessage.USER : ChatMessage.ASSISTANT;
            String role = turns.get(i).role();
            if (!role.equals(expected)) {
                throw new IllegalArgumentException("message " + (offset + i + 1) + " has role " + role
                        + " where role " + expected + " was expected" + order);
            }
        }
        if (turns.size() % 2 == 0) {
            throw new IllegalArgumentException("the last message is an assistant message" + order);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChatTemplate t && t.format == format && Objects.equals(t.defaultSystemPrompt, defaultSystemPrompt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(format, defaultSystemPrompt);
    }

    @Override
    public String toString() {
        return defaultSystemPrompt == null ? name() : name() + " (with a default system prompt)";
    }
}
