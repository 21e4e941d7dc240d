package dev.llamasimd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The launcher reads the JDK's feature release from {@code java.specification.version}, old style and new. */
class LauncherTest {

    @Test
    void featureReleaseOfEachSpellingOfTheVersion() {
        assertEquals(8, Launcher.feature("1.8"));
        assertEquals(17, Launcher.feature("17"));
        assertEquals(25, Launcher.feature("25"));
        assertEquals(26, Launcher.feature("26.1"));
    }
}
