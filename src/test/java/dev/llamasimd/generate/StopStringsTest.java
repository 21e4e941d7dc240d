package dev.llamasimd.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class StopStringsTest {

    @Test
    void stopStringSplitAcrossPieces() {
        StopStrings s = new StopStrings(List.of("</s>", "\n\n"));
        StringBuilder shown = new StringBuilder();
        for (String piece : new String[] {"Hello", " wor", "ld<", "/", "s>ignored"}) {
            shown.append(s.push(piece));
        }
        assertTrue(s.stopped());
        assertEquals("Hello world", shown.toString());
        assertEquals("", s.push("more"));
    }

    @Test
    void heldBackTextIsReleasedWhenItTurnsOutHarmless() {
        StopStrings s = new StopStrings(List.of("STOP"));
        assertEquals("a ", s.push("a ST"));
        assertEquals("STa", s.push("a"));
        assertEquals("", s.push("S"));
        assertFalse(s.stopped());
        assertEquals("S", s.flush());
    }

    /** Whatever the split, the text shown is the text before the first stop string. */
    @Property(tries = 300)
    void anySplitGivesTheSameText(@ForAll @AlphaChars @StringLength(max = 60) String text,
                                  @ForAll @AlphaChars @StringLength(min = 1, max = 4) String stop,
                                  @ForAll @IntRange(min = 1, max = 7) int piece) {
        int at = text.indexOf(stop);
        String expected = at < 0 ? text : text.substring(0, at);
        StopStrings s = new StopStrings(List.of(stop));
        StringBuilder shown = new StringBuilder();
        for (int i = 0; i < text.length(); i += piece) {
            shown.append(s.push(text.substring(i, Math.min(text.length(), i + piece))));
        }
        shown.append(s.flush());
        assertEquals(expected, shown.toString());
        assertEquals(at >= 0, s.stopped());
    }
}
