package dev.llamasimd.io;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.model.Llama;
import dev.llamasimd.model.ModelLoader;
import dev.llamasimd.tensor.Tensor;
import dev.llamasimd.testing.Fuzzing;
import dev.llamasimd.tokenizer.Tokenizer;
import dev.llamasimd.tokenizer.Tokenizers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of the GGUF reader, the model loader and the GGUF tokenizer loader: any
 * bytes either load or fail with a {@link ModelFormatException} naming the file, within the heap and
 * CPU bounds of {@link Fuzzing}. A tokenizer that loads encodes and decodes text without failing.
 * Seeds and kept findings: {@code src/test/resources/dev/llamasimd/io/GgufFuzzTestInputs/gguf}.
 */
class GgufFuzzTest {
    private static final Parallel SERIAL = Parallel.serial();

    @FuzzTest
    void gguf(byte[] data) {
        Path file = Fuzzing.write("fuzz.gguf", data);
        try (GgufFile gguf = Fuzzing.expect(ModelFormatException.class, file, data.length, () -> open(file))) {
            if (gguf != null) {
                readEveryTensor(gguf);
                assertTrue(gguf.metadata().toString().length() >= 0);
                Tokenizer tokenizer = Fuzzing.expect(ModelFormatException.class, file, data.length,
                        () -> Tokenizers.load(gguf));
                if (tokenizer != null) {
                    tokenizer.decode(tokenizer.encode("Hello, world! 123 é 日本 <s>", true, true), true);
                }
            }
        }
        Llama model = Fuzzing.expect(ModelFormatException.class, file, data.length, () -> ModelLoader.load(file, SERIAL));
        if (model != null) {
            model.close();
        }
    }

    private static GgufFile open(Path file) {
        try {
            return GgufFile.open(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first and last byte of every tensor: its view lies inside the mapping. */
    private static void readEveryTensor(GgufFile gguf) {
        for (Tensor t : gguf.tensors().values()) {
            long n = t.data().byteSize();
            if (n > 0) {
                t.data().get(ValueLayout.JAVA_BYTE, 0);
                t.data().get(ValueLayout.JAVA_BYTE, n - 1);
            }
        }
    }
}
