package dev.llamasimd.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Scalar unpacking of the K-quants' packed sub-block scales, read from the mapping (no vectors here). */
final class KScales {
    private KScales() {}

    static int u8(MemorySegment w, long at) {
        return w.get(ValueLayout.JAVA_BYTE, at) & 0xff;
    }

    /** Q4_K/Q5_K: the 6-bit scale of sub-block {@code j} from the 12 bytes at {@code s} (ggml's get_scale_min_k4). */
    static int scaleK4(MemorySegment w, long s, int j) {
        return j < 4 ? u8(w, s + j) & 63 : (u8(w, s + j + 4) & 0xf) | ((u8(w, s + j - 4) >> 6) << 4);
    }

    /** Q4_K/Q5_K: the 6-bit min of sub-block {@code j}. */
    static int minK4(MemorySegment w, long s, int j) {
        return j < 4 ? u8(w, s + j + 4) & 63 : (u8(w, s + j + 4) >> 4) | ((u8(w, s + j) >> 6) << 4);
    }

    /**
     * Q3_K: the signed scale ({@code −32..31}) of 16-value group {@code k} from the 12 bytes at
     * {@code s}: its low 4 bits are a nibble of bytes 0..7, its high 2 bits a pair of bytes 8..11.
     */
    static int scaleQ3(MemorySegment w, long s, int k) {
        int low = k < 8 ? u8(w, s + k) & 0xf : u8(w, s + k - 8) >> 4;
        int high = (u8(w, s + 8 + k % 4) >> (2 * (k / 4))) & 3;
        return (low | high << 4) - 32;
    }
}
