package dev.llamasimd.kernels;

import dev.llamasimd.tensor.F16Codec;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Quant;
import java.lang.foreign.MemorySegment;

/**
 * F16 rows: widened by a plain loop over {@link Float#float16ToFloat}, which C2 compiles to the
 * CPU's vector conversion ({@code vcvtph2ps}, 16 values an instruction); that measured about 7×
 * faster than widening with Vector API lane operations (JDK 25 has no F16 conversion there).
 * Exact for every value; a signalling NaN comes back quiet. Decode widens rows into the scratch
 * buffer and multiplies them as arrays, two rows taking turns ({@link WidenedKernel#dot2}).
 * (Converting in int lanes as it multiplies, with no round trip through the buffer, took 12
 * vector operations per 16 values and decoded at 4.0 tokens/s, where widening whole rows did 6.8.)
 */
final class F16Kernel extends WidenedKernel {
    F16Kernel() {
        super(GgmlType.F16, new F16Codec());
    }

    @Override
    public void decode(MemorySegment w, long offset, int n, float[] out, int o) {
        for (int i = 0; i < n; i++) {
            out[o + i] = Float.float16ToFloat(w.get(Quant.SHORT_LE, offset + 2L * i));
        }
    }
}
