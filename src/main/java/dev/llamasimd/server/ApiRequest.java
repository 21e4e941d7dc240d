package dev.llamasimd.server;

import dev.llamasimd.generate.ChatMessage;
import dev.llamasimd.generate.GenerationParams;
import java.util.List;

/**
 * A completions or chat request as the Java API takes it.
 *
 * @param prompt       the text to continue (completions), else null
 * @param messages     the conversation to answer (chat), else null
 * @param params       sampling, token limit, stop strings and logprobs
 * @param stream       answer as server-sent events
 * @param includeUsage with {@code stream}: a last chunk carries the token counts
 */
record ApiRequest(Endpoint endpoint, String prompt, List<ChatMessage> messages, GenerationParams params,
                  boolean stream, boolean includeUsage) {}
