package dev.llamasimd.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.llamasimd.tensor.GgmlType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Quantizer} writes the file llama.cpp's {@code llama-quantize} writes, byte for byte:
 * metadata, tensor order, types, alignment and every quantized block (the reference files and
 * how they were made: {@code src/test/resources/quant/llama-quantize/README.md}).
 */
class QuantizerMatchesLlamaQuantizeTest {
    private static final Path REFERENCE = Path.of("src/test/resources/quant/llama-quantize");

    @ParameterizedTest
    @ValueSource(strings = {"Q4_K_M", "Q3_K_M", "Q2_K", "IQ4_XS"})
    void sameBytesAsLlamaQuantize(String type, @TempDir Path dir) throws IOException {
        Path in = dir.resolve("synth-F32.gguf");
        SyntheticModel.write(SyntheticModel.Shape.custom(256, 2, 4, 1, 512, 300, 64, false, 10000f), GgmlType.F32, 11,
                in, false, SyntheticModel.Progress.NONE);
        Path out = dir.resolve("synth-" + type + ".gguf");
        Quantizer.quantize(in, out, new Quantizer.Options(QuantMix.fileType(type), false, false, 2), false,
                (i, n, name, from, to) -> { }, line -> { });
        Path expected = REFERENCE.resolve("synth-" + type + ".gguf");
        assertEquals(-1L, Files.mismatch(expected, out), type + ": first differing byte against llama-quantize's file");
    }
}
