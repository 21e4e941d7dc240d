package dev.llamasimd.generate;

import java.util.List;

/**
 * Finds stop strings in streamed text, across token boundaries: text that could still be the
 * start of a stop string is held back until it is known not to be one. One per generation.
 */
final class StopStrings {
    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    StopStrings(List<String> stops) {
        for (String s : stops) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException("a stop string must not be empty");
            }
        }
        this.stops = List.copyOf(stops);
    }

    /** Whether a stop string has been seen. */
    boolean stopped() {
        return stopped;
    }

    /**
     * Adds generated text; returns the part that is safe to show: everything before a stop string
     * (after which {@link #stopped()} is true), or everything that cannot begin one.
     */
    String push(String text) {
        if (stopped) {
            return "";
        }
        pending.append(text);
        int cut = -1;
        for (String s : stops) {
            int at = pending.indexOf(s);
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        if (cut >= 0) {
            stopped = true;
            String out = pending.substring(0, cut);
            pending.setLength(0);
            return out;
        }
        int keep = longestSuffixThatStartsAStop();
        String out = pending.substring(0, pending.length() - keep);
        pending.delete(0, pending.length() - keep);
        return out;
    }

    /** The text held back at the end of the generation (it did not become a stop string). */
    String flush() {
        String out = stopped ? "" : pending.toString();
        pending.setLength(0);
        return out;
    }

    private int longestSuffixThatStartsAStop() {
        int best = 0;
        for (String s : stops) {
            for (int len = Math.min(s.length() - 1, pending.length()); len > best; len--) {
                if (endsWith(s, len)) {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }

    /** Whether the pending text ends with the first {@code len} chars of {@code s}. */
    private boolean endsWith(String s, int len) {
        int base = pending.length() - len;
        for (int i = 0; i < len; i++) {
            if (pending.charAt(base + i) != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
