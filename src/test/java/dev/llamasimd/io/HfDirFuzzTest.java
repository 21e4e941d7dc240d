package dev.llamasimd.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.model.Llama;
import dev.llamasimd.model.ModelLoader;
import dev.llamasimd.testing.Fuzzing;
import dev.llamasimd.testing.Shared;
import dev.llamasimd.tokenizer.Tokenizer;
import dev.llamasimd.tokenizer.Tokenizers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Coverage-guided fuzzing of the Hugging Face directory loader: the input is {@code config.json},
 * {@code tokenizer.json} and {@code tokenizer_config.json} separated by NUL bytes (which valid JSON
 * never holds; a file the input does not reach is absent), beside the real stories260K
 * {@code model.safetensors}. The model and the tokenizer either load or fail with a
 * {@link ModelFormatException} naming a file of the directory, within the bounds of {@link Fuzzing}; a
 * tokenizer that loads encodes and decodes text without failing. Seeds and kept findings:
 * {@code src/test/resources/dev/llamasimd/io/HfDirFuzzTestInputs/hfDir}.
 */
class HfDirFuzzTest {
    private static final List<String> FILES = List.of(HfModelDir.CONFIG, "tokenizer.json", HfModelDir.TOKENIZER_CONFIG);
    private static final Parallel SERIAL = Parallel.serial();
    private static final Path DIR = directory();

    private static Path directory() {
        Path dir = Fuzzing.dir().resolve("hf");
        try {
            Files.createDirectories(dir);
            Path weights = dir.resolve(HfModelDir.WEIGHTS);
            Files.deleteIfExists(weights);
            Files.createSymbolicLink(weights,
                    Shared.find("oracles/llama2c/stories260K-hf/model.safetensors").orElseThrow());
            weights.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        dir.toFile().deleteOnExit();
        return dir;
    }

    @FuzzTest
    void hfDir(byte[] data) throws IOException {
        int from = 0;
        for (String name : FILES) {
            Path file = DIR.resolve(name);
            if (from > data.length) {
                Files.deleteIfExists(file);
                continue;
            }
            int end = from;
            while (end < data.length && data[end] != 0) {
                end++;
            }
            Files.write(file, Arrays.copyOfRange(data, from, end));
            file.toFile().deleteOnExit();
            from = end + 1;
        }
        Llama model = Fuzzing.expect(ModelFormatException.class, DIR, data.length, () -> ModelLoader.load(DIR, SERIAL));
        if (model != null) {
            model.close();
        }
        Tokenizer tokenizer = Fuzzing.expect(ModelFormatException.class, DIR, data.length, () -> Tokenizers.load(DIR));
        if (tokenizer != null) {
            tokenizer.decode(tokenizer.encode("Hello, world! 123 é 日本 <s>", true, true), true);
        }
    }
}
