package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.I;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;
import static dev.llamasimd.kernels.Vec.S;

import dev.llamasimd.tensor.BF16Codec;
import dev.llamasimd.tensor.Codec;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Quant;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/** BF16 rows: each value widened lane for lane (shifted into the upper half of a float); two rows interleaved in decode. */
final class BF16Kernel implements TypeKernel {
    private static final Codec CODEC = new BF16Codec();

    @Override
    public GgmlType type() {
        return GgmlType.BF16;
    }

    @Override
    public Codec codec() {
        return CODEC;
    }

    @Override
    public void decode(MemorySegment w, long offset, int n, float[] out, int o) {
        int upper = Vec.loopBound(n);
        int i = 0;
        for (; i < upper; i += L) {
            ((IntVector) ShortVector.fromMemorySegment(S, w, offset + 2L * i, LE).convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(out, o + i);
        }
        for (; i < n; i++) {
            out[o + i] = Quant.bf16ToFloat(w.get(Quant.SHORT_LE, offset + 2L * i));
        }
    }

    @Override
    public float dot(MemorySegment w, long row, int n, float[] x, int xOff, float[] buf) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            a0 = ((IntVector) ShortVector.fromMemorySegment(S, w, row + 2L * i, LE)
                    .convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xOff + i), a0);
            a1 = ((IntVector) ShortVector.fromMemorySegment(S, w, row + 2L * (i + L), LE)
                    .convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, xOff + i + L), a1);
        }
        float s = 0f;
        if (n >= 2 * L) { // buf then holds the L lanes (folded as stored lanes: see Vec.sumStored)
            a0.add(a1).intoArray(buf, 0);
            s = Vec.sumStored(buf);
        }
        for (; i < n; i++) {
            s = Math.fma(Quant.bf16ToFloat(w.get(Quant.SHORT_LE, row + 2L * i)), x[xOff + i], s);
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
            a0 = ((IntVector) ShortVector.fromMemorySegment(S, w, a + 2L * i, LE)
                    .convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x0, a0);
            a1 = ((IntVector) ShortVector.fromMemorySegment(S, w, a + 2L * (i + L), LE)
                    .convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x1, a1);
            b0 = ((IntVector) ShortVector.fromMemorySegment(S, w, b + 2L * i, LE)
                    .convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x0, b0);
            b1 = ((IntVector) ShortVector.fromMemorySegment(S, w, b + 2L * (i + L), LE)
                    .convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x1, b1);
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
            sa = Math.fma(Quant.bf16ToFloat(w.get(Quant.SHORT_LE, a + 2L * i)), x[xOff + i], sa);
            sb = Math.fma(Quant.bf16ToFloat(w.get(Quant.SHORT_LE, b + 2L * i)), x[xOff + i], sb);
        }
        y[yA] = sa;
        y[yB] = sb;
    }
}
