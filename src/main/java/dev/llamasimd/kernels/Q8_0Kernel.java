package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.B16;
import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;
import static dev.llamasimd.kernels.Vec.PARTS;

import dev.llamasimd.tensor.Codec;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Q8_0Codec;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q8_0 rows (blocks of an F16 scale and 32 signed bytes): each half block is widened in
 * {@link Vec#PARTS} float vectors and scaled. 32 values are an even number of vectors, so no
 * tail. With 16 lanes a half block is one vector and decode interleaves two rows; narrower
 * vectors take one row at a time (with two, C2 did not unroll the part loop and boxed vectors).
 */
final class Q8_0Kernel implements TypeKernel {
    private static final Codec CODEC = new Q8_0Codec();

    @Override
    public GgmlType type() {
        return GgmlType.Q8_0;
    }

    @Override
    public Codec codec() {
        return CODEC;
    }

    @Override
    public void decode(MemorySegment w, long offset, int n, float[] out, int o) {
        for (int b = 0; b < n / 32; b++) {
            long blk = offset + 34L * b;
            float d = Vec.f16(w, blk);
            for (int half = 0; half < 2; half++) {
                ByteVector q = ByteVector.fromMemorySegment(B16, w, blk + 2 + 16L * half, LE);
                for (int p = 0; p < PARTS; p++) {
                    ((FloatVector) q.convertShape(VectorOperators.B2F, F, p)).mul(d)
                            .intoArray(out, o + 32 * b + 16 * half + L * p);
                }
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long row, int n, float[] x, int xOff, float[] buf) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        for (int k = 0; k < n / 32; k++) {
            long blk = row + 34L * k;
            float d = Vec.f16(w, blk);
            int xb = xOff + 32 * k;
            for (int half = 0; half < 2; half++) {
                ByteVector q = ByteVector.fromMemorySegment(B16, w, blk + 2 + 16L * half, LE);
                for (int p = 0; p < PARTS; p++) {
                    FloatVector v = ((FloatVector) q.convertShape(VectorOperators.B2F, F, p)).mul(d);
                    FloatVector xv = FloatVector.fromArray(F, x, xb + 16 * half + L * p);
                    // vector number (16·half + L·p)/L within the block: even ones to a0, odd to a1
                    if (((16 * half / L + p) & 1) == 0) {
                        a0 = v.fma(xv, a0);
                    } else {
                        a1 = v.fma(xv, a1);
                    }
                }
            }
        }
        a0.add(a1).intoArray(buf, 0); // folded as stored lanes: see Vec.sumStored
        return Vec.sumStored(buf);
    }

    @Override
    public void dot2(MemorySegment w, long a, long b, int n, float[] x, int xOff, float[] buf,
                     float[] y, int yA, int yB) {
        if (PARTS != 1) {
            y[yA] = dot(w, a, n, x, xOff, buf);
            y[yB] = dot(w, b, n, x, xOff, buf);
            return;
        }
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        for (int k = 0; k < n / 32; k++) {
            long ka = a + 34L * k;
            long kb = b + 34L * k;
            float da = Vec.f16(w, ka);
            float db = Vec.f16(w, kb);
            int xb = xOff + 32 * k;
            // one vector per 16 quants: the first half to a0/b0, the second to a1/b1
            FloatVector x0 = FloatVector.fromArray(F, x, xb);
            FloatVector x1 = FloatVector.fromArray(F, x, xb + 16);
            a0 = ((FloatVector) ByteVector.fromMemorySegment(B16, w, ka + 2, LE)
                    .convertShape(VectorOperators.B2F, F, 0)).mul(da).fma(x0, a0);
            a1 = ((FloatVector) ByteVector.fromMemorySegment(B16, w, ka + 18, LE)
                    .convertShape(VectorOperators.B2F, F, 0)).mul(da).fma(x1, a1);
            b0 = ((FloatVector) ByteVector.fromMemorySegment(B16, w, kb + 2, LE)
                    .convertShape(VectorOperators.B2F, F, 0)).mul(db).fma(x0, b0);
            b1 = ((FloatVector) ByteVector.fromMemorySegment(B16, w, kb + 18, LE)
                    .convertShape(VectorOperators.B2F, F, 0)).mul(db).fma(x1, b1);
        }
        a0.add(a1).intoArray(buf, 0);
        y[yA] = Vec.sumStored(buf);
        b0.add(b1).intoArray(buf, 0);
        y[yB] = Vec.sumStored(buf);
    }
}
