package dev.llamasimd.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Quant;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Every Vector API kernel against its scalar twin on random shapes, including lengths that are
 * not multiples of the vector width ({@link Vec#L}) or of the quantisation block.
 */
class KernelPropertiesTest {
    static final GgmlType[] TYPES = TypeKernels.types().toArray(GgmlType[]::new);

    @Provide
    Arbitrary<GgmlType> types() {
        return Arbitraries.of(TYPES);
    }

    static float[] gaussian(Random rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextGaussian() * scale);
        }
        return a;
    }

    static MemorySegment encode(GgmlType type, float[] values, int rows, int cols, Arena arena) {
        MemorySegment seg = arena.allocate(type.bytesFor((long) rows * cols), 64);
        for (int r = 0; r < rows; r++) {
            Quant.quantize(type, values, r * cols, cols, seg, r * type.bytesFor(cols));
        }
        return seg;
    }

    /** Quantised types need whole blocks (32 values, or 256 for the K-quants and IQ4_XS); the others take any length. */
    static int cols(GgmlType type, int n) {
        int b = type.blockSize;
        return b * Math.max(1, (n + b - 1) / b);
    }

    @Property(tries = 300)
    void decodeIsBitExactWithScalarDequantize(@ForAll("types") GgmlType type,
                                              @ForAll @IntRange(min = 1, max = 800) int n,
                                                  @ForAll long seed) {
        int cols = cols(type, n);
        Random rnd = new Random(seed);
        float[] v = gaussian(rnd, cols, Math.exp(rnd.nextGaussian() * 3));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = encode(type, v, 1, cols, arena);
            float[] simd = new float[cols];
            float[] scalar = new float[cols];
            TypeKernels.of(type).decode(seg, 0, cols, simd, 0);
            Quant.dequantize(type, seg, 0, scalar, 0, cols);
            assertArrayEquals(scalar, simd);
        }
    }

    @Test
    void f16WidensEveryBitPatternExactly() {
        try (Arena arena = Arena.ofConfined()) {
            int n = 1 << 16;
            MemorySegment seg = arena.allocate(2L * n);
            for (int i = 0; i < n; i++) {
                seg.set(Quant.SHORT_LE, 2L * i, (short) i);
            }
            float[] simd = new float[n];
            TypeKernels.of(GgmlType.F16).decode(seg, 0, n, simd, 0);
            for (int i = 0; i < n; i++) {
                float expected = Float.float16ToFloat((short) i);
                if (Float.isNaN(expected)) {
                    // Float.float16ToFloat itself quiets a signalling NaN when intrinsified and not
                    // when interpreted, so only NaN-ness is defined for these patterns.
                    assertTrue(Float.isNaN(simd[i]), "f16 bits " + Integer.toHexString(i));
                    continue;
                }
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(simd[i]),
                        "f16 bits " + Integer.toHexString(i));
            }
        }
    }

    @Property(tries = 200)
    void matmulEqualsScalarTwin(@ForAll("types") GgmlType type,
                                @ForAll @IntRange(min = 1, max = 200) int n,
                                @ForAll @IntRange(min = 1, max = 9) int rows,
                                @ForAll @IntRange(min = 1, max = 11) int T,
                                @ForAll long seed) {
        int cols = cols(type, n);
        Random rnd = new Random(seed);
        float[] w = gaussian(rnd, rows * cols, 0.5);
        float[] x = gaussian(rnd, T * cols, 1.0);
        int r0 = rnd.nextInt(rows);
        int r1 = r0 + 1 + rnd.nextInt(rows - r0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = encode(type, w, rows, cols, arena);
            float[] y = new float[T * rows];
            Matmul.rows(TypeKernels.of(type), seg, cols, x, 0, T, y, 0, rows, r0, r1, new float[cols * (2 + rnd.nextInt(4)) + rnd.nextInt(cols)]);
            ScalarKernels.Product exact = ScalarKernels.matmul(type, seg, rows, cols, x, T);
            double[] expected = exact.y();
            double[] magnitude = exact.magnitude();
            for (int t = 0; t < T; t++) {
                for (int r = 0; r < rows; r++) {
                    int i = t * rows + r;
                    if (r < r0 || r >= r1) {
                        assertEquals(0f, y[i], "row outside [r0, r1) written");
                    } else {
                        double bound = 1e-6 * magnitude[i] * Math.sqrt(cols) + 1e-30;
                        assertTrue(Math.abs(y[i] - expected[i]) <= bound,
                                type + " cols " + cols + " t " + t + " r " + r + ": " + y[i] + " vs " + expected[i]);
                    }
                }
            }
        }
    }

    /**
     * The decode rows of a batch across sequences ({@link Matmul#each} of several tokens: each
     * row widened once, then multiplied with every token) give each token bit for bit what it
     * gets alone (the fused single-token dot), for every type, any row range and token count,
     * rows of several widened panels and row counts across several widened blocks included.
     */
    @Property(tries = 200)
    void eachTokenOfADecodeBatchIsBitExactWithItsSingleTokenDot(@ForAll("types") GgmlType type,
                                                                 @ForAll @IntRange(min = 1, max = 700) int n,
                                                                 @ForAll @IntRange(min = 1, max = 40) int rows,
                                                                 @ForAll @IntRange(min = 2, max = 11) int T,
                                                                 @ForAll boolean wide,
                                                                 @ForAll long seed) {
        int cols = cols(type, wide ? 7 * n : n);
        Random rnd = new Random(seed);
        float[] w = gaussian(rnd, rows * cols, 0.5);
        float[] x = gaussian(rnd, T * cols, 1.0);
        int r0 = rnd.nextInt(rows);
        int r1 = r0 + 1 + rnd.nextInt(rows - r0);
        TypeKernel kernel = TypeKernels.of(type);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = encode(type, w, rows, cols, arena);
            float[] batched = new float[T * rows];
            Matmul.each(kernel, seg, cols, x, 0, T, batched, 0, rows, r0, r1, new float[Matmul.eachScratch(cols, T)]);
            float[] alone = new float[T * rows];
            for (int t = 0; t < T; t++) {
                Matmul.each(kernel, seg, cols, x, t * cols, 1, alone, t * rows, rows, r0, r1, new float[Matmul.eachScratch(cols, 1)]);
            }
            assertArrayEquals(alone, batched, type + " cols " + cols + " T " + T);
        }
    }

    /**
     * A batch is the scalar twin's sequential FMA chain bit for bit, so a token's result does not
     * depend on the batch it is in, nor on how the rows are split between workers.
     */
    @Property(tries = 100)
    void batchIsBitExactWithSequentialTwinWhateverTheBatchOrSplit(@ForAll("types") GgmlType type,
                                                                   @ForAll @IntRange(min = 1, max = 300) int n,
                                                                   @ForAll @IntRange(min = 2, max = 40) int T,
                                                                   @ForAll long seed) {
        int cols = cols(type, n);
        Random rnd = new Random(seed);
        int rows = 1 + rnd.nextInt(9);
        float[] w = gaussian(rnd, rows * cols, 0.5);
        float[] x = gaussian(rnd, T * cols, 1.0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = encode(type, w, rows, cols, arena);
            float[] expected = ScalarKernels.sequential(type, seg, rows, cols, x, T);
            float[] batch = new float[T * rows];
            Matmul.rows(TypeKernels.of(type), seg, cols, x, 0, T, batch, 0, rows, 0, rows, null);
            assertBitsEqual(expected, batch, type + " batch of " + T);
            int split = rnd.nextInt(rows + 1);
            float[] halves = new float[T * rows];
            Matmul.rows(TypeKernels.of(type), seg, cols, x, 0, T, halves, 0, rows, 0, split, null);
            Matmul.rows(TypeKernels.of(type), seg, cols, x, 0, T, halves, 0, rows, split, rows, null);
            assertBitsEqual(expected, halves, type + " rows split at " + split);
            int t = rnd.nextInt(T);
            float[] pair = new float[2 * cols];
            System.arraycopy(x, t * cols, pair, cols, cols);
            System.arraycopy(gaussian(rnd, cols, 1.0), 0, pair, 0, cols);
            float[] inPair = new float[2 * rows];
            Matmul.rows(TypeKernels.of(type), seg, cols, pair, 0, 2, inPair, 0, rows, 0, rows, null);
            for (int r = 0; r < rows; r++) {
                assertEquals(Float.floatToRawIntBits(expected[t * rows + r]), Float.floatToRawIntBits(inPair[rows + r]),
                        type + " token " + t + " row " + r + " in a batch of 2");
            }
        }
    }

    /**
     * A single token's dot product is the one fixed order of {@link Vec#dot} over the widened row,
     * bit for bit, whether the kernel fuses widening and multiplying or not, alone or in a pair,
     * with scratch of exactly the row's length or more (a pair of widened rows takes turns of as
     * many values as the scratch holds, up to {@link WidenedKernel#CHUNK}).
     */
    @Property(tries = 300)
    void singleTokenDotIsTheFixedOrderOverTheWidenedRow(@ForAll("types") GgmlType type,
                                                        @ForAll @IntRange(min = 1, max = 1400) int n,
                                                        @ForAll @IntRange(min = 0, max = 1200) int moreScratch,
                                                        @ForAll long seed) {
        int cols = cols(type, n);
        Random rnd = new Random(seed);
        float[] w = gaussian(rnd, 2 * cols, 0.5);
        float[] x = gaussian(rnd, cols + 3, 1.0);
        TypeKernel k = TypeKernels.of(type);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = encode(type, w, 2, cols, arena);
            long rowBytes = type.bytesFor(cols);
            float[] row = new float[cols];
            float[] y = new float[2];
            k.dot2(seg, 0, rowBytes, cols, x, 3, new float[cols + moreScratch], y, 0, 1);
            for (int r = 0; r < 2; r++) {
                k.decode(seg, r * rowBytes, cols, row, 0);
                float expected = Vec.dot(row, 0, cols, x, 3);
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(k.dot(seg, r * rowBytes, cols, x, 3,
                        new float[cols])), type + " row " + r + " alone, " + cols + " columns");
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(y[r]),
                        type + " row " + r + " in a pair, " + cols + " columns");
            }
        }
    }

    /** A single token's row result does not depend on the row it is paired with, nor on the row range. */
    @Property(tries = 100)
    void singleTokenRowDoesNotDependOnItsPartnerOrRange(@ForAll("types") GgmlType type,
                                                       @ForAll @IntRange(min = 1, max = 200) int n,
                                                       @ForAll long seed) {
        int cols = cols(type, n);
        Random rnd = new Random(seed);
        int rows = 1 + rnd.nextInt(9);
        float[] w = gaussian(rnd, rows * cols, 0.5);
        float[] x = gaussian(rnd, cols, 1.0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = encode(type, w, rows, cols, arena);
            float[] all = new float[rows];
            Matmul.rows(TypeKernels.of(type), seg, cols, x, 0, 1, all, 0, rows, 0, rows, new float[2 * cols]);
            int r0 = rnd.nextInt(rows);
            int r1 = r0 + 1 + rnd.nextInt(rows - r0);
            float[] part = new float[rows];
            Matmul.rows(TypeKernels.of(type), seg, cols, x, 0, 1, part, 0, rows, r0, r1, new float[2 * cols]);
            for (int r = r0; r < r1; r++) {
                assertEquals(Float.floatToRawIntBits(all[r]), Float.floatToRawIntBits(part[r]),
                        type + " row " + r + " of [" + r0 + ", " + r1 + ") against [0, " + rows + ")");
            }
        }
    }

    /**
     * The same on shapes that cross the row blocks, column panels and token groups of
     * {@link Matmul#batch}, with short batches (one vector of tokens) and long ones.
     */
    @Property(tries = 10)
    void batchIsBitExactAcrossBlocksPanelsAndGroups(@ForAll("types") GgmlType type, @ForAll long seed) {
        Random rnd = new Random(seed);
        int cols = cols(type, Matmul.PANEL + 1 + rnd.nextInt(700));
        int rows = Matmul.BLOCK_ROWS + 1 + rnd.nextInt(70);
        int T = switch (rnd.nextInt(3)) {
            case 0 -> 2 + rnd.nextInt(Vec.L - 1); // one vector of tokens
            case 1 -> Vec.L + 1 + rnd.nextInt(Vec.L); // two
            default -> Matmul.GROUP - 2 + rnd.nextInt(6); // four, and more than one group
        };
        float[] w = gaussian(rnd, rows * cols, 0.5);
        float[] x = gaussian(rnd, T * cols, 1.0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = encode(type, w, rows, cols, arena);
            float[] y = new float[T * rows];
            int r0 = rnd.nextInt(3);
            Matmul.rows(TypeKernels.of(type), seg, cols, x, 0, T, y, 0, rows, r0, rows, null);
            float[] expected = ScalarKernels.sequential(type, seg, rows, cols, x, T);
            for (int t = 0; t < T; t++) {
                for (int r = 0; r < r0; r++) {
                    expected[t * rows + r] = 0f;
                }
            }
            assertBitsEqual(expected, y, type + " " + rows + "×" + cols + ", " + T + " tokens, rows from " + r0);
        }
    }

    static void assertBitsEqual(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            int e = Float.floatToRawIntBits(expected[i]);
            int a = Float.floatToRawIntBits(actual[i]);
            if (e != a) {
                assertEquals(expected[i], actual[i], what + ": index " + i);
            }
        }
    }

    /**
     * The kernels' lane fold ({@link Vec#FOLD_2}; here the one {@link Vec#dot} writes out) is
     * the fixed pairwise fold (lane i += lane i + L/2, then L/4, ...) bit for bit, on lanes of
     * mixed signs and magnitudes 2^-20..2^20, where float addition is far from
     * associative and another order (left to right, or the JIT's {@code reduceLanes}) rounds
     * differently.
     */
    @Property(tries = 500)
    void sumIsTheFixedPairwiseFold(@ForAll long seed) {
        Random rnd = new Random(seed);
        float[] lanes = new float[Vec.L];
        for (int i = 0; i < lanes.length; i++) {
            lanes[i] = (float) ((rnd.nextBoolean() ? 1 : -1) * (1 + rnd.nextDouble()) * Math.scalb(1.0, rnd.nextInt(41) - 20));
        }
        assertEquals(Float.floatToRawIntBits(pairwise(lanes)),
                Float.floatToRawIntBits(folded(lanes)));
    }

    /**
     * The property above tells orders apart: on these lanes the strided pairwise fold gives
     * 2^-23, while the left-to-right sum and the tree of adjacent pairs both give 2^-24.
     */
    @Test
    void sumOrderIsObservable() {
        float[] lanes = new float[Vec.L];
        lanes[0] = 1;
        lanes[1] = 0x1p-24f;
        lanes[Vec.L / 2] = -1;
        lanes[Vec.L / 2 + 1] = 0x1p-24f;
        float leftToRight = 0;
        for (float f : lanes) {
            leftToRight += f;
        }
        float[] adjacent = lanes.clone();
        for (int n = adjacent.length; n > 1; n /= 2) {
            for (int i = 0; i < n / 2; i++) {
                adjacent[i] = adjacent[2 * i] + adjacent[2 * i + 1];
            }
        }
        assertEquals(0x1p-23f, pairwise(lanes));
        assertEquals(0x1p-24f, leftToRight);
        assertEquals(0x1p-24f, adjacent[0]);
        assertEquals(0x1p-23f, folded(lanes));
    }

    /** {@link Vec#dot} of the lanes then L zeros with ones: its accumulators hold the lanes exactly, then the fold. */
    private static float folded(float[] lanes) {
        float[] w = Arrays.copyOf(lanes, 2 * Vec.L);
        float[] ones = new float[2 * Vec.L];
        Arrays.fill(ones, 1f);
        return Vec.dot(w, 0, w.length, ones, 0);
    }

    /** The reference fold, written out: lane i += lane i + h for h = L/2, L/4, ..., 1. */
    private static float pairwise(float[] lanes) {
        float[] a = lanes.clone();
        for (int h = a.length / 2; h >= 1; h /= 2) {
            for (int i = 0; i < h; i++) {
                a[i] += a[i + h];
            }
        }
        return a[0];
    }

    @Property(tries = 200)
    void rmsnormEqualsScalarTwin(@ForAll @IntRange(min = 1, max = 300) int n, @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] x = gaussian(rnd, n + 3, 2.0);
        float[] w = gaussian(rnd, n, 1.0);
        float[] out = new float[n + 5];
        Ops.rmsnorm(out, 2, x, 3, w, n, 1e-5f);
        float[] expected = new float[n];
        ScalarKernels.rmsnorm(expected, java.util.Arrays.copyOfRange(x, 3, 3 + n), w, n, 1e-5f);
        for (int i = 0; i < n; i++) {
            assertEquals(expected[i], out[2 + i], 1e-5 * Math.abs(expected[i]) + 1e-6, "index " + i);
        }
    }

    @Property(tries = 200)
    void addAndSiluGateEqualScalar(@ForAll @IntRange(min = 1, max = 300) int n, @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] a = gaussian(rnd, n, 3.0);
        float[] b = gaussian(rnd, n, 3.0);
        float[] sum = a.clone();
        Ops.add(sum, b, 0, n);
        float[] gate = a.clone();
        Ops.siluGate(gate, b, 0, n);
        for (int i = 0; i < n; i++) {
            assertEquals(a[i] + b[i], sum[i], 0f);
            double silu = a[i] / (1 + Math.exp(-a[i]));
            assertEquals(silu * b[i], gate[i], 2e-6 * Math.abs(silu * b[i]) + 1e-7);
        }
    }

    /** Within 2 ulp of Math.exp where the result is a normal float; 0, infinity and NaN at the edges. */
    @Property(tries = 2000)
    void expIsWithinTwoUlpOfMathExp(@ForAll @net.jqwik.api.constraints.FloatRange(min = -87.33f, max = 88.72f) float x) {
        float expected = (float) Math.exp(x);
        assertEquals(expected, Ops.exp(x), 2 * Math.ulp(expected), "e^" + x);
    }

    @Test
    void expEdges() {
        assertEquals(1f, Ops.exp(0f), 0f);
        assertEquals(0f, Ops.exp(-100f), 0f);
        assertEquals(0f, Ops.exp(Float.NEGATIVE_INFINITY), 0f);
        assertEquals(Float.POSITIVE_INFINITY, Ops.exp(100f), 0f);
        assertEquals(Float.POSITIVE_INFINITY, Ops.exp(Float.POSITIVE_INFINITY), 0f);
        assertTrue(Float.isNaN(Ops.exp(Float.NaN)));
        float top = Ops.exp(88.72283f);
        assertTrue(Float.isFinite(top) && top > 3.4e38f, "e^88.72283 = " + top);
        for (float x = -87.33f; x < 88.72f; x += 0.01f) {
            float expected = (float) Math.exp(x);
            assertEquals(expected, Ops.exp(x), 2 * Math.ulp(expected), "e^" + x);
        }
    }

    @Property(tries = 200)
    void attentionEqualsScalarTwin(@ForAll @IntRange(min = 1, max = 80) int headDim,
                                   @ForAll @IntRange(min = 1, max = 60) int positions,
                                   @ForAll long seed) {
        Random rnd = new Random(seed);
        int from = rnd.nextInt(positions);
        float[] q = gaussian(rnd, headDim, 1.0);
        float[] k = gaussian(rnd, positions * headDim, 1.0);
        float[] v = gaussian(rnd, positions * headDim, 1.0);
        float scale = (float) (1 / Math.sqrt(headDim));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ks = arena.allocate(4L * k.length);
            MemorySegment vs = arena.allocate(4L * v.length);
            MemorySegment.copy(k, 0, ks, Quant.FLOAT_LE, 0, k.length);
            MemorySegment.copy(v, 0, vs, Quant.FLOAT_LE, 0, v.length);
            float[] out = new float[headDim + 1];
            Attention.head(q, 0, ks, 0, vs, 0, headDim, from, positions, scale, new float[positions], out, 1);
            double[] expected = ScalarKernels.attention(q, k, v, headDim, from, positions, scale);
            for (int i = 0; i < headDim; i++) {
                assertEquals(expected[i], out[1 + i], 2e-5 * (1 + Math.abs(expected[i])), "dim " + i);
            }
        }
    }

    /**
     * Attention over keys and values stored as F16 or BF16, widened a chunk of positions at a
     * time (runs of several chunks, a last one cut short, any head size), equals its scalar twin
     * on the stored values, and bit for bit the float32 kernel on those values widened.
     */
    @Property(tries = 300)
    void attentionOverA16BitCacheEqualsScalarTwinAndTheFloatKernel(@ForAll("halfTypes") GgmlType type,
                                                                    @ForAll @IntRange(min = 1, max = 80) int headDim,
                                                                    @ForAll @IntRange(min = 1, max = 70) int positions,
                                                                    @ForAll long seed) {
        Random rnd = new Random(seed);
        int from = rnd.nextInt(positions);
        float[] q = gaussian(rnd, headDim, 1.0);
        float[] k = gaussian(rnd, positions * headDim, Math.exp(rnd.nextGaussian()));
        float[] v = gaussian(rnd, positions * headDim, Math.exp(rnd.nextGaussian()));
        float scale = (float) (1 / Math.sqrt(headDim));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ks = encode(type, k, 1, k.length, arena);
            MemorySegment vs = encode(type, v, 1, v.length, arena);
            float[] kw = new float[k.length];
            float[] vw = new float[v.length];
            Quant.dequantize(type, ks, 0, kw, 0, kw.length);
            Quant.dequantize(type, vs, 0, vw, 0, vw.length);
            float[] out = new float[headDim + 1];
            Attention.headWidened(TypeKernels.of(type), q, 0, ks, 0, vs, 0, headDim, from, positions, scale,
                    new float[positions], new float[Attention.CHUNK * headDim], out, 1);
            double[] expected = ScalarKernels.attention(q, kw, vw, headDim, from, positions, scale);
            double magnitude = 0;
            for (float x : vw) {
                magnitude = Math.max(magnitude, Math.abs(x));
            }
            for (int i = 0; i < headDim; i++) {
                assertEquals(expected[i], out[1 + i], 2e-5 * (magnitude + Math.abs(expected[i])), "dim " + i);
            }
            float[] float32 = new float[headDim + 1];
            Attention.head(q, 0, encode(GgmlType.F32, kw, 1, kw.length, arena), 0, encode(GgmlType.F32, vw, 1, vw.length, arena),
                    0, headDim, from, positions, scale, new float[positions], float32, 1);
            assertBitsEqual(float32, out, type + " cache vs float32 kernel");
        }
    }

    @Provide
    Arbitrary<GgmlType> halfTypes() {
        return Arbitraries.of(GgmlType.F16, GgmlType.BF16);
    }

    @Property(tries = 200)
    void ropeEqualsScalarTwin(@ForAll boolean interleaved,
                              @ForAll @IntRange(min = 1, max = 64) int halfHead,
                              @ForAll @IntRange(min = 0, max = 5000) int pos,
                              @ForAll long seed) {
        Random rnd = new Random(seed);
        int headDim = 2 * halfHead;
        int rotDims = 2 * (1 + rnd.nextInt(halfHead));
        float[] invFreq = new float[rotDims / 2];
        for (int i = 0; i < invFreq.length; i++) {
            invFreq[i] = 1f / (float) Math.pow(10000, (float) (2 * i) / rotDims);
        }
        float[] x = gaussian(rnd, headDim, 1.0);
        float[] expected = x.clone();
        ScalarKernels.rope(interleaved, expected, headDim, rotDims, pos, invFreq);
        float[] cos = new float[invFreq.length];
        float[] sin = new float[invFreq.length];
        Rope.angles(invFreq, pos, cos, sin, 0);
        Rope.rotate(interleaved ? Rope.Layout.INTERLEAVED : Rope.Layout.HALF_SPLIT, x, 0, rotDims / 2, cos, sin, 0);
        for (int i = 0; i < headDim; i++) {
            assertEquals(expected[i], x[i], 1e-6 * (1 + Math.abs(expected[i])), "index " + i);
        }
    }

    @Property(tries = 50)
    void softmaxSumsToOneAndMatchesScalar(@ForAll @IntRange(min = 1, max = 500) int n, @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] x = gaussian(rnd, n, 5.0);
        double[] expected = ScalarKernels.softmax(x, n);
        float max = Float.NEGATIVE_INFINITY;
        for (float v : x) {
            max = Math.max(max, v);
        }
        float[] in = x.clone();
        Ops.softmax(x, 0, n);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            // float rounding of x - max (relative error of e^(x-max) ≈ |x-max| ulps) and of a sum of n terms
            double relative = (Math.abs(in[i] - max) + n + 2) * 1.2e-7;
            assertEquals(expected[i], x[i], relative * expected[i] + 1e-30, "index " + i);
            sum += x[i];
        }
        assertEquals(1.0, sum, 1e-5);
    }
}
