package dev.llamasimd.tokenizer;

import dev.llamasimd.io.GgufWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Small vocabularies written as GGUF files, so that the tokenizers' logic is tested without ../shared: a
 * SentencePiece one ({@code <unk> <s> </s>}, the 256 byte tokens, a few pieces, a control and a user-defined
 * token) and a byte-level one (the 256 bytes in byte order, a few merges, {@code <|endoftext|>} and a
 * user-defined token).
 */
final class TestVocabs {
    static final String USER = "<|user|>";
    static final String CONTROL = "<ctl>";
    static final String EOT = "<|endoftext|>";

    /** SentencePiece pieces after the byte tokens, best score first. */
    static final List<String> SPM_PIECES = List.of("▁", "e", "t", "h", "a", "n", "i", "s", "o", "r", "▁t", "th",
            "he", "▁th", "▁the", "in", "an", "▁a", "▁an", "▁in", "er", "é", "日", "本", "日本", "'", "▁'", "s▁");

    /** Byte-level merges, in rank order. */
    static final List<String> MERGES = List.of("Ġ t", "t h", "Ġt h", "Ġth e", "i n", "Ġ a", "a n", "e r", "Ġ i",
            "Ġi n", "Ċ Ċ", "Ġ Ġ", "ĠĠ ĠĠ", "' s", "æ Ĺ", "1 2", "12 3");

    private static Path dir;

    private TestVocabs() {}

    private static synchronized Path dir() {
        if (dir == null) {
            try {
                dir = Files.createTempDirectory("llamasimd-vocab");
                dir.toFile().deleteOnExit();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return dir;
    }

    /** The SentencePiece vocabulary as a tokenizer. */
    static Tokenizer spm() {
        return Tokenizers.load(spmFile("spm.gguf", w -> { }));
    }

    /** The byte-level vocabulary with the given {@code tokenizer.ggml.pre} as a tokenizer. */
    static Tokenizer byteLevel(String pre) {
        return Tokenizers.load(byteLevelFile("bpe-" + pre + ".gguf", pre, w -> { }));
    }

    /** Writes the SentencePiece vocabulary, with {@code extra} keys, to a new file in the temp folder. */
    static Path spmFile(String name, Consumer<GgufWriter> extra) {
        List<String> tokens = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        List<Integer> types = new ArrayList<>(List.of(2, 3, 3));
        List<Float> scores = new ArrayList<>(List.of(0f, 0f, 0f));
        for (int b = 0; b < 256; b++) {
            tokens.add(String.format("<0x%02X>", b));
            types.add(6);
            scores.add(0f);
        }
        for (int i = 0; i < SPM_PIECES.size(); i++) {
            tokens.add(SPM_PIECES.get(i));
            types.add(1);
            scores.add(-1f - i);
        }
        for (String spaces : List.of("▁▁", "▁▁▁▁")) {
            tokens.add(spaces);
            types.add(1);
            scores.add(-1e9f);
        }
        tokens.add(USER);
        types.add(4);
        scores.add(0f);
        tokens.add(CONTROL);
        types.add(3);
        scores.add(0f);
        return write(name, w -> {
            w.putString("tokenizer.ggml.model", "llama");
            w.putStringArray("tokenizer.ggml.tokens", tokens.toArray(String[]::new));
            w.putIntArray("tokenizer.ggml.token_type", types.stream().mapToInt(Integer::intValue).toArray());
            float[] s = new float[scores.size()];
            for (int i = 0; i < s.length; i++) {
                s[i] = scores.get(i);
            }
            w.putFloatArray("tokenizer.ggml.scores", s);
            extra.accept(w);
        });
    }

    /** Writes the byte-level vocabulary, with {@code extra} keys, to a new file in the temp folder. */
    static Path byteLevelFile(String name, String pre, Consumer<GgufWriter> extra) {
        List<String> tokens = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(String.valueOf(ByteLevel.charOf(b)));
            types.add(1);
        }
        for (String merge : MERGES) {
            tokens.add(merge.replace(" ", ""));
            types.add(1);
        }
        tokens.add(USER);
        types.add(4);
        tokens.add(EOT);
        types.add(3);
        return write(name, w -> {
            w.putString("tokenizer.ggml.model", "gpt2");
            if (pre != null) {
                w.putString("tokenizer.ggml.pre", pre);
            }
            w.putStringArray("tokenizer.ggml.tokens", tokens.toArray(String[]::new));
            w.putIntArray("tokenizer.ggml.token_type", types.stream().mapToInt(Integer::intValue).toArray());
            w.putStringArray("tokenizer.ggml.merges", MERGES.toArray(String[]::new));
            w.putUint32("tokenizer.ggml.bos_token_id", tokens.size() - 1);
            w.putUint32("tokenizer.ggml.eos_token_id", tokens.size() - 1);
            extra.accept(w);
        });
    }

    /** Writes a GGUF file of metadata only. */
    static Path write(String name, Consumer<GgufWriter> keys) {
        Path file = dir().resolve(name);
        try (GgufWriter w = GgufWriter.create(file, true)) {
            keys.accept(w);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        file.toFile().deleteOnExit();
        return file;
    }
}
