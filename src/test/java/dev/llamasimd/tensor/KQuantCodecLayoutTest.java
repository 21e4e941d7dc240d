package dev.llamasimd.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Hand-built blocks: the bytes are written from the block layouts in ggml-common.h, the expected
 * values worked out on paper from {@code dequantize_row_*}; plus all-zero rows, the shared helpers'
 * corner cases, and size checks. Expected arrays are compared with delta 0 (exact, but
 * {@code −0.0 == 0.0}).
 */
class KQuantCodecLayoutTest {
    static final List<Codec> CODECS = List.of(new Q4_1Codec(), new Q5_0Codec(), new Q5_1Codec(), new Q2_KCodec(),
            new Q3_KCodec(), new Q4_KCodec(), new Q5_KCodec(), new Q6_KCodec(), new IQ4_NLCodec(), new IQ4_XSCodec());

    static void f16(byte[] b, int off, float v) {
        short h = Float.floatToFloat16(v);
        assertEquals(v, Float.float16ToFloat(h), "test scale must be exact in F16");
        b[off] = (byte) h;
        b[off + 1] = (byte) (h >> 8);
    }

    static float[] decode(Codec c, byte[] block) {
        float[] y = new float[c.type().blockSize];
        c.dequantize(MemorySegment.ofArray(block), 0, y, 0, y.length);
        return y;
    }

    @Test
    void codecNamesMatchTheirTypes() {
        for (Codec c : CODECS) {
            assertTrue(c.getClass().getSimpleName().startsWith(c.type().name() + "Codec"), c.getClass().getName());
        }
    }

    @Test
    void q4_1Block() {
        byte[] b = new byte[20];
        f16(b, 0, 0.5f); // d
        f16(b, 2, -2f); // m
        for (int j = 0; j < 16; j++) {
            b[4 + j] = (byte) (j | (15 - j) << 4);
        }
        float[] want = new float[32];
        for (int j = 0; j < 16; j++) {
            want[j] = 0.5f * j - 2; // lo nibble j
            want[j + 16] = 0.5f * (15 - j) - 2; // hi nibble 15 − j
        }
        assertArrayEquals(want, decode(new Q4_1Codec(), b), 0f);
    }

    @Test
    void q5_0Block() {
        byte[] b = new byte[22];
        f16(b, 0, 0.25f);
        // qh: bits 0, 16 and 31 set (little-endian word at bytes 2..5)
        b[2] = 0x01;
        b[4] = 0x01;
        b[5] = (byte) 0x80;
        b[6] = 0x21; // value 0: lo 1, value 16: hi 2
        float[] want = new float[32];
        Arrays.fill(want, -16 * 0.25f); // nibble 0, high bit 0 → q − 16 = −16
        want[0] = (17 - 16) * 0.25f; // 1 | 16
        want[16] = (18 - 16) * 0.25f; // 2 | 16
        want[31] = 0; // 0 | 16
        assertArrayEquals(want, decode(new Q5_0Codec(), b), 0f);
    }

    @Test
    void q5_1Block() {
        byte[] b = new byte[24];
        f16(b, 0, 1f); // d
        f16(b, 2, -16f); // m
        b[4] = 0x01; // qh bit 0
        b[6] = 0x01; // qh bit 16
        b[7] = (byte) 0x80; // qh bit 31
        b[8] = 0x21;
        b[8 + 15] = (byte) 0xF7; // value 15: lo 7, value 31: hi 15 (| 16 from qh bit 31)
        float[] want = new float[32];
        Arrays.fill(want, -16f); // q = 0
        want[0] = 17 - 16;
        want[16] = 18 - 16;
        want[15] = 7 - 16;
        want[31] = 31 - 16;
        assertArrayEquals(want, decode(new Q5_1Codec(), b), 0f);
    }

    @Test
    void q2_KBlock() {
        byte[] b = new byte[84];
        f16(b, 80, 1f); // d
        f16(b, 82, 0.5f); // dmin
        b[0] = 0x21; // sub-block 0: scale 1, min 2 → dl 1, ml 1
        b[2] = 0x13; // sub-block 2: scale 3, min 1 → dl 3, ml 0.5
        b[4] = 0x05; // sub-block 4: scale 5, min 0 → dl 5, ml 0
        b[6] = (byte) 0xF0; // sub-block 6: scale 0, min 15 → dl 0, ml 7.5
        b[16] = (byte) 0b11_10_01_00; // values 0, 32, 64, 96 get quants 0, 1, 2, 3
        float[] want = new float[256];
        Arrays.fill(want, 0, 16, -1f);
        Arrays.fill(want, 32, 48, -0.5f);
        Arrays.fill(want, 96, 112, -7.5f);
        want[0] = 1 * 0 - 1;
        want[32] = 3 * 1 - 0.5f;
        want[64] = 5 * 2 - 0;
        want[96] = 0 * 3 - 7.5f;
        assertArrayEquals(want, decode(new Q2_KCodec(), b), 0f);
    }

    @Test
    void q3_KBlock() {
        byte[] b = new byte[110];
        Arrays.fill(b, 0, 32, (byte) 0xFF); // hmask all set: q = low 2 bits
        b[0] = (byte) 0xFE; // … but value 0 (bit 0 of hmask[0]) has q = low − 4
        b[32] = 0x03; // value 0: low 2 bits 3 → q = −1
        b[95] = (byte) 0xC0; // value 255 (half 1, k 3, l 31): low 3, high bit set → q = 3
        // 6-bit scales (stored + 32): sub-block 0 → 33, sub-block 15 → 0, the rest 32.
        b[96] = 0x01; // low nibble of sub-block 0; hi nibble = low of sub-block 8 (0)
        b[104] = (byte) 0xAA; // high 2 bits of sub-blocks 0, 4, 8, 12: 2 each
        b[105] = (byte) 0xAA; // 1, 5, 9, 13
        b[106] = (byte) 0xAA; // 2, 6, 10, 14
        b[107] = 0x2A; // 3, 7, 11 → 2; 15 → 0
        f16(b, 108, 0.5f);
        float[] want = new float[256];
        want[0] = 0.5f * (33 - 32) * (3 - 4);
        want[255] = 0.5f * (0 - 32) * 3;
        assertArrayEquals(want, decode(new Q3_KCodec(), b), 0f);
    }

    @Test
    void q4_KBlock() {
        byte[] b = new byte[144];
        f16(b, 0, 1f); // d
        f16(b, 2, 0.5f); // dmin
        b[4] = 3; // sc_0 = 3
        b[8] = 4; // m_0 = 4 → m1 = 2
        // sub-block 5: sc = 37 = 0b10_0101, m = 18 = 0b01_0010
        b[4 + 9] = 0x25; // lo: sc low nibble 5, hi: m low nibble 2
        b[4 + 1] = (byte) 0x80; // sc_5 high bits (2) in bits 6..7 of s[1]; sc_1 = 0
        b[4 + 5] = 0x40; // m_5 high bits (1) in bits 6..7 of s[5]; m_1 = 0
        b[16] = 7; // value 0 (low nibble of qs[0]) = 7
        b[16 + 64 + 1] = (byte) 0xA0; // value 161 = 128 + 32 + 1: high nibble of qs[65] = 10
        float[] want = new float[256];
        Arrays.fill(want, 0, 32, -2f);
        Arrays.fill(want, 160, 192, -9f);
        want[0] = 3 * 7 - 2;
        want[161] = 37 * 10 - 9;
        assertArrayEquals(want, decode(new Q4_KCodec(), b), 0f);
    }

    @Test
    void q5_KBlock() {
        byte[] b = new byte[176];
        f16(b, 0, 0.5f); // d
        f16(b, 2, 1f); // dmin
        b[4] = 2; // sc_0 = 2 → d1 = 1
        b[8] = 3; // m_0 = 3 → m1 = 3
        b[4 + 11] = 0x51; // sub-block 7: sc low nibble 1, m low nibble 5
        b[4 + 3] = (byte) 0x40; // sc_7 high bits 1 → sc_7 = 17; sc_3 = 0
        b[4 + 7] = (byte) 0xC0; // m_7 high bits 3 → m_7 = 53; m_3 = 0
        b[16] = 0x01; // qh[0] bit 0: value 0 gets +16
        b[16 + 31] = (byte) 0x80; // qh[31] bit 7: value 64·3 + 32 + 31 = 255 gets +16
        b[48] = 0x05; // value 0 low 4 bits 5 → q = 21
        b[48 + 96 + 31] = (byte) 0xF0; // value 255 low 4 bits 15 → q = 31
        float[] want = new float[256];
        Arrays.fill(want, 0, 32, -3f);
        Arrays.fill(want, 224, 256, -53f);
        want[0] = 1 * 21 - 3;
        want[255] = 0.5f * 17 * 31 - 53;
        assertArrayEquals(want, decode(new Q5_KCodec(), b), 0f);
    }

    @Test
    void q6_KBlock() {
        byte[] b = new byte[210];
        b[0] = 0x05; // value 0: low 4 bits 5
        b[128] = 0x02; // value 0: high 2 bits 2 → q = 5 | 32 = 37 → 5
        b[127] = (byte) 0xF0; // value 255 (half 1, l 31, hi nibble of ql[64 + 32 + 31])
        b[191] = (byte) 0xC0; // its high 2 bits (bits 6..7 of qh[32 + 31]) = 3 → q = 63 → 31
        b[192] = -2; // scale of sub-block 0
        b[207] = 100; // scale of sub-block 15
        f16(b, 208, 0.25f);
        float[] want = new float[256];
        Arrays.fill(want, 0, 16, (0.25f * -2) * -32); // q = 0 − 32
        Arrays.fill(want, 240, 256, (0.25f * 100) * -32);
        want[0] = (0.25f * -2) * 5;
        want[255] = (0.25f * 100) * 31;
        assertArrayEquals(want, decode(new Q6_KCodec(), b), 0f);
    }

    @Test
    void iq4_NLBlock() {
        byte[] b = new byte[18];
        f16(b, 0, 0.5f);
        Arrays.fill(b, 2, 18, (byte) 0x88); // level 8 = 1
        b[2] = (byte) 0xF0; // value 0: level 0 = −127, value 16: level 15 = 113
        float[] want = new float[32];
        Arrays.fill(want, 0.5f);
        want[0] = 0.5f * -127;
        want[16] = 0.5f * 113;
        assertArrayEquals(want, decode(new IQ4_NLCodec(), b), 0f);
    }

    @Test
    void iq4_XSBlock() {
        byte[] b = new byte[136];
        f16(b, 0, 0.125f);
        // block scales ls (stored + 32): block 0 → 33, block 7 → 0, the rest 32 (low 0, high 2)
        b[2] = (byte) 0xAA; // scales_h bits 0..7: blocks 0..3 high bits 2
        b[3] = 0x2A; // bits 8..15: blocks 4..6 high bits 2, block 7 high bits 0
        b[4] = 0x01; // scales_l[0]: block 0 low nibble 1, block 1 low nibble 0
        b[8] = 0x0F; // block 0: value 0 level 15, value 16 level 0
        b[8 + 7 * 16] = 0x08; // block 7: value 224 level 8, value 240 level 0
        float[] want = new float[256];
        Arrays.fill(want, 0, 32, 0.125f * -127); // level 0 everywhere else; blocks 1..6 have dl = 0
        Arrays.fill(want, 224, 256, (0.125f * -32) * -127);
        want[0] = 0.125f * 113;
        want[224] = (0.125f * -32) * 1;
        assertArrayEquals(want, decode(new IQ4_XSCodec(), b), 0f);
    }

    /**
     * Zero rows decode to zeros and every scale is zero: zero bytes, except that Q5_0 and IQ4_XS
     * store d = −0.0 (they divide a zero maximum by a negative constant), and IQ4_XS's block scales
     * encode 0 as 32.
     */
    @Test
    void zeroRows() {
        for (Codec c : CODECS) {
            GgmlType t = c.type();
            int n = 512;
            byte[] q = new byte[(int) t.bytesFor(n)];
            Arrays.fill(q, (byte) 0x5A);
            c.quantize(new float[n], 0, n, MemorySegment.ofArray(q), 0);
            float[] y = new float[n];
            Arrays.fill(y, Float.NaN);
            c.dequantize(MemorySegment.ofArray(q), 0, y, 0, n);
            assertArrayEquals(new float[n], y, 0f, t + " zero row decodes to zeros");
            for (int blk = 0; blk < n / t.blockSize; blk++) {
                byte[] b = Arrays.copyOfRange(q, blk * t.blockBytes, (blk + 1) * t.blockBytes);
                switch (t) {
                    case Q4_1, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K ->
                        assertArrayEquals(new byte[t.blockBytes], b, t + ": all zero bytes");
                    case Q5_0 -> {
                        // d = x_max / −16 = −0.0 (F16 0x8000); every quant is 16 (0·0 + 16.5, truncated):
                        // nibbles 0, all high bits set
                        assertArrayEquals(new byte[] {0, (byte) 0x80, -1, -1, -1, -1}, Arrays.copyOf(b, 6), t.name());
                        assertArrayEquals(new byte[16], Arrays.copyOfRange(b, 6, 22), t.name());
                    }
                    case IQ4_NL -> {
                        assertArrayEquals(new byte[2], Arrays.copyOf(b, 2), t + ": d = 0");
                        for (int j = 2; j < 18; j++) {
                            assertEquals((byte) 0x88, b[j], t + ": level 8 (= 1, nearest to 0)");
                        }
                    }
                    case IQ4_XS -> {
                        assertEquals(-0.0f, KQuants.f16(b, 0), t + ": d = −max_scale/32 = −0.0");
                        assertEquals((byte) 0xAA, b[2], t + ": block scales 0 (stored 32)");
                        assertEquals((byte) 0xAA, b[3]);
                        assertArrayEquals(new byte[4], Arrays.copyOfRange(b, 4, 8));
                    }
                    default -> throw new AssertionError(t);
                }
            }
        }
    }

    @Test
    void nearestIntIsGgmlsBitTrick() {
        assertEquals(0, KQuants.nearestInt(0.5f)); // ties to even
        assertEquals(2, KQuants.nearestInt(1.5f));
        assertEquals(2, KQuants.nearestInt(2.5f));
        assertEquals(-2, KQuants.nearestInt(-2.5f));
        assertEquals(-3, KQuants.nearestInt(-2.51f));
        assertEquals(4194303, KQuants.nearestInt(4194303f));
        assertEquals(-4194303, KQuants.nearestInt(-4194303f));
        // beyond ggml's (debug-only) assert: the low mantissa bits of x + 1.5·2^23, as the C code returns
        assertEquals(-4194304, KQuants.nearestInt(4194304f)); // 16777216 = 2^24: mantissa 0
        assertEquals(-4194304 + 2, KQuants.nearestInt(4194308f)); // 16777220 has ulp 2
        assertEquals(-4194304, KQuants.nearestInt(Float.POSITIVE_INFINITY));
        assertEquals(0, KQuants.nearestInt(Float.NaN)); // quiet NaN mantissa 0x400000
        for (float f = -1000; f <= 1000; f += 0.25f) {
            assertEquals((int) Math.rint(f), KQuants.nearestInt(f), "at " + f);
        }
    }

    @Test
    void truncToIntIsX86Cvtt() {
        assertEquals(15, KQuants.truncToInt(15.99f));
        assertEquals(-15, KQuants.truncToInt(-15.99f));
        assertEquals(Integer.MIN_VALUE, KQuants.truncToInt(Float.POSITIVE_INFINITY));
        assertEquals(Integer.MIN_VALUE, KQuants.truncToInt(Float.NEGATIVE_INFINITY));
        assertEquals(Integer.MIN_VALUE, KQuants.truncToInt(Float.NaN));
        assertEquals(Integer.MIN_VALUE, KQuants.truncToInt(3e9f));
        assertEquals(Integer.MIN_VALUE, KQuants.truncToInt(-2147483648f));
        assertEquals(2147483520, KQuants.truncToInt(2147483520f)); // largest float below 2^31
    }

    @Test
    void bestIndexInt8() {
        byte[] kv = KQuants.KVALUES_IQ4NL;
        assertEquals(0, KQuants.bestIndexInt8(16, kv, -1000f));
        assertEquals(0, KQuants.bestIndexInt8(16, kv, -127f));
        assertEquals(15, KQuants.bestIndexInt8(16, kv, 113f));
        assertEquals(15, KQuants.bestIndexInt8(16, kv, 1e9f));
        assertEquals(8, KQuants.bestIndexInt8(16, kv, 0f)); // |0 − 1| < |0 − (−10)|
        assertEquals(9, KQuants.bestIndexInt8(16, kv, 7f)); // tie between 1 and 13 goes up
        assertEquals(8, KQuants.bestIndexInt8(16, kv, 6.99f));
        for (int i = 0; i < 16; i++) {
            assertEquals(i, KQuants.bestIndexInt8(16, kv, kv[i]));
        }
    }

    @Test
    void scaleMinK4RoundTripsThePacking() {
        float[] scales = {63, 1, 17, 40, 63, 2, 33, 5};
        float[] mins = {0, 63, 20, 31, 47, 16, 63, 9};
        byte[] s = new byte[12];
        KQuants.packScalesMinsK4(s, 0, scales, mins, 63, 63);
        for (int j = 0; j < 8; j++) {
            assertEquals((int) scales[j], KQuants.scaleK4(j, s, 0), "scale " + j);
            assertEquals((int) mins[j], KQuants.minK4(j, s, 0), "min " + j);
        }
    }

    @Test
    void sizeChecks() {
        for (Codec c : CODECS) {
            GgmlType t = c.type();
            MemorySegment seg = MemorySegment.ofArray(new byte[4 * t.blockBytes]);
            float[] v = new float[4 * t.blockSize];
            for (int n : new int[] {1, t.blockSize - 1, t.blockSize + 32 - (t.blockSize == 32 ? 31 : 0), -t.blockSize}) {
                if (n % t.blockSize == 0 && n >= 0) {
                    continue;
                }
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> c.quantize(v, 0, n, seg, 0), t + " n=" + n);
                assertTrue(e.getMessage().contains(t.name()), e.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> c.dequantize(seg, 0, v, 0, n), t + " n=" + n);
                assertTrue(e.getMessage().contains(t.name()), e.getMessage());
            }
            // whole blocks but too few bytes / values
            assertThrows(IndexOutOfBoundsException.class, () -> c.quantize(v, 0, 4 * t.blockSize, seg, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> c.dequantize(seg, 0, v, 1, 4 * t.blockSize));
            // zero values touch nothing
            c.quantize(v, 0, 0, seg, seg.byteSize());
            c.dequantize(seg, seg.byteSize(), v, v.length, 0);
        }
    }
}
