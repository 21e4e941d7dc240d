package dev.llamasimd.cli;

import dev.llamasimd.generate.ChatMessage;
import dev.llamasimd.generate.Generation;
import dev.llamasimd.generate.GenerationParams;
import dev.llamasimd.generate.LlamaModel;
import dev.llamasimd.generate.Session;
import dev.llamasimd.model.ModelParts;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code chat}: an interactive conversation. Each turn reuses the KV cache, so only the new
 * turn's tokens are prefilled. A model without a chat template is chatted with as plain text:
 * each line typed is continued to the end of the line the model writes.
 */
@Command(
        name = "chat",
        mixinStandardHelpOptions = true,
        description = {
            "Chats with a model, keeping the conversation in the KV cache.",
            "Reads the terminal (or stdin).",
            "Commands: /help lists them, /reset forgets the conversation, /quit (or /exit)",
            "quits, as do Ctrl-D (end of input) and Ctrl-C at the prompt (exit code 130);",
            "Ctrl-C while the model writes stops the answer. Any other line of one word",
            "starting with / is an unknown command, not text for the model."
        })
final class ChatCommand implements Callable<Integer> {

    /** What {@code /help} prints. */
    static final String HELP = """
            /help          this list
            /reset         forget the conversation (the system message stays)
            /quit, /exit   leave; so do Ctrl-D and Ctrl-C at the prompt
            Ctrl-C while the model writes stops the answer""";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    SamplingOptions sampling;

    @Mixin
    CacheTypeOption cache;

    @Mixin
    SimdOption simd;

    @Option(names = "--system", paramLabel = "STR", description = "a system message")
    String system;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "512", description = "the most tokens per answer (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--ctx", paramLabel = "N", description = "context size in tokens, ≥ 1 (default: the model's, at most 4096)")
    Integer ctx;

    @Option(names = "--chat-template", paramLabel = "NAME", description = "use this chat template instead of the model's")
    String chatTemplate;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        long seed = sampling.seed != null ? sampling.seed : ThreadLocalRandom.current().nextLong();
        GenerationParams params = Usage.check(spec, () -> GenerationParams.of(sampling.params(seed), maxTokens));
        Session.Options options = Usage.check(spec, () -> Session.Options.DEFAULTS.withContextSize(CliChecks.context(ctx))
                .withCacheType(cache.cacheType).withChatTemplate(chatTemplate));
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (LlamaModel model = Loading.load(spec, modelOptions, simd, err);
                Session session = model.newSession(options)) {
            boolean templated = hasTemplate(model, err);
            boolean interactive = System.console() != null && System.console().isTerminal();
            AtomicReference<Session> answering = new AtomicReference<>();
            Interrupts.onCtrlC(() -> {
                Session s = answering.get();
                if (s != null) {
                    s.cancel();
                } else {
                    out.println(); // the shell's prompt then starts on a line of its own
                    out.flush();
                    Runtime.getRuntime().halt(130);
                }
            });
            List<ChatMessage> conversation = new ArrayList<>();
            if (system != null) {
                conversation.add(new ChatMessage("system", system));
            }
            err.println("chatting with " + model.path() + " (/help lists the commands)");
            err.flush();
            while (true) {
                out.print("> ");
                out.flush();
                String line = in.readLine();
                if (line == null) {
                    out.println(); // end of input (Ctrl-D) leaves the cursor after the prompt
                    out.flush();
                    break;
                }
                String command = line.strip();
                if (command.equals("/quit") || command.equals("/exit")) {
                    break;
                }
                if (command.equals("/reset")) {
                    session.reset();
                    conversation.subList(system != null ? 1 : 0, conversation.size()).clear();
                    err.println("(conversation forgotten)");
                    err.flush();
                    continue;
                }
                if (command.equals("/help")) {
                    err.println(HELP);
                    err.flush();
                    continue;
                }
                if (command.matches("/\\S+")) {
                    err.println("unknown command " + command + " (/help lists the commands)");
                    err.flush();
                    continue;
                }
                if (line.isBlank()) {
                    continue;
                }
                answering.set(session);
                Generation g;
                try {
                    if (session.position() >= session.contextSize()) {
                        err.println("(the context is full: /reset to start over)");
                        err.flush();
                        continue;
                    }
                    if (templated) {
                        conversation.add(new ChatMessage("user", line));
                        g = session.chat(conversation, params, piece -> stream(out, piece));
                        conversation.add(new ChatMessage("assistant", g.text()));
                    } else {
                        if (!interactive) {
                            out.print(line); // on a terminal the typed line is already there
                        }
                        String text = session.position() > 0 ? "\n" + line : line;
                        g = session.generate(text, params.withStopStrings(List.of("\n")), piece -> stream(out, piece));
                    }
                } catch (IllegalArgumentException e) {
                    err.println("error: " + e.getMessage() + " (/reset to start over)");
                    err.flush();
                    continue;
                } finally {
                    answering.set(null);
                }
                out.println();
                out.flush();
                err.println(GenerateCommand.Stats.line(g, params.sampling(), seed));
                err.flush();
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return 0;
    }

    private boolean hasTemplate(LlamaModel model, PrintWriter err) {
        if (chatTemplate != null || ModelParts.tokenizer(model).chatTemplate() != null) {
            ModelParts.chatTemplate(model, chatTemplate);
            return true;
        }
        err.println("this model has no chat template: each line you type is continued as plain text"
                + " (--chat-template NAME picks one)");
        return false;
    }

    private static void stream(PrintWriter out, String piece) {
        out.print(piece);
        out.flush();
    }
}
