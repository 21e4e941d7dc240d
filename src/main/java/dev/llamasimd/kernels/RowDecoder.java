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
    /** Float vectors per 16 bytes of quants. */
    static final int PARTS = 16 / L;

    private RowDecoder() {}

    /** The types whose rows can be decoded (and so multiplied). */
    public static boolean supports(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0 -> true;
            default -> false;
        };
    }

    /** Decodes the {@code cols} values of the row starting at byte {@code offset} into {@code out[o..o+cols)}. */
    public static void decode(GgmlType type, MemorySegment w, long offset, int cols, float[] out, int o) {
        switch (type) {
            case F32 -> MemorySegment.copy(w, Quant.FLOAT_LE, offset, out, o, cols);
            case F16 -> f16(w, offset, cols, out, o);
            case BF16 -> bf16(w, offset, cols, out, o);
            case Q8_0 -> q8_0(w, offset, cols, out, o);
            case Q4_0 -> q4_0(w, offset, cols, out, o);
            default -> throw new UnsupportedOperationException("no kernel for " + type);
        }
    }

    private static void f16(MemorySegment w, long offset, int cols, float[] out, int o) {
        int upper = Vec.loopBound(cols);
        int i = 0;
        for (; i < upper; i += L) {
            f16(w, offset + 2L * i).intoArray(out, o + i);
        }
        for (; i < cols; i++) {
            out[o + i] = Float.float16ToFloat(w.get(Quant.SHORT_LE, offset + 2L * i));
        }
    }

    /** {@link Vec#L} F16 values at byte {@code offset}, widened. */
    static FloatVector f16(MemorySegment w, long offset) {
        return widenF16((IntVector) ShortVector.fromMemorySegment(S, w, offset, LE).convertShape(VectorOperators.S2I, I, 0));
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

    private static void bf16(MemorySegment w, long offset, int cols, float[] out, int o) {
        int upper = Vec.loopBound(cols);
        int i = 0;
        for (; i < upper; i += L) {
            bf16(w, offset + 2L * i).intoArray(out, o + i);
        }
        for (; i < cols; i++) {
            out[o + i] = Quant.bf16ToFloat(w.get(Quant.SHORT_LE, offset + 2L * i));
        }
    }

    /** {@link Vec#L} BF16 values at byte {@code offset}, widened (a shift). */
    static FloatVector bf16(MemorySegment w, long offset) {
        return ((IntVector) ShortVector.fromMemorySegment(S, w, offset, LE).convertShape(VectorOperators.S2I, I, 0))
                .lanewise(VectorOperators.LSHL, 16)
                .reinterpretAsFloats();
    }

    private static void q8_0(MemorySegment w, long offset, int cols, float[] out, int o) {
        for (int b = 0; b < cols / 32; b++) {
            long blk = offset + 34L * b;
            FloatVector d = scale(w, blk);
            for (int half = 0; half < 2; half++) {
                ByteVector q = q8Half(w, blk, half);
                for (int p = 0; p < PARTS; p++) {
                    part(q, p, d).intoArray(out, o + 32 * b + 16 * half + L * p);
                }
            }
        }
    }

    private static void q4_0(MemorySegment w, long offset, int cols, float[] out, int o) {
        for (int b = 0; b < cols / 32; b++) {
            long blk = offset + 18L * b;
            FloatVector d = scale(w, blk);
            ByteVector q = q4Quants(w, blk);
            ByteVector lo = q4Low(q);
            ByteVector hi = q4High(q);
            for (int p = 0; p < PARTS; p++) {
                part(lo, p, d).intoArray(out, o + 32 * b + L * p);
                part(hi, p, d).intoArray(out, o + 32 * b + 16 + L * p);
            }
        }
    }

    /** A block's F16 scale, broadcast. */
    static FloatVector scale(MemorySegment w, long block) {
        return FloatVector.broadcast(F, Float.float16ToFloat(w.get(Quant.SHORT_LE, block)));
    }

    /** Half {@code h} (16 int8 quants) of the Q8_0 block at {@code block}. */
    static ByteVector q8Half(MemorySegment w, long block, int h) {
        return ByteVector.fromMemorySegment(B16, w, block + 2 + 16L * h, LE);
    }

    /** The 16 packed bytes of the Q4_0 block at {@code block}. */
    static ByteVector q4Quants(MemorySegment w, long block) {
        return ByteVector.fromMemorySegment(B16, w, block + 2, LE);
    }

    /** Values 0..15 of a Q4_0 block: low nibbles − 8. */
    static ByteVector q4Low(ByteVector q) {
        return q.and((byte) 0x0f).sub((byte) 8);
    }

    /** Values 16..31 of a Q4_0 block: high nibbles − 8. */
    static ByteVector q4High(ByteVector q) {
        return q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
    }

    /** Lanes {@code [p·L, (p+1)·L)} of 16 int8 values as floats, times the scale. */
    static FloatVector part(ByteVector q, int p, FloatVector d) {
        return ((FloatVector) q.convertShape(VectorOperators.B2F, F, p)).mul(d);
    }
}
