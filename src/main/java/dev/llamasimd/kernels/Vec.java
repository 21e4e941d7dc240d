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

    /** Shuffles for the fixed pairwise reduction: lane i += lane (i + L/2), then L/4, ..., 1. */
    private static final VectorShuffle<Float>[] FOLDS = folds();

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

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] folds() {
        int steps = Integer.numberOfTrailingZeros(L);
        VectorShuffle<Float>[] s = new VectorShuffle[steps];
        for (int k = 0; k < steps; k++) {
            int half = L >> (k + 1);
            s[k] = VectorShuffle.fromOp(F, i -> (i + half) % L);
        }
        return s;
    }

    /**
     * Sum of the lanes in a fixed pairwise order, the same in the interpreter, C1 and C2
     * ({@code reduceLanes(ADD)} leaves its order unspecified, so its result may change with the JIT).
     */
    public static float sum(FloatVector v) {
        for (VectorShuffle<Float> fold : FOLDS) {
            v = v.add(v.rearrange(fold));
        }
        return v.lane(0);
    }

    /** Largest multiple of {@link #L} that is ≤ n. */
    public static int loopBound(int n) {
        return n - n % L;
    }
}
