package dev.llamasimd.testing;

import dev.llamasimd.io.ModelFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ClassLoadingMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * The rules every fuzz target checks around one run of a reader: it ends normally or with the one
 * exception type the reader documents (any other {@link Throwable} propagates and is Jazzer's
 * finding), it allocates no more than a small multiple of its input plus a fixed allowance, and it
 * takes bounded CPU time. Heap and time are checked on runs that load no class: loading one (and
 * Jazzer instrumenting it, on the loading thread) costs both. The temporary files and folders it
 * hands out live for the JVM.
 */
public final class Fuzzing {
    /** Heap a run may allocate beyond {@link #BYTES_PER_INPUT_BYTE} per input byte: tables, JIT-cold boxing, messages. */
    public static final long ALLOWANCE = 64L << 20;
    /** Heap a run may allocate per byte of input (a metadata array or a JSON text becomes Java objects). */
    public static final long BYTES_PER_INPUT_BYTE = 64;
    /** CPU time a run may take. */
    public static final long MAX_CPU_NANOS = 10_000_000_000L;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final ClassLoadingMXBean CLASSES = ManagementFactory.getClassLoadingMXBean();
    private static Path dir;

    private Fuzzing() {}

    /** A folder for this JVM's fuzz inputs, made once. */
    public static synchronized Path dir() {
        if (dir == null) {
            try {
                dir = Files.createTempDirectory("llamasimd-fuzz");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            dir.toFile().deleteOnExit();
        }
        return dir;
    }

    /** Writes {@code data} to {@code name} in {@link #dir()}, replacing what was there. */
    public static Path write(String name, byte[] data) {
        Path file = dir().resolve(name);
        try {
            Files.write(file, data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        file.toFile().deleteOnExit();
        return file;
    }

    /**
     * Runs {@code read} on an input of {@code inputBytes} bytes: returns its result, or {@code null}
     * when it threw an {@code allowed} exception, which must name {@code file} where one is given.
     * Any other throwable propagates; too much heap or CPU time is an {@link AssertionError}.
     */
    public static <T> T expect(Class<? extends RuntimeException> allowed, Path file, long inputBytes, Supplier<T> read) {
        long classes = CLASSES.getTotalLoadedClassCount();
        long heap = THREADS.getCurrentThreadAllocatedBytes();
        long cpu = THREADS.getCurrentThreadCpuTime();
        T result;
        try {
            result = read.get();
        } catch (RuntimeException e) {
            if (!allowed.isInstance(e)) {
                throw e;
            }
            if (file != null && !(e instanceof ModelFormatException m && m.file() != null
                    && m.file().startsWith(file))) {
                throw new AssertionError("the error does not name " + file + ": " + e, e);
            }
            result = null;
        }
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - heap;
        long cpuNanos = THREADS.getCurrentThreadCpuTime() - cpu;
        if (CLASSES.getTotalLoadedClassCount() == classes) {
            check(inputBytes, allocated, cpuNanos);
        }
        return result;
    }

    private static void check(long inputBytes, long allocated, long cpuNanos) {
        long limit = ALLOWANCE + BYTES_PER_INPUT_BYTE * inputBytes;
        if (allocated > limit) {
            throw new AssertionError("allocated " + allocated + " bytes of heap for " + inputBytes
                    + " bytes of input (limit " + limit + ")");
        }
        if (cpuNanos > MAX_CPU_NANOS) {
            throw new AssertionError("took " + cpuNanos / 1_000_000 + " ms of CPU for " + inputBytes + " bytes of input");
        }
    }
}
