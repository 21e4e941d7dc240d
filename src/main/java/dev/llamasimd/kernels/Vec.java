package dev.llamasimd.kernels;

import dev.llamasimd.tensor.Quant;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector species every kernel uses, and a lane reduction whose order we fix ourselves.
 *
 * <p>The species is {@link FloatVector#SPECIES_PREFERRED} unless the system property
 * {@code llamasimd.vectorBits} (128, 256 or 512) asks for a narrower one, which lets the tests
 * exercise every width on one machine.
 */
public final class Vec {
    public static final VectorSpecies<Float> F = chooseSpecies();
    /** Float lanes per vector. */
    public static final int L = F.length();
    public static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Short lanes matching the float lanes (16-bit values are widened lane for lane). */
    static final VectorSpecies<Short> S = ShortVector.SPECIES_64.withShape(VectorShape.forBitSize(L * 16));
    /** Int lanes matching the float lanes. */
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED.withShape(F.vectorShape());
    /** 16 bytes: the unit quantised kernels load, widened to float in {@link #PARTS} parts. */
    static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    /** Float vectors per 16 bytes of quants. */
    static final int PARTS = 16 / L;
    /**
     * {@link #L} bytes, which widen to one vector of int lanes as part 0 ({@code null} below 8
     * lanes: there is no 32-bit byte vector). The fused K-quant kernels load their quants with it
     * at the byte a vector needs, so that no conversion takes a part number.
     */
    static final VectorSpecies<Byte> BL = L >= 8 ? ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(8 * L)) : null;
    /** Byte lane j takes byte j/8 (Q5_0/Q5_1: the byte of 32 high bits that holds value j's, for values 0..15). */
    static final VectorShuffle<Byte> HIGH_BITS_LOW =
            VectorShuffle.fromArray(B16, new int[] {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1}, 0);
    /** Byte lane j takes byte 2 + j/8 (the same for values 16..31). */
    static final VectorShuffle<Byte> HIGH_BITS_HIGH =
            VectorShuffle.fromArray(B16, new int[] {2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3}, 0);
    /** Lane j holds j mod 8: the bit of its byte that lane j's high bit is. */
    static final ByteVector BIT_OF_LANE =
            ByteVector.fromArray(B16, new byte[] {0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7}, 0);

    /*
     * The fixed pairwise reduction of a vector's lanes: lane i += lane (i + L/2), then L/4, L/8,
     * L/16 (a step whose shift is 0 at this width is skipped), then lane 0. Each kernel writes it
     * out where it sums, in these five lines, instead of calling a helper with its vector:
     *
     *     acc = acc.add(acc.rearrange(FOLD_2));
     *     acc = acc.add(acc.rearrange(FOLD_4));
     *     acc = L >= 8 ? acc.add(acc.rearrange(FOLD_8)) : acc;
     *     acc = L >= 16 ? acc.add(acc.rearrange(FOLD_16)) : acc;
     *     float s = acc.lane(0);
     *
     * A vector passed to a method C2 does not inline is boxed on the heap, and C2 stops inlining
     * where a caller grows large (Llama.forward inlines RMSNorm; when it had called a sum helper,
     * some of its compilations boxed the accumulator of every row). No method of ours takes or
     * returns a vector (VectorBoundaryTest). The shuffles are constants, one field each, so that
     * C2 intrinsifies every step (a shuffle read from an array is not a constant, and then the
     * sum runs in Java and boxes). {@link #sumStored2} folds stored lanes in the same order.
     */
    static final VectorShuffle<Float> FOLD_2 = VectorShuffle.fromOp(F, i -> (i + L / 2) % L);
    static final VectorShuffle<Float> FOLD_4 = VectorShuffle.fromOp(F, i -> (i + L / 4) % L);
    static final VectorShuffle<Float> FOLD_8 = VectorShuffle.fromOp(F, i -> (i + L / 8) % L);
    static final VectorShuffle<Float> FOLD_16 = VectorShuffle.fromOp(F, i -> (i + L / 16) % L);

    private Vec() {}

    private static VectorSpecies<Float> chooseSpecies() {
        String bits = System.getProperty("llamasimd.vectorBits");
        if (bits == null || bits.isBlank()) {
            return FloatVector.SPECIES_PREFERRED;
        }
        int b = Integer.parseInt(bits.trim());
        if (b != 128 && b != 256 && b != 512) {
            throw new IllegalArgumentException("llamasimd.vectorBits must be 128, 256 or 512, not " + bits);
        }
        int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        return FloatVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(Math.min(b, preferred)));
    }

    /**
     * The dot product of {@code w[wOff..wOff+n)} and {@code x[xOff..xOff+n)} in the single-token
     * order: pairs of vectors into two accumulators, lanes summed by the fixed fold ({@link #FOLD_2}), scalar tail.
     */
    static float dot(float[] w, int wOff, int n, float[] x, int xOff) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            a0 = FloatVector.fromArray(F, w, wOff + i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
            a1 = FloatVector.fromArray(F, w, wOff + i + L).fma(FloatVector.fromArray(F, x, xOff + i + L), a1);
        }
        FloatVector acc = a0.add(a1);
        acc = acc.add(acc.rearrange(FOLD_2));
        acc = acc.add(acc.rearrange(FOLD_4));
        acc = L >= 8 ? acc.add(acc.rearrange(FOLD_8)) : acc;
        acc = L >= 16 ? acc.add(acc.rearrange(FOLD_16)) : acc;
        float s = acc.lane(0);
        for (; i < n; i++) {
            s = Math.fma(w[wOff + i], x[xOff + i], s);
        }
        return s;
    }

    /** The little-endian F16 at byte {@code at}, as a float (block scales). */
    static float f16(MemorySegment w, long at) {
        return Float.float16ToFloat(w.get(Quant.SHORT_LE, at));
    }

    /**
     * The fixed pairwise fold (see {@link #FOLD_2}) of {@code a0 + a1}, whose lanes were stored
     * in {@code acc[at..at+L)} and {@code acc[at+L..at+2L)} (overwritten): the two accumulators
     * of a kernel that keeps them in an array between calls, bit for bit what folding the vector
     * {@code a0.add(a1)} gives.
     */
    static float sumStored2(float[] acc, int at) {
        for (int i = 0; i < L; i++) {
            acc[at + i] += acc[at + L + i];
        }
        return fold(acc, at);
    }

    /**
     * The fixed pairwise fold of the vector whose lanes were stored in {@code lanes[0..L)}
     * (overwritten), bit for bit what the vector fold gives: for kernels whose accumulators
     * already pass through an array.
     */
    static float sumStored(float[] lanes) {
        return fold(lanes, 0);
    }

    /** The pairwise order over the L lanes stored at {@code lanes[at..at+L)}. */
    private static float fold(float[] lanes, int at) {
        for (int h = L / 2; h >= 1; h /= 2) {
            for (int i = 0; i < h; i++) {
                lanes[at + i] += lanes[at + i + h];
            }
        }
        return lanes[at];
    }

    /** Largest multiple of {@link #L} that is ≤ n. */
    public static int loopBound(int n) {
        return n - n % L;
    }
}
