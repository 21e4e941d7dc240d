package dev.llamasimd.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Executable;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import jdk.incubator.vector.Vector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import org.junit.jupiter.api.Test;

/**
 * No method or constructor of the runtime takes or returns a vector, mask or shuffle. C2 boxes
 * a vector on the heap where it crosses a call it did not inline, and it stops inlining where a
 * caller grows large: a sum helper that took the accumulator, inlined by RMSNorm into
 * {@code Llama.forward}, allocated on every decoded row in some compilations. Vectors stay
 * inside the method that makes them (constants in static fields are fine).
 */
class VectorBoundaryTest {
    private static final Path CLASSES = Path.of("target/classes");

    @Test
    void noMethodPassesAVector() throws IOException, ClassNotFoundException {
        List<String> crossing = new ArrayList<>();
        int classes = 0;
        for (Class<?> c : runtimeClasses()) {
            classes++;
            List<Executable> members = new ArrayList<>(Arrays.asList(c.getDeclaredMethods()));
            members.addAll(Arrays.asList(c.getDeclaredConstructors()));
            for (Executable m : members) {
                boolean vectorIn = Arrays.stream(m.getParameterTypes()).anyMatch(VectorBoundaryTest::isVectorValue);
                boolean vectorOut = m instanceof Method method && isVectorValue(method.getReturnType());
                if (vectorIn || vectorOut) {
                    crossing.add(m.toString());
                }
            }
        }
        assertTrue(classes > 100, "found only " + classes + " classes under " + CLASSES.toAbsolutePath());
        assertEquals(List.of(), crossing, "methods that take or return a vector, mask or shuffle");
    }

    /** The checker itself tells a vector signature from others. */
    @Test
    void vectorTypesAreRecognised() {
        assertTrue(isVectorValue(jdk.incubator.vector.FloatVector.class));
        assertTrue(isVectorValue(jdk.incubator.vector.IntVector.class));
        assertTrue(isVectorValue(VectorMask.class));
        assertTrue(isVectorValue(VectorShuffle.class));
        assertEquals(false, isVectorValue(float[].class));
        assertEquals(false, isVectorValue(jdk.incubator.vector.VectorSpecies.class));
    }

    private static boolean isVectorValue(Class<?> type) {
        return Vector.class.isAssignableFrom(type) || VectorMask.class.isAssignableFrom(type)
                || VectorShuffle.class.isAssignableFrom(type);
    }

    private static List<Class<?>> runtimeClasses() throws IOException, ClassNotFoundException {
        List<Class<?>> classes = new ArrayList<>();
        ClassLoader loader = VectorBoundaryTest.class.getClassLoader();
        try (Stream<Path> files = Files.walk(CLASSES)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class")).sorted().toList()) {
                String name = CLASSES.relativize(f).toString().replace(f.getFileSystem().getSeparator(), ".");
                name = name.substring(0, name.length() - ".class".length());
                if (!name.endsWith("module-info") && !name.endsWith("package-info")) {
                    classes.add(Class.forName(name, false, loader));
                }
            }
        }
        return classes;
    }
}
