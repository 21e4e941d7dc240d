package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.B16;
import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;
import static dev.llamasimd.kernels.Vec.PARTS;

import dev.llamasimd.tensor.Codec;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.IQ4_XSCodec;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * IQ4_XS rows (super-blocks of 256 values in 136 bytes: F16 {@code d}, 6-bit scales split over
 * {@code scales_h} and {@code scales_l}, 128 bytes of nibbles; see {@link IQ4_XSCodec}): like
 * IQ4_NL per 32-value sub-block, with {@code d·(ls − 32)} as the sub-block scale.
 */
final class IQ4_XSKernel implements TypeKernel {
    private static final Codec CODEC = new IQ4_XSCodec();

    private static final ByteVector TABLE = ByteVector.fromArray(B16, IQ4_NLKernel.LEVELS, 0);

    @Override
    public GgmlType type() {
        return GgmlType.IQ4_XS;
    }

    @Override
    public Codec codec() {
        return CODEC;
    }

    @Override
    public void decode(MemorySegment w, long offset, int n, float[] out, int o) {
        for (int b = 0; b < n / 256; b++) {
            long blk = offset + 136L * b;
            float d = Vec.f16(w, blk);
            int scalesH = KScales.u8(w, blk + 2) | KScales.u8(w, blk + 3) << 8;
            for (int j = 0; j < 8; j++) {
                int ls = ((KScales.u8(w, blk + 4 + j / 2) >> (4 * (j % 2))) & 0xf) | (((scalesH >> (2 * j)) & 3) << 4);
                float dl = d * (ls - 32);
                ByteVector q = ByteVector.fromMemorySegment(B16, w, blk + 8 + 16L * j, LE);
                ByteVector lo = q.and((byte) 0x0f).selectFrom(TABLE);
                ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).selectFrom(TABLE);
                int at = o + 256 * b + 32 * j;
                for (int part = 0; part < PARTS; part++) {
                    ((FloatVector) lo.convertShape(VectorOperators.B2F, F, part)).mul(dl).intoArray(out, at + L * part);
                    ((FloatVector) hi.convertShape(VectorOperators.B2F, F, part)).mul(dl).intoArray(out, at + 16 + L * part);
                }
            }
        }
    }

    /** Multiplies as it widens, as {@link IQ4_NLKernel#dot} with a scale per 32-value sub-block. */
    @Override
    public float dot(MemorySegment w, long row, int n, float[] x, int xOff, float[] buf) {
        if (PARTS > 2) {
            decode(w, row, n, buf, 0);
            return Vec.dot(buf, 0, n, x, xOff);
        }
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        for (int b = 0; b < n / 256; b++) {
            long blk = row + 136L * b;
            float d = Vec.f16(w, blk);
            int scalesH = KScales.u8(w, blk + 2) | KScales.u8(w, blk + 3) << 8;
            for (int j = 0; j < 8; j++) {
                int ls = ((KScales.u8(w, blk + 4 + j / 2) >> (4 * (j % 2))) & 0xf) | (((scalesH >> (2 * j)) & 3) << 4);
                float dl = d * (ls - 32);
                int xb = xOff + 256 * b + 32 * j;
                ByteVector q = ByteVector.fromMemorySegment(B16, w, blk + 8 + 16L * j, LE);
                ByteVector lo = q.and((byte) 0x0f).selectFrom(TABLE);
                ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).selectFrom(TABLE);
                for (int p = 0; p < PARTS; p++) {
                    FloatVector vl = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, p)).mul(dl);
                    FloatVector vh = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, p)).mul(dl);
                    FloatVector xl = FloatVector.fromArray(F, x, xb + L * p);
                    FloatVector xh = FloatVector.fromArray(F, x, xb + 16 + L * p);
                    if (PARTS == 1) {
                        a0 = vl.fma(xl, a0);
                        a1 = vh.fma(xh, a1);
                    } else if (p == 0) {
                        a0 = vl.fma(xl, a0);
                        a0 = vh.fma(xh, a0);
                    } else {
                        a1 = vl.fma(xl, a1);
                        a1 = vh.fma(xh, a1);
                    }
                }
            }
        }
        a0.add(a1).intoArray(buf, 0); // folded as stored lanes: see Vec.sumStored
        return Vec.sumStored(buf);
    }
}
