package dev.llamasimd.model;

import dev.llamasimd.generate.LlamaModel;
import dev.llamasimd.tokenizer.ChatTemplate;
import dev.llamasimd.tokenizer.Tokenizer;

/**
 * What the rest of this module (the command line, the server, the benchmarks) reads of a
 * {@link LlamaModel} beyond its exported API: its decoder, its tokenizer and its chat template.
 * The module does not export this package, so a library user sees only what
 * {@code dev.llamasimd.generate} declares; {@code LlamaModel} hands its parts over here when its
 * class is initialised, the way the JDK's own packages share internals.
 */
public final class ModelParts {
    private ModelParts() {}

    /** How the parts are read; implemented once, by {@code LlamaModel}. */
    public interface Access {
        Llama llama(LlamaModel model);

        Tokenizer tokenizer(LlamaModel model);

        /**
         * The named chat template, or the one recognised from the model file when {@code name} is null.
         *
         * @throws IllegalArgumentException when the name is unknown, or the model has no template
         *     or an unrecognised one (the message lists the known names)
         */
        ChatTemplate chatTemplate(LlamaModel model, String name);
    }

    private static volatile Access access;

    /** @throws IllegalStateException when access was granted already */
    public static synchronized void grant(Access a) {
        if (access != null) {
            throw new IllegalStateException("ModelParts access is granted once, by LlamaModel");
        }
        access = a;
    }

    /** The decoder itself, for forward passes outside a session. */
    public static Llama llama(LlamaModel model) {
        return access.llama(model);
    }

    public static Config config(LlamaModel model) {
        return llama(model).config();
    }

    public static Tokenizer tokenizer(LlamaModel model) {
        return access.tokenizer(model);
    }

    /** See {@link Access#chatTemplate}. */
    public static ChatTemplate chatTemplate(LlamaModel model, String name) {
        return access.chatTemplate(model, name);
    }
}
