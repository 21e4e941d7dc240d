package dev.llamasimd.cli;

import java.lang.reflect.InvocationTargetException;

/**
 * The jar's {@code Main-Class}, compiled for Java 8 so that any JDK since 8 can load it: on a JDK
 * older than 25 it says which JDK llama-simd needs, instead of the JVM's
 * {@code UnsupportedClassVersionError}; on JDK 25 it hands over to {@link Main} (by reflection:
 * Main is Java 25 bytecode, which this class's compiler cannot read).
 */
public final class Launcher {
    static final int NEEDED = 25;

    private Launcher() {}

    public static void main(String[] args) throws Throwable {
        int found = feature(System.getProperty("java.specification.version"));
        if (found < NEEDED) {
            System.err.println("llama-simd needs JDK " + NEEDED + " (found " + found + "): set JAVA_HOME to a JDK " + NEEDED
                    + " or use bin/llama-simd");
            System.exit(1);
        }
        try {
            Class.forName("dev.llamasimd.cli.Main").getMethod("main", String[].class).invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** The feature release of a {@code java.specification.version}: 8 for "1.8", 17 for "17". */
    static int feature(String specification) {
        String v = specification.startsWith("1.") ? specification.substring(2) : specification;
        int dot = v.indexOf('.');
        return Integer.parseInt(dot < 0 ? v : v.substring(0, dot));
    }
}
