package dev.llamasimd.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.llamasimd.tensor.Tensor;
import dev.llamasimd.testing.Fuzzing;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of the safetensors reader: any bytes either open, with every tensor a view
 * inside the mapping, or fail with a {@link ModelFormatException} naming the file, within the heap and
 * CPU bounds of {@link Fuzzing}. Seeds and kept findings:
 * {@code src/test/resources/dev/llamasimd/io/SafetensorsFuzzTestInputs/safetensors}.
 */
class SafetensorsFuzzTest {
    @FuzzTest
    void safetensors(byte[] data) {
        Path file = Fuzzing.write("fuzz.safetensors", data);
        try (SafetensorsFile st = Fuzzing.expect(ModelFormatException.class, file, data.length,
                () -> SafetensorsFile.open(file))) {
            if (st != null) {
                for (Tensor t : st.tensors().values()) {
                    long n = t.data().byteSize();
                    if (n > 0) {
                        t.data().get(ValueLayout.JAVA_BYTE, 0);
                        t.data().get(ValueLayout.JAVA_BYTE, n - 1);
                    }
                }
                st.metadata().forEach((k, v) -> { });
            }
        }
    }
}
