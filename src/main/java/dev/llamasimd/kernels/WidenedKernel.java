package dev.llamasimd.kernels;

import dev.llamasimd.tensor.Codec;
import dev.llamasimd.tensor.GgmlType;
import java.lang.foreign.MemorySegment;

/**
 * A kernel whose decode dot product widens the row into the scratch buffer with its own
 * {@link #decode}, then multiplies it as an array ({@link Vec#dot}): for the types whose widening
 * is too involved to fuse with the multiplication profitably, one row after the other, and for
 * the K-quants where the vector width is too narrow to fuse it ({@link SuperBlockKernel}).
 */
abstract class WidenedKernel implements TypeKernel {
    private final GgmlType type;
    private final Codec codec;

    WidenedKernel(GgmlType type, Codec codec) {
        this.type = type;
        this.codec = codec;
    }

    @Override
    public final GgmlType type() {
        return type;
    }

    @Override
    public final Codec codec() {
        return codec;
    }

    @Override
    public float dot(MemorySegment w, long row, int n, float[] x, int xOff, float[] buf) {
        decode(w, row, n, buf, 0);
        return Vec.dot(buf, 0, n, x, xOff);
    }
}
