package dev.llamasimd.io;

import java.nio.file.Path;
import java.util.Locale;

/**
 * A model or data file that cannot be read as what it claims to be. The message always names the
 * file, and where it applies the field or tensor and the byte offset at fault.
 */
public class ModelFormatException extends RuntimeException {
    private final Path file;
    private final long offset;

    public ModelFormatException(Path file, long offset, String what) {
        super(file + (offset >= 0 ? " (at byte " + offset + ")" : "") + ": " + what);
        this.file = file;
        this.offset = offset;
    }

    public ModelFormatException(Path file, String what) {
        this(file, -1, what);
    }

    public ModelFormatException(Path file, String what, Throwable cause) {
        super(file + ": " + what, cause);
        this.file = file;
        this.offset = -1;
    }

    /**
     * The words for a file that ends before the data its header describes: how much there is of
     * it and that it was probably cut short in the download.
     */
    static String truncation(long size, long needed) {
        return String.format(Locale.ROOT, "the file is truncated, %,d of the %,d bytes its header describes (%.1f %%);"
                + " the download or copy is probably incomplete", size, needed, Math.floor(1000.0 * size / needed) / 10);
    }

    public Path file() {
        return file;
    }

    /** The byte offset at fault, or -1 where no single offset applies. */
    public long offset() {
        return offset;
    }
}
