package dev.llamasimd.kernels;

import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
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

    /*
     * The fixed pairwise reduction: lane i += lane (i + L/2), then L/4, L/8, L/16. The shuffles are
     * constants, one field each, so that C2 intrinsifies every step (a shuffle read from an array
     * is not a constant, and then the sum runs in Java and boxes).
     */
    private static final VectorShuffle<Float> FOLD_2 = fold(2);
    private static final VectorShuffle<Float> FOLD_4 = fold(4);
    private static final VectorShuffle<Float> FOLD_8 = fold(8);
    private static final VectorShuffle<Float> FOLD_16 = fold(16);

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

    /** Lane i takes lane (i + L/divisor) mod L (the identity where L/divisor is 0: that step is skipped). */
    private static VectorShuffle<Float> fold(int divisor) {
        int shift = L / divisor;
        return VectorShuffle.fromOp(F, i -> (i + shift) % L);
    }

    /**
     * Sum of the lanes in a fixed pairwise order, the same in the interpreter, C1 and C2
     * ({@code reduceLanes(ADD)} leaves its order unspecified, so its result may change with the JIT).
     */
    public static float sum(FloatVector v) {
        v = v.add(v.rearrange(FOLD_2));
        v = v.add(v.rearrange(FOLD_4));
        if (L >= 8) {
            v = v.add(v.rearrange(FOLD_8));
        }
        if (L >= 16) {
            v = v.add(v.rearrange(FOLD_16));
        }
        return v.lane(0);
    }

    /** Largest multiple of {@link #L} that is ≤ n. */
    public static int loopBound(int n) {
        return n - n % L;
    }
}
