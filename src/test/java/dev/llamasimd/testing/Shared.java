package dev.llamasimd.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The one lookup of reference data for every test, by a file's path under {@code ../shared}:
 * the copies that ship with the project first, so that a clean clone runs every test whose data
 * it carries, then {@code ../shared} for the larger files.
 */
public final class Shared {
    private Shared() {}

    /** The {@code ../shared} folder beside the project (system property {@code llamasimd.shared}). */
    public static Path root() {
        return Path.of(System.getProperty("llamasimd.shared", "../shared")).toAbsolutePath().normalize();
    }

    /**
     * A reference file or folder by its path under {@code ../shared}, looked up in order: the copy
     * in {@code src/test/resources/shared} (the small files), the shipped model in {@code weights/}
     * for a {@code models/NAME/FILE} (each a byte-for-byte copy, see weights/README.md), then
     * {@code ../shared}; empty when none has it.
     */
    public static Optional<Path> find(String relative) {
        Path copy = Path.of("src/test/resources/shared").resolve(relative).toAbsolutePath();
        if (Files.exists(copy)) {
            return Optional.of(copy);
        }
        Path rel = Path.of(relative);
        if (rel.getNameCount() == 3 && rel.getName(0).toString().equals("models")) {
            Path shipped = weights(rel.getFileName().toString());
            if (Files.isRegularFile(shipped)) {
                return Optional.of(shipped);
            }
        }
        Path p = root().resolve(relative);
        return Files.exists(p) ? Optional.of(p) : Optional.empty();
    }

    /** {@link #find}, and when no copy exists the calling test is skipped with the reason printed. */
    public static Path require(String relative) {
        Optional<Path> p = find(relative);
        if (p.isEmpty()) {
            String reason = "skipped: " + root().resolve(relative) + " is absent and no copy ships with the project"
                    + " (the ../shared reference data is not beside the project)";
            System.out.println(reason);
            assumeTrue(false, reason);
        }
        return p.get();
    }

    /** The project's shipped {@code weights/} folder. */
    public static Path weights(String name) {
        return Path.of("weights").resolve(name).toAbsolutePath();
    }
}
