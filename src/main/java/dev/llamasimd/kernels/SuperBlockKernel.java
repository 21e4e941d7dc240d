package dev.llamasimd.kernels;

import dev.llamasimd.tensor.Codec;
import dev.llamasimd.tensor.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * A K-quant kernel whose decode dot multiplies each 256-value super-block with the activations
 * as it unpacks it ({@link #superBlock}), where the vector width allows ({@link #fused}); else it
 * widens rows as its base does ({@link WidenedKernel#dot}, {@link WidenedKernel#dot2}). Fused,
 * the scratch buffer holds the two accumulators of a row at {@code [0, 2L)} (the second row's at
 * {@code [2L, 4L)}) and the super-block's unpacked scales after them, at {@code 64} (and
 * {@code secondScales}).
 */
abstract class SuperBlockKernel extends WidenedKernel {
    /**
     * At 16 lanes, 4^−p for group g, p = (g mod 8)/2 the bit pair its quants take in their byte:
     * Q2_K and Q3_K leave each 2-bit pair in place, 4^p too large, and fold this into the scale.
     */
    static final FloatVector PAIR_SCALE = Vec.L == 16 ? FloatVector.fromArray(Vec.F, new float[] {
            1f, 1f, 0x1p-2f, 0x1p-2f, 0x1p-4f, 0x1p-4f, 0x1p-6f, 0x1p-6f,
            1f, 1f, 0x1p-2f, 0x1p-2f, 0x1p-4f, 0x1p-4f, 0x1p-6f, 0x1p-6f}, 0) : null;

    private final int secondScales;

    SuperBlockKernel(GgmlType type, Codec codec, int secondScales) {
        super(type, codec);
        this.secondScales = secondScales;
    }

    /** Whether {@link #superBlock} runs at this machine's vector width. */
    abstract boolean fused();

    /**
     * Super-block {@code blk} of a row times {@code x[col, col + 256)} into the accumulators at
     * {@code acc[at, at + 2L)}, with {@code acc[sc, ...)} for its unpacked scales.
     */
    abstract void superBlock(MemorySegment w, long blk, float[] x, int col, float[] acc, int at, int sc);

    @Override
    public final float dot(MemorySegment w, long row, int n, float[] x, int xOff, float[] buf) {
        if (!fused()) {
            return super.dot(w, row, n, x, xOff, buf);
        }
        int blockBytes = type().blockBytes;
        Arrays.fill(buf, 0, 2 * Vec.L, 0f);
        for (int b = 0; b < n / 256; b++) {
            superBlock(w, row + (long) blockBytes * b, x, xOff + 256 * b, buf, 0, 64);
        }
        return Vec.sumStored2(buf, 0);
    }

    @Override
    public final void dot2(MemorySegment w, long a, long b, int n, float[] x, int xOff, float[] buf,
                           float[] y, int yA, int yB) {
        if (!fused()) {
            super.dot2(w, a, b, n, x, xOff, buf, y, yA, yB);
            return;
        }
        int blockBytes = type().blockBytes;
        Arrays.fill(buf, 0, 4 * Vec.L, 0f);
        for (int k = 0; k < n / 256; k++) {
            superBlock(w, a + (long) blockBytes * k, x, xOff + 256 * k, buf, 0, 64);
            superBlock(w, b + (long) blockBytes * k, x, xOff + 256 * k, buf, 2 * Vec.L, secondScales);
        }
        y[yA] = Vec.sumStored2(buf, 0);
        y[yB] = Vec.sumStored2(buf, 2 * Vec.L);
    }
}
