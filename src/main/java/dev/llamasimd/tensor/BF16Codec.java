package dev.llamasimd.tensor;

import java.lang.foreign.MemorySegment;

/** BF16: the upper 16 bits of a binary32, 2 bytes a value; encoded as ggml's {@code ggml_fp32_to_bf16}. */
public final class BF16Codec implements Codec {
    @Override
    public GgmlType type() {
        return GgmlType.BF16;
    }

    @Override
    public void dequantize(MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = Quant.bf16ToFloat(src.get(Quant.SHORT_LE, offset + 2L * i));
        }
    }

    @Override
    public void quantize(float[] src, int srcOff, int n, MemorySegment dst, long offset) {
        for (int i = 0; i < n; i++) {
            dst.set(Quant.SHORT_LE, offset + 2L * i, Quant.floatToBf16(src[srcOff + i]));
        }
    }
}
