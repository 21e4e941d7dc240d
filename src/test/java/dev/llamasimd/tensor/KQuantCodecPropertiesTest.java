package dev.llamasimd.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

/**
 * Properties of the Q4_1 … IQ4_XS codecs on random gaussian rows of random scale (whole blocks,
 * up to four 256-value super-blocks): the round trip is close, re-quantizing decoded values is
 * stable (exactly for the min/max types, approximately for the searched ones), exactly
 * {@code type.bytesFor(n)} bytes are written and read, and partial blocks are rejected.
 *
 * <p>The scale range 10<sup>−1</sup>…10<sup>3</sup> keeps every F16 scale a normal F16 number;
 * outside it ggml's scales lose precision (subnormal) or overflow, which the ggml reference vectors
 * cover bit-for-bit instead.
 */
class KQuantCodecPropertiesTest {
    static final Codec[] CODECS = {
        new Q4_1Codec(), new Q5_0Codec(), new Q5_1Codec(), new Q2_KCodec(), new Q3_KCodec(), new Q4_KCodec(),
        new Q5_KCodec(), new Q6_KCodec(), new IQ4_NLCodec(), new IQ4_XSCodec(),
    };

    /**
     * Largest |x − x̂| allowed, as a fraction of the largest |x| of the x's block (32 or 256
     * values), and largest allowed relative RMS error of a row. The first three follow from the
     * format (half a step: (max − min)/30, x_max/16 with the one-sided clamp, (max − min)/62, plus
     * F16 rounding of the scale and min); the others are ~1.2× the worst seen over 20000 random
     * rows of 256..1024 values.
     */
    record Bound(double maxPerBlockAmax, double relRms) {}

    static final Map<GgmlType, Bound> BOUNDS = Map.of(
            GgmlType.Q4_1, new Bound(0.075, 0.12),
            GgmlType.Q5_0, new Bound(0.07, 0.07),
            GgmlType.Q5_1, new Bound(0.04, 0.06),
            GgmlType.Q2_K, new Bound(0.5, 0.45),
            GgmlType.Q3_K, new Bound(0.3, 0.22),
            GgmlType.Q4_K, new Bound(0.14, 0.11),
            GgmlType.Q5_K, new Bound(0.07, 0.055),
            GgmlType.Q6_K, new Bound(0.025, 0.03),
            GgmlType.IQ4_NL, new Bound(0.15, 0.11),
            GgmlType.IQ4_XS, new Bound(0.15, 0.11));

    @Provide
    Arbitrary<Codec> codecs() {
        return Arbitraries.of(CODECS);
    }

    static float[] gaussian(long seed, int n, double log10Scale) {
        Random rnd = new Random(seed);
        double scale = Math.pow(10, log10Scale);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * scale);
        }
        return x;
    }

    static byte[] encode(Codec c, float[] x) {
        byte[] q = new byte[(int) c.type().bytesFor(x.length)];
        c.quantize(x, 0, x.length, MemorySegment.ofArray(q), 0);
        return q;
    }

    static float[] decode(Codec c, byte[] q, int n) {
        float[] y = new float[n];
        c.dequantize(MemorySegment.ofArray(q), 0, y, 0, n);
        return y;
    }

    /** Checks |a − b| ≤ bound·(block's max |a|) for every block, returns the row's relative RMS error. */
    static double checkClose(GgmlType type, float[] a, float[] b, double bound) {
        int bs = type.blockSize;
        double se = 0;
        double sa = 0;
        for (int blk = 0; blk < a.length / bs; blk++) {
            double m = 0;
            for (int i = blk * bs; i < (blk + 1) * bs; i++) {
                m = Math.max(m, Math.abs(a[i]));
            }
            final double amax = m;
            for (int i = blk * bs; i < (blk + 1) * bs; i++) {
                double e = Math.abs((double) a[i] - b[i]);
                int at = i;
                assertTrue(e <= bound * amax, () -> type + ": |x − x̂| = " + e + " at " + at
                        + " exceeds " + bound + " · block max |x| " + amax);
                se += e * e;
                sa += (double) a[i] * a[i];
            }
        }
        return sa > 0 ? Math.sqrt(se / sa) : 0;
    }

    @Property(tries = 500, edgeCases = EdgeCasesMode.NONE)
    void roundTripIsClose(@ForAll("codecs") Codec c, @ForAll @IntRange(min = 1, max = 4) int superBlocks,
            @ForAll long seed, @ForAll @DoubleRange(min = -1, max = 3) double log10Scale) {
        GgmlType type = c.type();
        float[] x = gaussian(seed, 256 * superBlocks, log10Scale);
        float[] y = decode(c, encode(c, x), x.length);
        Bound bound = BOUNDS.get(type);
        double rms = checkClose(type, x, y, bound.maxPerBlockAmax());
        assertTrue(rms <= bound.relRms(), type + ": relative RMS error " + rms + " > " + bound.relRms());
    }

    /**
     * Q4_1, Q5_0 and Q5_1 (d and min straight from the block's extremes) give back exactly the
     * same bytes for their own decoded values: the extremes decode to the F16 min and to
     * {@code min + 15·d} (or {@code −16·d}), from which the same F16 scale follows. The searched
     * types (K-quants, IQ4) may pick another scale the second time, but stay as close to the
     * decoded values as to the originals.
     */
    @Property(tries = 500, edgeCases = EdgeCasesMode.NONE)
    void requantizingDecodedValuesIsStable(@ForAll("codecs") Codec c,
            @ForAll @IntRange(min = 1, max = 4) int superBlocks, @ForAll long seed,
            @ForAll @DoubleRange(min = -1, max = 3) double log10Scale) {
        GgmlType type = c.type();
        float[] x = gaussian(seed, 256 * superBlocks, log10Scale);
        byte[] q = encode(c, x);
        float[] y = decode(c, q, x.length);
        byte[] q2 = encode(c, y);
        if (type == GgmlType.Q4_1 || type == GgmlType.Q5_0 || type == GgmlType.Q5_1) {
            assertArrayEquals(q, q2, type + ": re-quantizing decoded values changed the bytes");
        } else {
            checkClose(type, y, decode(c, q2, x.length), BOUNDS.get(type).maxPerBlockAmax());
        }
    }

    /**
     * Quantize writes every byte of {@code [offset, offset + bytesFor(n))} and nothing else
     * (same result over two different fillers, fillers intact around it); dequantize reads only
     * those bytes (the segment ends right there) and writes only {@code dst[dstOff, dstOff + n)}.
     */
    @Property(tries = 200, edgeCases = EdgeCasesMode.NONE)
    void touchesExactlyItsBytes(@ForAll("codecs") Codec c, @ForAll @IntRange(min = 1, max = 3) int superBlocks,
            @ForAll @IntRange(min = 0, max = 40) int offset, @ForAll long seed) {
        GgmlType type = c.type();
        int n = 256 * superBlocks;
        int bytes = (int) type.bytesFor(n);
        float[] src = new float[n + 10];
        System.arraycopy(gaussian(seed, n, 0), 0, src, 7, n);
        byte[][] outs = new byte[2][];
        for (int k = 0; k < 2; k++) {
            byte filler = (byte) (k == 0 ? 0x00 : 0xA5);
            byte[] out = new byte[offset + bytes + 13];
            Arrays.fill(out, filler);
            c.quantize(src, 7, n, MemorySegment.ofArray(out), offset);
            for (int i = 0; i < out.length; i++) {
                if (i < offset || i >= offset + bytes) {
                    assertEquals(filler, out[i], type + ": wrote byte " + i + " outside its range");
                }
            }
            outs[k] = out;
        }
        assertArrayEquals(Arrays.copyOfRange(outs[0], offset, offset + bytes),
                Arrays.copyOfRange(outs[1], offset, offset + bytes), type + ": left bytes of its range unwritten");

        MemorySegment exact = MemorySegment.ofArray(outs[0]).asSlice(0, offset + bytes);
        float[] dst = new float[n + 9];
        Arrays.fill(dst, Float.NaN);
        c.dequantize(exact, offset, dst, 5, n);
        for (int i = 0; i < dst.length; i++) {
            boolean inside = i >= 5 && i < 5 + n;
            assertEquals(!inside, Float.isNaN(dst[i]), type + ": dst[" + i + "]");
        }
        assertThrows(IndexOutOfBoundsException.class, () -> c.dequantize(exact.asSlice(0, offset + bytes - 1),
                offset, new float[n], 0, n));
    }

    @Property(tries = 100)
    void rejectsPartialBlocks(@ForAll("codecs") Codec c, @ForAll @IntRange(min = 1, max = 1000) int n) {
        GgmlType type = c.type();
        if (n % type.blockSize == 0) {
            n++;
        }
        int bad = n;
        MemorySegment seg = MemorySegment.ofArray(new byte[4096]);
        float[] values = new float[2000];
        IllegalArgumentException e1 = assertThrows(IllegalArgumentException.class,
                () -> c.quantize(values, 0, bad, seg, 0));
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> c.dequantize(seg, 0, values, 0, bad));
        assertTrue(e1.getMessage().contains(type.name()), e1.getMessage());
        assertTrue(e2.getMessage().contains(type.name()), e2.getMessage());
        assertEquals(0, seg.get(ValueLayout.JAVA_BYTE, 0), "nothing written before rejecting");
    }
}
