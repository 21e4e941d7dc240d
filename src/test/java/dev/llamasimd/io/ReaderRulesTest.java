package dev.llamasimd.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.management.ThreadMXBean;
import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.model.ModelLoader;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.testing.Shared;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rules every reader keeps, beyond what the fuzz targets find: a size declared far beyond the file
 * fails at once, without allocating or reading for it, and a file that fails to load leaves no open
 * descriptor and no mapping behind.
 */
class ReaderRulesTest {
    private static final ThreadMXBean THREADS = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final int ROUNDS = 10_000;

    @TempDir
    Path dir;

    /** {@code tokenizer.ggml.tokens} declared as 2^27 strings (1 GB of length fields alone) in a 100-byte file. */
    @Test
    void aGigabyteStringArrayInA100ByteFileFailsAtOnce() throws IOException {
        GgufBytes b = GgufBytes.header(3, 0, 1).key("tokenizer.ggml.tokens", GgufValueType.ARRAY)
                .u32(GgufValueType.STRING.id).u64(1L << 27);
        Path file = write("tokens.gguf", b.zeros(100 - b.position()).toArray());
        assertEquals(100, Files.size(file));
        ModelFormatException e = failsCheaply(file, () -> GgufFile.open(file));
        assertTrue(e.getMessage().contains("key #0 'tokenizer.ggml.tokens' element count 134217728"), e.getMessage());
        failsCheaply(file, () -> ModelLoader.load(file, Parallel.serial()));
    }

    /** The same for every element type, and for a safetensors header declared 1 GB long. */
    @Test
    void everyDeclaredGigabyteFailsAtOnce() throws IOException {
        for (GgufValueType type : GgufValueType.values()) {
            GgufBytes b = GgufBytes.header(3, 0, 1).key("big", GgufValueType.ARRAY).u32(type.id).u64((1L << 30) / type.minBytes);
            Path file = write("big-" + type + ".gguf", b.zeros(100 - b.position()).toArray());
            failsCheaply(file, () -> GgufFile.open(file));
        }
        Path st = dir.resolve("big.safetensors");
        SafetensorsFixtures.writeRaw(st, 1L << 30, "{}".getBytes(StandardCharsets.UTF_8), new byte[90]);
        failsCheaply(st, () -> SafetensorsFile.open(st));
    }

    /** 10 000 failed loads of each kind of bad file: as many descriptors open after as before, and no mapping left. */
    @Test
    void failedLoadsLeakNoDescriptorOrMapping() throws IOException {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "needs /proc (Linux)");
        Path gguf = write("past-the-end.gguf", GgufBytes.header(3, 1, 0).tensorInfo("t", GgmlType.F32, 0, 1000)
                .padTo(32).zeros(16).toArray());
        Path noArchitecture = write("no-architecture.gguf", GgufBytes.header(3, 0, 0).toArray());
        Path safetensors = dir.resolve("bad-header.safetensors");
        SafetensorsFixtures.writeRaw(safetensors, "{\"t\": [", new byte[8]);
        Path hf = Files.createDirectories(dir.resolve("hf"));
        Files.copy(Shared.find("oracles/llama2c/stories260K-hf/model.safetensors").orElseThrow(), hf.resolve(HfModelDir.WEIGHTS));
        Files.writeString(hf.resolve(HfModelDir.CONFIG), "{\"hidden_size\": 64, \"num_attention_heads\": 8}");
        List<Executable> failures = List.of(
                () -> GgufFile.open(gguf),
                () -> ModelLoader.load(noArchitecture, Parallel.serial()),
                () -> SafetensorsFile.open(safetensors),
                () -> ModelLoader.load(hf, Parallel.serial()));
        long descriptors = openDescriptors();
        for (Executable failure : failures) {
            for (int i = 0; i < ROUNDS; i++) {
                assertThrows(ModelFormatException.class, failure);
            }
        }
        assertEquals(descriptors, openDescriptors(), "open file descriptors");
        for (Path p : List.of(gguf, noArchitecture, safetensors, hf.resolve(HfModelDir.WEIGHTS))) {
            assertEquals(0, mappingsOf(p), () -> p + " is still mapped");
        }
    }

    private Path write(String name, byte[] content) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, content);
        return file;
    }

    /** Fails with a ModelFormatException naming {@code file}, in under 100 ms of CPU and 1 MB of heap (once warm). */
    private static ModelFormatException failsCheaply(Path file, Executable load) {
        assertThrows(ModelFormatException.class, load);
        long heap = THREADS.getCurrentThreadAllocatedBytes();
        long cpu = THREADS.getCurrentThreadCpuTime();
        ModelFormatException e = assertThrows(ModelFormatException.class, load);
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - heap;
        long cpuMs = (THREADS.getCurrentThreadCpuTime() - cpu) / 1_000_000;
        assertEquals(file, e.file());
        assertTrue(allocated < 1 << 20, () -> file + ": allocated " + allocated + " bytes before failing: " + e.getMessage());
        assertTrue(cpuMs < 100, () -> file + ": took " + cpuMs + " ms of CPU to fail: " + e.getMessage());
        return e;
    }

    private static long openDescriptors() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long mappingsOf(Path file) throws IOException {
        String name = file.toAbsolutePath().toRealPath().toString();
        try (Stream<String> maps = Files.lines(Path.of("/proc/self/maps"))) {
            return maps.filter(line -> line.endsWith(name)).count();
        }
    }
}
