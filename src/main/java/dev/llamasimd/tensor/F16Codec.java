package dev.llamasimd.tensor;

import java.lang.foreign.MemorySegment;

/** F16: little-endian IEEE binary16, 2 bytes a value; encoded round to nearest even. */
public final class F16Codec implements Codec {
    @Override
    public GgmlType type() {
        return GgmlType.F16;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = Float.float16ToFloat(src.get(Quant.SHORT_LE, offset + 2L * i));
        }
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        for (int i = 0; i < n; i++) {
            dst.set(Quant.SHORT_LE, offset + 2L * i, Float.floatToFloat16(src[srcOff + i]));
        }
    }
}
