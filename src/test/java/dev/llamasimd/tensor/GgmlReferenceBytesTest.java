package dev.llamasimd.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Byte-exactness against ggml itself: {@code src/test/resources/quant/ggml/} holds 48 rows × 512
 * float32 inputs, ggml's quantized bytes of them ({@code ggml_quantize_chunk} without an
 * importance matrix, the path llama-quantize takes) and ggml's dequantization of those bytes
 * (see that folder's README for how they were made and which rows are deliberately nasty).
 *
 * <p>For every type: quantizing each input row must give exactly ggml's bytes, and dequantizing
 * ggml's bytes must give exactly ggml's floats, bit for bit (NaN compared as "is NaN", since its
 * payload comes from the x86 hardware).
 *
 * <p>Bitwise also holds for the types where llama-simd evaluates {@code q·scale ± min} as one
 * fused multiply-add while this ggml build (compiled with {@code -ffp-contract=off}) rounds the
 * product first: that product is always exact in float, so both forms round once, identically.
 * The scale is an F16 (11 significant bits) times a sub-block scale of at most 8 bits (Q6_K's
 * int8; 6 bits for Q4_K/Q5_K, 4 for Q2_K, none for Q4_1/Q5_1), times a quant of at most 6 bits:
 * at most 11 + 7 + 5 = 23 ≤ 24 significant bits for Q6_K's |sc| ≤ 128 and |q| ≤ 32, fewer
 * elsewhere, and F16 magnitudes keep the product far from float overflow or underflow.
 */
class GgmlReferenceBytesTest {
    private static final String DIR = "/quant/ggml/";
    private static final int ROWS = 48;
    private static final int COLS = 512;

    /** Every type with reference vectors; Q4_0 and Q8_0 go through {@link Quant}. */
    static Stream<GgmlType> types() {
        return Stream.of(GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0,
                GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
                GgmlType.IQ4_NL, GgmlType.IQ4_XS);
    }

    private static Codec codec(GgmlType type) {
        return switch (type) {
            case Q4_1 -> new Q4_1Codec();
            case Q5_0 -> new Q5_0Codec();
            case Q5_1 -> new Q5_1Codec();
            case Q2_K -> new Q2_KCodec();
            case Q3_K -> new Q3_KCodec();
            case Q4_K -> new Q4_KCodec();
            case Q5_K -> new Q5_KCodec();
            case Q6_K -> new Q6_KCodec();
            case IQ4_NL -> new IQ4_NLCodec();
            case IQ4_XS -> new IQ4_XSCodec();
            default -> null;
        };
    }

    private static void quantize(GgmlType type, float[] src, int srcOff, int n, MemorySegment dst, long off) {
        Codec c = codec(type);
        if (c != null) {
            c.quantize(src, srcOff, n, dst, off);
        } else {
            Quant.quantize(type, src, srcOff, n, dst, off);
        }
    }

    private static void dequantize(GgmlType type, MemorySegment src, long off, float[] dst, int dstOff, int n) {
        Codec c = codec(type);
        if (c != null) {
            c.dequantize(src, off, dst, dstOff, n);
        } else {
            Quant.dequantize(type, src, off, dst, dstOff, n);
        }
    }

    /** The resource's bytes, or a skipped test (with the reason printed) if it is not there. */
    private static byte[] resource(String name) throws IOException {
        try (InputStream in = GgmlReferenceBytesTest.class.getResourceAsStream(DIR + name)) {
            if (in == null) {
                String reason = "ggml reference vectors not found: no resource " + DIR + name
                        + " (expected under src/test/resources" + DIR + ")";
                System.out.println("GgmlReferenceBytesTest skipped: " + reason);
                Assumptions.abort(reason);
            }
            return in.readAllBytes();
        }
    }

    private static float[] floats(byte[] bytes) {
        float[] out = new float[bytes.length / 4];
        MemorySegment.copy(MemorySegment.ofArray(bytes), Quant.FLOAT_LE, 0, out, 0, out.length);
        return out;
    }

    @ParameterizedTest
    @MethodSource("types")
    void quantizeGivesGgmlBytes(GgmlType type) throws IOException {
        float[] inputs = floats(resource("inputs.f32"));
        byte[] expected = resource(type + ".bin");
        assertEquals(ROWS * COLS, inputs.length, "inputs.f32 size");
        int rowBytes = (int) type.bytesFor(COLS);
        assertEquals(ROWS * rowBytes, expected.length, type + ".bin size");

        byte[] actual = new byte[expected.length];
        MemorySegment seg = MemorySegment.ofArray(actual);
        List<Integer> badRows = new ArrayList<>();
        String first = null;
        for (int r = 0; r < ROWS; r++) {
            quantize(type, inputs, r * COLS, COLS, seg, (long) r * rowBytes);
            int off = Arrays.mismatch(actual, r * rowBytes, (r + 1) * rowBytes, expected, r * rowBytes,
                    (r + 1) * rowBytes);
            if (off >= 0) {
                badRows.add(r);
                if (first == null) {
                    int at = r * rowBytes + off;
                    first = String.format("row %d, byte %d of the row (block %d, byte %d of %d): ours 0x%02x, ggml 0x%02x",
                            r, off, off / type.blockBytes, off % type.blockBytes, type.blockBytes,
                            actual[at] & 0xff, expected[at] & 0xff);
                }
            }
        }
        if (first != null) {
            String hint = List.of(4, 35).containsAll(badRows)
                    ? " (rows 4 and 35 have float-subnormal blocks where 1/d overflows: ggml's C float→int"
                            + " conversion of ±inf/NaN yields 0x80000000 on x86-64, low byte 0, while Java's"
                            + " (int)/(byte) casts saturate; see KQuants.truncToInt and the README)"
                    : "";
            fail(type + ": quantized bytes differ from ggml's in rows " + badRows + "; first at " + first + hint);
        }
    }

    @ParameterizedTest
    @MethodSource("types")
    void dequantizeGivesGgmlFloats(GgmlType type) throws IOException {
        byte[] bytes = resource(type + ".bin");
        float[] expected = floats(resource(type + ".dequant.f32"));
        assertEquals(ROWS * COLS, expected.length, type + ".dequant.f32 size");
        int rowBytes = (int) type.bytesFor(COLS);

        float[] actual = new float[expected.length];
        MemorySegment seg = MemorySegment.ofArray(bytes);
        for (int r = 0; r < ROWS; r++) {
            dequantize(type, seg, (long) r * rowBytes, actual, r * COLS, COLS);
        }
        int bad = 0;
        String first = null;
        for (int i = 0; i < actual.length; i++) {
            float a = actual[i];
            float e = expected[i];
            boolean same = Float.isNaN(e) ? Float.isNaN(a) : Float.floatToRawIntBits(a) == Float.floatToRawIntBits(e);
            if (!same) {
                bad++;
                if (first == null) {
                    first = String.format("row %d, value %d: ours %s (0x%08x), ggml %s (0x%08x)", i / COLS, i % COLS,
                            a, Float.floatToRawIntBits(a), e, Float.floatToRawIntBits(e));
                }
            }
        }
        if (first != null) {
            fail(type + ": " + bad + " dequantized values differ from ggml's; first at " + first);
        }
    }

    /** The whole 48-row buffer in one call gives the same bytes as row by row (rows never interact). */
    @ParameterizedTest
    @MethodSource("types")
    void wholeBufferEqualsRowByRow(GgmlType type) throws IOException {
        float[] inputs = floats(resource("inputs.f32"));
        byte[] expected = resource(type + ".bin");
        assertEquals(expected.length, type.bytesFor(inputs.length), type + ".bin size");
        byte[] actual = new byte[expected.length];
        quantize(type, inputs, 0, inputs.length, MemorySegment.ofArray(actual), 0);
        int off = Arrays.mismatch(actual, expected);
        if (off >= 0) {
            int rowBytes = (int) type.bytesFor(COLS);
            fail(type + ": whole-buffer quantization differs from ggml at row " + off / rowBytes + ", byte "
                    + off % rowBytes);
        }
        float[] deq = new float[inputs.length];
        dequantize(type, MemorySegment.ofArray(expected), 0, deq, 0, deq.length);
        float[] want = floats(resource(type + ".dequant.f32"));
        for (int i = 0; i < deq.length; i++) {
            if (Float.isNaN(want[i]) ? !Float.isNaN(deq[i])
                    : Float.floatToRawIntBits(deq[i]) != Float.floatToRawIntBits(want[i])) {
                fail(type + ": whole-buffer dequantization differs from ggml at value " + i);
            }
        }
    }
}
