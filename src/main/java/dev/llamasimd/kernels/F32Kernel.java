package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;

import dev.llamasimd.tensor.Codec;
import dev.llamasimd.tensor.F32Codec;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Quant;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/** F32 rows: loaded as they are; two rows interleaved in decode. */
final class F32Kernel implements TypeKernel {
    private static final Codec CODEC = new F32Codec();

    @Override
    public GgmlType type() {
        return GgmlType.F32;
    }

    @Override
    public Codec codec() {
        return CODEC;
    }

    @Override
    public void decode(MemorySegment w, long offset, int n, float[] out, int o) {
        MemorySegment.copy(w, Quant.FLOAT_LE, offset, out, o, n);
    }

    @Override
    public float dot(MemorySegment w, long row, int n, float[] x, int xOff, float[] buf) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            a0 = FloatVector.fromMemorySegment(F, w, row + 4L * i, LE).fma(FloatVector.fromArray(F, x, xOff + i), a0);
            a1 = FloatVector.fromMemorySegment(F, w, row + 4L * (i + L), LE)
                    .fma(FloatVector.fromArray(F, x, xOff + i + L), a1);
        }
        float s = 0f;
        if (n >= 2 * L) { // buf then holds the L lanes (folded as stored lanes: see Vec.sumStored)
            a0.add(a1).intoArray(buf, 0);
            s = Vec.sumStored(buf);
        }
        for (; i < n; i++) {
            s = Math.fma(w.get(Quant.FLOAT_LE, row + 4L * i), x[xOff + i], s);
        }
        return s;
    }

    @Override
    public void dot2(MemorySegment w, long a, long b, int n, float[] x, int xOff, float[] buf,
                     float[] y, int yA, int yB) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            FloatVector x0 = FloatVector.fromArray(F, x, xOff + i);
            FloatVector x1 = FloatVector.fromArray(F, x, xOff + i + L);
            a0 = FloatVector.fromMemorySegment(F, w, a + 4L * i, LE).fma(x0, a0);
            a1 = FloatVector.fromMemorySegment(F, w, a + 4L * (i + L), LE).fma(x1, a1);
            b0 = FloatVector.fromMemorySegment(F, w, b + 4L * i, LE).fma(x0, b0);
            b1 = FloatVector.fromMemorySegment(F, w, b + 4L * (i + L), LE).fma(x1, b1);
        }
        float sa = 0f;
        float sb = 0f;
        if (n >= 2 * L) { // buf then holds the L lanes (folded as stored lanes: see Vec.sumStored)
            a0.add(a1).intoArray(buf, 0);
            sa = Vec.sumStored(buf);
            b0.add(b1).intoArray(buf, 0);
            sb = Vec.sumStored(buf);
        }
        for (; i < n; i++) {
            sa = Math.fma(w.get(Quant.FLOAT_LE, a + 4L * i), x[xOff + i], sa);
            sb = Math.fma(w.get(Quant.FLOAT_LE, b + 4L * i), x[xOff + i], sb);
        }
        y[yA] = sa;
        y[yB] = sb;
    }
}
