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
 * Widens one weight row of any supported type to float32, vectorised. Its results are
 * bit-identical to {@link Quant#dequantize}, the scalar twin: every value is {@code d · q} or an
 * exact conversion, so the order of operations cannot differ.
 *
 * <p>Kernels here and in {@link Dot} spell out their vector code instead of sharing small
 * helpers that take or return vectors: when such a helper is compiled on its own first, the JIT
 * may refuse to inline it later, and every vector crossing the call is then boxed on the heap.
 */
public final class RowDecoder {
    /** Short lanes matching the float lanes (BF16 is widened lane for lane). */
    static final VectorSpecies<Short> S = ShortVector.SPECIES_64.withShape(VectorShape.forBitSize(L * 16));
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED.withShape(F.vectorShape());
    /** 16 bytes: one Q4_0 block's quants, or half a Q8_0 block; widened to float in 16/L parts. */
    static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
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

    /**
     * IEEE binary16 to float. A plain loop over {@link Float#float16ToFloat}: C2 compiles it to the
     * CPU's vector conversion ({@code vcvtph2ps}, 16 values an instruction), which measured about
     * 7× faster than widening with Vector API lane operations (JDK 25 has no F16 conversion
     * there). Exact for every value; a signalling NaN comes back quiet.
     */
    private static void f16(MemorySegment w, long offset, int cols, float[] out, int o) {
        for (int i = 0; i < cols; i++) {
            out[o + i] = Float.float16ToFloat(w.get(Quant.SHORT_LE, offset + 2L * i));
        }
    }

    private static void bf16(MemorySegment w, long offset, int cols, float[] out, int o) {
        int upper = Vec.loopBound(cols);
        int i = 0;
        for (; i < upper; i += L) {
            ((IntVector) ShortVector.fromMemorySegment(S, w, offset + 2L * i, LE).convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(out, o + i);
        }
        for (; i < cols; i++) {
            out[o + i] = Quant.bf16ToFloat(w.get(Quant.SHORT_LE, offset + 2L * i));
        }
    }

    private static void q8_0(MemorySegment w, long offset, int cols, float[] out, int o) {
        for (int b = 0; b < cols / 32; b++) {
            long blk = offset + 34L * b;
            float d = scale(w, blk);
            for (int half = 0; half < 2; half++) {
                ByteVector q = ByteVector.fromMemorySegment(B16, w, blk + 2 + 16L * half, LE);
                for (int p = 0; p < PARTS; p++) {
                    ((FloatVector) q.convertShape(VectorOperators.B2F, F, p)).mul(d)
                            .intoArray(out, o + 32 * b + 16 * half + L * p);
                }
            }
        }
    }

    /** Q4_0: values 0..15 of a block are the low nibbles − 8, values 16..31 the high ones. */
    private static void q4_0(MemorySegment w, long offset, int cols, float[] out, int o) {
        for (int b = 0; b < cols / 32; b++) {
            long blk = offset + 18L * b;
            float d = scale(w, blk);
            ByteVector q = ByteVector.fromMemorySegment(B16, w, blk + 2, LE);
            for (int p = 0; p < PARTS; p++) {
                IntVector packed = (IntVector) q.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, p);
                ((FloatVector) packed.and(0x0f).sub(8).convert(VectorOperators.I2F, 0)).mul(d)
                        .intoArray(out, o + 32 * b + L * p);
                ((FloatVector) packed.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0)).mul(d)
                        .intoArray(out, o + 32 * b + 16 + L * p);
            }
        }
    }

    /** The F16 scale of the Q8_0/Q4_0 block at byte {@code block}. */
    static float scale(MemorySegment w, long block) {
        return Float.float16ToFloat(w.get(Quant.SHORT_LE, block));
    }
}
