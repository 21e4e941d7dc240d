package dev.llamasimd.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the reference data: copies under src/test/resources, the larger files in ../shared. */
public final class Shared {
    private Shared() {}

    /** The {@code ../shared} folder beside the project (system property {@code llamasimd.shared}). */
    public static Path root() {
        return Path.of(System.getProperty("llamasimd.shared", "../shared")).toAbsolutePath().normalize();
    }

    /**
     * A reference file by its path under {@code ../shared}: the copy in
     * {@code src/test/resources/shared} when there is one (the small files ship with the tests),
     * else the one in {@code ../shared}; when neither exists the calling test is skipped with the
     * reason printed.
     */
    public static Path require(String relative) {
        Path copy = Path.of("src/test/resources/shared").resolve(relative).toAbsolutePath();
        if (Files.exists(copy)) {
            return copy;
        }
        Path p = root().resolve(relative);
        if (!Files.exists(p)) {
            String reason = "skipped: " + p + " is absent (the ../shared reference data is not beside the project)";
            System.out.println(reason);
            assumeTrue(false, reason);
        }
        return p;
    }

    /** The project's shipped {@code weights/} folder. */
    public static Path weights(String name) {
        return Path.of("weights").resolve(name).toAbsolutePath();
    }
}
