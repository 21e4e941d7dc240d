package dev.llamasimd.tensor;

import java.lang.foreign.MemorySegment;

/** F32: little-endian IEEE binary32, 4 bytes a value. */
public final class F32Codec implements Codec {
    @Override
    public GgmlType type() {
        return GgmlType.F32;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        MemorySegment.copy(src, Quant.FLOAT_LE, offset, dst, dstOff, n);
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        MemorySegment.copy(src, srcOff, dst, Quant.FLOAT_LE, offset, n);
    }
}
