package dev.llamasimd.generate;

import java.util.List;
import java.util.Objects;

/**
 * One message of a chat: who speaks ({@link #ROLES}: {@code system}, {@code user} or
 * {@code assistant}) and the plain text said. A role outside that list is refused here, so
 * every chat template sees only roles it knows how to format.
 */
public record ChatMessage(String role, String content) {

    /** The role of instructions given to the model before the conversation. */
    public static final String SYSTEM = "system";
    /** The role of the person chatting. */
    public static final String USER = "user";
    /** The role of the model's replies. */
    public static final String ASSISTANT = "assistant";
    /** The roles a message may have. */
    public static final List<String> ROLES = List.of(SYSTEM, USER, ASSISTANT);

    /**
     * @throws IllegalArgumentException if the role is not one of {@link #ROLES}
     */
    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
        if (!ROLES.contains(role)) {
            throw new IllegalArgumentException("unknown chat role '" + role + "': a message's role is one of "
                    + String.join(", ", ROLES));
        }
    }

    public static ChatMessage system(String content) {
        return new ChatMessage(SYSTEM, content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage(USER, content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage(ASSISTANT, content);
    }
}
