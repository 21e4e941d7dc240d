package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.L;
import static dev.llamasimd.kernels.Vec.LE;

import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Quant;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Widens one weight row of any supported type to float32 lanes, vectorised. Its results are
 * bit-identical to {@link Quant#dequantize}, the scalar twin: every value is {@code d * q} or an
 * exact conversion, so the order of operations cannot differ.
 */
public final class RowDecoder {
    /** Short lanes matching the float lanes (F16/BF16 are widened lane for lane). */
    private static final VectorSpecies<Short> S =
            ShortVector.SPECIES_64.withShape(VectorShape.forBitSize(L * 16));
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED.withShape(F.vectorShape());
    /** 16 bytes: one Q4_0 block's quants, or half a Q8_0 block; widened to float in 16/L parts. */
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final int PARTS = 16 / L;

    private RowDecoder() {}

    /** The types whose rows can be decoded (and so multiplied). */
    public static boolean supports(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0 -> true;
            default -> false;
        };
    }

    /** Decodes the {@code cols} values of the row starting at byte {@code offset} into {@code out[0..cols)}. */
    public static void decode(GgmlType type, MemorySegment w, long offset, int cols, float[] out) {
        switch (type) {
            case F32 -> MemorySegment.copy(w, Quant.FLOAT_LE, offset, out, 0, cols);
            case F16 -> f16(w, offset, cols, out);
            case BF16 -> bf16(w, offset, cols, out);
            case Q8_0 -> q8_0(w, offset, cols, out);
            case Q4_0 -> q4_0(w, offset, cols, out);
            default -> throw new UnsupportedOperationException("no kernel for " + type);
        }
    }

    private static void f16(MemorySegment w, long offset, int cols, float[] out) {
        int upper = Vec.loopBound(cols);
        int i = 0;
        for (; i < upper; i += L) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S, w, offset + 2L * i, LE)
                    .convertShape(VectorOperators.S2I, I, 0);
            widenF16(h).intoArray(out, i);
        }
        for (; i < cols; i++) {
            out[i] = Float.float16ToFloat(w.get(Quant.SHORT_LE, offset + 2L * i));
        }
    }

    /**
     * IEEE binary16 bits (in the low 16 bits of each int lane) to float: exponent and mantissa
     * moved into place and rescaled by 2^112, which is exact for normal and subnormal values; the
     * all-ones exponent (inf, NaN) is set explicitly; the sign is put back last.
     */
    static FloatVector widenF16(IntVector h) {
        IntVector magnitude = h.and(0x7fff);
        IntVector shifted = magnitude.lanewise(VectorOperators.LSHL, 13);
        FloatVector scaled = shifted.reinterpretAsFloats().mul(0x1p112f);
        IntVector bits = scaled.reinterpretAsInts();
        bits = bits.blend(shifted.or(0x7f800000), magnitude.compare(VectorOperators.GE, 0x7c00));
        return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    private static void bf16(MemorySegment w, long offset, int cols, float[] out) {
        int upper = Vec.loopBound(cols);
        int i = 0;
        for (; i < upper; i += L) {
            ShortVector s = ShortVector.fromMemorySegment(S, w, offset + 2L * i, LE);
            ((IntVector) s.convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16)
                    .reinterpretAsFloats()
                    .intoArray(out, i);
        }
        for (; i < cols; i++) {
            out[i] = Quant.bf16ToFloat(w.get(Quant.SHORT_LE, offset + 2L * i));
        }
    }

    private static void q8_0(MemorySegment w, long offset, int cols, float[] out) {
        for (int b = 0; b < cols / 32; b++) {
            long blk = offset + 34L * b;
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(w.get(Quant.SHORT_LE, blk)));
            for (int half = 0; half < 2; half++) {
                ByteVector q = ByteVector.fromMemorySegment(B16, w, blk + 2 + 16 * half, LE);
                for (int p = 0; p < PARTS; p++) {
                    ((FloatVector) q.convertShape(VectorOperators.B2F, F, p))
                            .mul(d)
                            .intoArray(out, 32 * b + 16 * half + L * p);
                }
            }
        }
    }

    private static void q4_0(MemorySegment w, long offset, int cols, float[] out) {
        for (int b = 0; b < cols / 32; b++) {
            long blk = offset + 18L * b;
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(w.get(Quant.SHORT_LE, blk)));
            ByteVector q = ByteVector.fromMemorySegment(B16, w, blk + 2, LE);
            ByteVector lo = q.and((byte) 0x0f).sub((byte) 8);
            ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
            for (int p = 0; p < PARTS; p++) {
                ((FloatVector) lo.convertShape(VectorOperators.B2F, F, p)).mul(d).intoArray(out, 32 * b + L * p);
                ((FloatVector) hi.convertShape(VectorOperators.B2F, F, p)).mul(d).intoArray(out, 32 * b + 16 + L * p);
            }
        }
    }
}
