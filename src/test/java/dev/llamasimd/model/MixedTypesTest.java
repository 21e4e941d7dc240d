package dev.llamasimd.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.llamasimd.io.GgufFile;
import dev.llamasimd.io.GgufWriter;
import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.kernels.TypeKernels;
import dev.llamasimd.tensor.Codecs;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hand-built file whose matrices all have different types (every type llama-simd computes
 * with, round-robin over the 2-D tensors) runs as it is, and gives the logits of the same model
 * with each matrix widened to F32: every matrix keeps its own kernel.
 */
class MixedTypesTest {
    @TempDir
    Path dir;

    @Test
    void everyMatrixKeepsItsOwnType() throws IOException {
        Path f32 = dir.resolve("f32.gguf");
        SyntheticModel.write(SyntheticModel.Shape.custom(256, 3, 4, 2, 512, 300, 64, false, 1e4f), GgmlType.F32, 5, f32,
                false, SyntheticModel.Progress.NONE);
        List<GgmlType> types = TypeKernels.types();
        Path mixed = dir.resolve("mixed.gguf");
        Path widened = dir.resolve("widened.gguf");
        Set<GgmlType> used = EnumSet.noneOf(GgmlType.class);
        try (GgufFile src = GgufFile.open(f32); Arena arena = Arena.ofConfined();
                GgufWriter m = GgufWriter.create(mixed); GgufWriter wd = GgufWriter.create(widened)) {
            m.putAll(src.metadata());
            wd.putAll(src.metadata());
            GgmlType[] chosen = new GgmlType[src.tensors().size()];
            int i = 0;
            int matrix = 0;
            for (Tensor t : src.tensors().values()) {
                chosen[i] = t.rank() == 2 ? types.get(matrix++ % types.size()) : GgmlType.F32;
                used.add(chosen[i]);
                m.addTensor(t.name(), chosen[i], t.ne());
                wd.addTensor(t.name(), GgmlType.F32, t.ne());
                i++;
            }
            i = 0;
            for (Tensor t : src.tensors().values()) {
                GgmlType type = chosen[i++];
                int cols = t.cols();
                float[] values = new float[(int) t.elementCount()];
                Codecs.of(GgmlType.F32).dequantize(t.data(), 0, values, 0, values.length);
                // the mixed file holds the encoded rows; the widened one what they decode to
                long rowBytes = type.bytesFor(cols);
                MemorySegment encoded = arena.allocate(rowBytes * t.rows());
                for (int r = 0; r < t.rows(); r++) {
                    Codecs.of(type).quantize(values, r * cols, cols, encoded, r * rowBytes);
                    Codecs.of(type).dequantize(encoded, r * rowBytes, values, r * cols, cols);
                }
                m.writeTensorData(t.name(), encoded);
                wd.writeTensorData(t.name(), values);
            }
        }
        assertEquals(EnumSet.copyOf(types), used, "every type is in the file");
        float[][] logits = new float[2][];
        int[] tokens = {298, 'I', 'n', ' ', 't', 'h', 'e'};
        Path[] files = {mixed, widened};
        for (int f = 0; f < 2; f++) {
            try (Llama model = ModelLoader.load(files[f], Parallel.pool(2))) {
                logits[f] = new float[tokens.length * 300 + 300];
                State s = model.newState(tokens.length, 64, true);
                try (KvCache cache = model.newCache(64)) {
                    model.forward(s, cache, tokens, 0, tokens.length, 0);
                    System.arraycopy(s.logits, 0, logits[f], 0, tokens.length * 300);
                    State one = model.newState(1, 64, false);
                    model.forward(one, cache, new int[] {'x'}, 0, 1, tokens.length);
                    System.arraycopy(one.logits, 0, logits[f], tokens.length * 300, 300);
                }
            }
        }
        double worst = 0;
        double scale = 0;
        for (int i = 0; i < logits[0].length; i++) {
            worst = Math.max(worst, Math.abs(logits[0][i] - logits[1][i]));
            scale = Math.max(scale, Math.abs(logits[1][i]));
        }
        // the same values widened in the same order: equal up to the F32 path's own rounding
        assertEquals(0, worst, 1e-5 * scale, "mixed-type logits against the widened model's");
    }
}
