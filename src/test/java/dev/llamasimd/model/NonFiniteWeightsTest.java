package dev.llamasimd.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.io.GgufFile;
import dev.llamasimd.io.ModelFormatException;
import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A block whose scale is NaN or infinite is never a silent wrong answer: the forward pass that
 * meets its non-finite logits names the tensor, its type, the row, the block and its offset in
 * the file.
 */
class NonFiniteWeightsTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"Q4_K", "Q6_K", "Q8_0", "F16"})
    void aNonFiniteScaleIsNamedWithItsTensorTypeAndOffset(String typeName) throws IOException {
        GgmlType type = GgmlType.valueOf(typeName);
        Path file = dir.resolve(typeName + ".gguf");
        SyntheticModel.write(SyntheticModel.Shape.custom(256, 2, 4, 2, 256, 300, 64, false, 1e4f), type, 1, file,
                false, SyntheticModel.Progress.NONE);
        try (Llama clean = ModelLoader.load(file, Parallel.serial())) {
            assertNull(WeightCheck.firstNonFinite(clean.weights(), null), "a clean file");
        }
        String name = "blk.1.ffn_down.weight";
        int row = 3;
        int block = type.isQuantized() ? 0 : 5;
        long at;
        try (GgufFile g = GgufFile.open(file)) {
            Tensor t = g.tensor(name);
            at = g.fileOffset(t) + row * t.rowBytes() + (long) block * type.blockBytes;
        }
        // the F16 scale of the block (Q6_K keeps it in its last two bytes), or the F16 value itself
        long scaleAt = at + (type == GgmlType.Q6_K ? 208 : 0);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(0, (short) 0x7c00), scaleAt);
        }
        try (Llama bad = ModelLoader.load(file, Parallel.serial())) {
            State s = bad.newState(3, 64, false);
            try (KvCache cache = bad.newCache(64)) {
                ModelFormatException e = assertThrows(ModelFormatException.class,
                        () -> bad.forward(s, cache, new int[] {298, 'a', 'b'}, 0, 3, 0));
                assertTrue(e.getMessage().contains("'" + name + "' (" + type + "), row " + row), e.getMessage());
                assertEquals(at, e.offset(), e.getMessage());
                assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
            }
        }
    }
}
