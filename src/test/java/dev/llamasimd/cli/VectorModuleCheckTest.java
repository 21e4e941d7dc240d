package dev.llamasimd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.testing.Jvm;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Started without {@code --add-modules jdk.incubator.vector}, the CLI says how to start it instead of crashing. */
class VectorModuleCheckTest {

    @Test
    void missingVectorModuleIsExplained() throws Exception {
        Jvm.Run r = Jvm.run(List.of(), Main.class, "--version");
        assertEquals(1, r.exit(), r.output());
        assertTrue(r.output().contains("--add-modules jdk.incubator.vector"), r.output());
        assertTrue(!r.output().contains("Exception"), r.output());
    }
}
