package dev.llamasimd.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Scalar unpacking of the K-quants' packed sub-block scales, read from the mapping (no vectors here). */
final class KScales {
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private KScales() {}

    static int u8(MemorySegment w, long at) {
        return w.get(ValueLayout.JAVA_BYTE, at) & 0xff;
    }

    /** Bytes 0..7 of the 12 packed Q4_K/Q5_K scale bytes at {@code s}, little-endian. */
    static long low8(MemorySegment w, long s) {
        return w.get(LONG_LE, s);
    }

    /** Bytes 8..11 of the 12 packed scale bytes at {@code s}. */
    static int high4(MemorySegment w, long s) {
        return w.get(INT_LE, s + 8);
    }

    /**
     * Q4_K/Q5_K: the 6-bit scale of sub-block {@code j} from the 12 packed bytes read as
     * {@link #low8} and {@link #high4} (ggml's get_scale_min_k4).
     */
    static int scaleK4(long lo, int hi, int j) {
        return j < 4 ? (int) (lo >>> (8 * j)) & 63
                : ((hi >>> (8 * (j - 4))) & 0xf) | (((int) (lo >>> (8 * (j - 4))) & 0xc0) >> 2);
    }

    /** Q4_K/Q5_K: the 6-bit min of sub-block {@code j}, as {@link #scaleK4}. */
    static int minK4(long lo, int hi, int j) {
        return j < 4 ? (int) (lo >>> (8 * (j + 4))) & 63
                : ((hi >>> (8 * (j - 4) + 4)) & 0xf) | (((int) (lo >>> (8 * j)) & 0xc0) >> 2);
    }

    /**
     * Q3_K: the signed scale ({@code −32..31}) of 16-value group {@code k} from the 12 bytes at
     * {@code s}: its low 4 bits are a nibble of bytes 0..7, its high 2 bits a pair of bytes 8..11.
     * Without a branch: one on {@code k < 8} in decode's group loop made C2 recompile decode a
     * hundred times over (a profile_predicate trap at every turn).
     */
    static int scaleQ3(MemorySegment w, long s, int k) {
        int low = (u8(w, s + (k & 7)) >> (4 * (k >> 3))) & 0xf;
        int high = (u8(w, s + 8 + k % 4) >> (2 * (k / 4))) & 3;
        return (low | high << 4) - 32;
    }
}
