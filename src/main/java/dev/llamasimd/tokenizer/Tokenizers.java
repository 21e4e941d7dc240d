package dev.llamasimd.tokenizer;

import dev.llamasimd.io.GgufFile;
import dev.llamasimd.io.GgufMetadata;
import dev.llamasimd.io.HfModelDir;
import dev.llamasimd.io.ModelFormatException;
import dev.llamasimd.io.TensorSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where tokenizers come from: a GGUF file's {@code tokenizer.*} metadata (SentencePiece BPE for
 * {@code tokenizer.ggml.model = "llama"}, byte-level BPE for {@code "gpt2"} with the pre-tokenizer
 * {@code tokenizer.ggml.pre} names), or a Hugging Face directory's {@code tokenizer.json} and
 * {@code tokenizer_config.json}. Both give llama.cpp's token ids. Errors name the file and the key at fault.
 */
public final class Tokenizers {
    private Tokenizers() {}

    /**
     * Loads the tokenizer of a model: a {@code .gguf} file or a Hugging Face directory.
     *
     * @throws ModelFormatException if the path does not exist or its tokenizer is missing, malformed or of a
     *                              kind llama-simd does not support
     * @throws UncheckedIOException if a file cannot be read
     */
    public static Tokenizer load(Path model) {
        if (Files.isDirectory(model)) {
            return HfTokenizerLoader.load(model);
        }
        if (!Files.exists(model)) {
            throw new ModelFormatException(model, "no such file or directory");
        }
        try (GgufFile gguf = GgufFile.open(model)) {
            return load(gguf);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + model + ": " + e.getMessage(), e);
        }
    }

    /**
     * The tokenizer of an open model source (the one its model was built from, so the file is
     * opened once): a GGUF file's metadata, or the {@code tokenizer.json} beside an HF directory's
     * safetensors. The source may be closed afterwards.
     */
    public static Tokenizer load(TensorSource source) {
        return switch (source) {
            case GgufFile gguf -> load(gguf);
            case HfModelDir hf -> HfTokenizerLoader.load(hf.dir());
            default -> throw new IllegalArgumentException("no tokenizer in " + source);
        };
    }

    /** The tokenizer described by an open GGUF file's metadata (the file may be closed afterwards). */
    public static Tokenizer load(GgufFile gguf) {
        return load(gguf.metadata());
    }

    /** The tokenizer described by GGUF metadata. */
    public static Tokenizer load(GgufMetadata metadata) {
        return GgufTokenizerLoader.load(metadata);
    }

    /** The values of {@code tokenizer.ggml.pre} that byte-level GGUF tokenizers may have. */
    public static List<String> knownPreTokenizers() {
        return PreTokenizerPresets.names();
    }
}
