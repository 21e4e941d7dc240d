package dev.llamasimd.kernels;

import dev.llamasimd.tensor.Codec;
import dev.llamasimd.tensor.F16Codec;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Quant;
import java.lang.foreign.MemorySegment;

/**
 * F16 rows: widened by a plain loop over {@link Float#float16ToFloat}, which C2 compiles to the
 * CPU's vector conversion ({@code vcvtph2ps}, 16 values an instruction); that measured about 7×
 * faster than widening with Vector API lane operations (JDK 25 has no F16 conversion there).
 * Exact for every value; a signalling NaN comes back quiet. Decode widens each row into the
 * scratch buffer and multiplies it as an array: one row after the other (interleaving two gained
 * nothing end to end).
 */
final class F16Kernel implements TypeKernel {
    private static final Codec CODEC = new F16Codec();

    @Override
    public GgmlType type() {
        return GgmlType.F16;
    }

    @Override
    public Codec codec() {
        return CODEC;
    }

    @Override
    public void decode(MemorySegment w, long offset, int n, float[] out, int o) {
        for (int i = 0; i < n; i++) {
            out[o + i] = Float.float16ToFloat(w.get(Quant.SHORT_LE, offset + 2L * i));
        }
    }

    @Override
    public float dot(MemorySegment w, long row, int n, float[] x, int xOff, float[] buf) {
        decode(w, row, n, buf, 0);
        return Vec.dot(buf, 0, n, x, xOff);
    }
}
