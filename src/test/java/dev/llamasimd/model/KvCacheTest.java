package dev.llamasimd.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.generate.CacheType;
import dev.llamasimd.kernels.Rope;
import dev.llamasimd.tensor.Quant;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** The KV cache's element types: what a stored key or value reads back as, and the bytes a cache takes. */
class KvCacheTest {
    /** Two layers, two KV heads of 8: room for every special value in one row. */
    private static final Config CONFIG = new Config(Architecture.LLAMA, 32, 64, 2, 4, 2, 8, 100, 16, 1e-5f, 10000f, 8,
            Rope.Layout.INTERLEAVED, null, 0);

    /** Stores {@code row} as the keys (and its negation as the values) of head 1 at position 3, and reads both back widened. */
    private static float[][] roundTrip(CacheType type, float[] row) {
        int hd = CONFIG.headDim();
        float[] k = new float[CONFIG.kvDim()];
        float[] v = new float[CONFIG.kvDim()];
        for (int i = 0; i < hd; i++) {
            k[hd + i] = row[i];
            v[hd + i] = -row[i];
        }
        try (KvCache cache = new KvCache(CONFIG, 5, type)) {
            cache.store(1, 1, 3, k, v, hd);
            long at = cache.offset(1, 3);
            float[] keys = new float[hd];
            float[] values = new float[hd];
            cache.kernel().decode(cache.keys(1), at, hd, keys, 0);
            cache.kernel().decode(cache.values(1), at, hd, values, 0);
            return new float[][] {keys, values};
        }
    }

    private static void assertReadsBack(CacheType type, float stored, float expected) {
        float[] row = new float[CONFIG.headDim()];
        row[5] = stored;
        float[][] kv = roundTrip(type, row);
        assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(kv[0][5]),
                type + " key " + stored + " reads back as " + kv[0][5] + ", not " + expected);
        if (!Float.isNaN(expected)) {
            assertEquals(Float.floatToRawIntBits(-expected), Float.floatToRawIntBits(kv[1][5]),
                    type + " value " + -stored + " reads back as " + kv[1][5]);
        }
    }

    @Test
    void f16RoundsToNearestEvenWithItsRangeAndSubnormals() {
        CacheType t = CacheType.F16;
        assertReadsBack(t, 65504f, 65504f);
        assertReadsBack(t, 65519f, 65504f);
        assertReadsBack(t, 65520f, Float.POSITIVE_INFINITY); // halfway to 65536: to even, which is infinity
        assertReadsBack(t, Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY);
        assertReadsBack(t, 1f + 0x1p-11f, 1f); // halfway between 1 and 1 + 2^-10: to even
        assertReadsBack(t, 1f + 3 * 0x1p-11f, 1f + 0x1p-9f);
        assertReadsBack(t, 0x1p-14f, 0x1p-14f); // the least normal
        assertReadsBack(t, 0x1p-24f, 0x1p-24f); // the least subnormal
        assertReadsBack(t, 3 * 0x1p-24f, 3 * 0x1p-24f);
        assertReadsBack(t, 0x1p-25f, 0f); // halfway to the least subnormal: to even, zero
        assertReadsBack(t, 1.5f * 0x1p-24f, 0x1p-23f);
        assertReadsBack(t, 0.1f, Float.float16ToFloat(Float.floatToFloat16(0.1f)));
        assertReadsBack(t, -0f, -0f);
        assertTrue(Float.isNaN(roundTrip(t, nanRow())[0][5]));
    }

    @Test
    void bf16RoundsToNearestEvenAsGgmlAndKeepsNaN() {
        CacheType t = CacheType.BF16;
        assertReadsBack(t, 1f + 0x1p-8f, 1f); // halfway between 1 and 1 + 2^-7: to even
        assertReadsBack(t, 1f + 3 * 0x1p-8f, 1f + 0x1p-6f);
        assertReadsBack(t, 65504f, 65536f);
        assertReadsBack(t, 1e30f, Quant.bf16ToFloat(Quant.floatToBf16(1e30f)));
        assertReadsBack(t, Float.MAX_VALUE, Float.POSITIVE_INFINITY); // ggml_fp32_to_bf16 rounds it up
        assertReadsBack(t, Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY);
        assertReadsBack(t, Float.MIN_NORMAL, Float.MIN_NORMAL);
        assertReadsBack(t, 0x1p-130f, 0x1p-130f); // float32's subnormals are bfloat16's
        assertReadsBack(t, -0f, -0f);
        assertTrue(Float.isNaN(roundTrip(t, nanRow())[0][5]));
        // a NaN whose payload is all in the low bits (which bfloat16 drops) stays NaN
        float[] low = new float[CONFIG.headDim()];
        low[5] = Float.intBitsToFloat(0x7f800001);
        assertTrue(Float.isNaN(roundTrip(t, low)[0][5]));
    }

    private static float[] nanRow() {
        float[] row = new float[CONFIG.headDim()];
        row[5] = Float.NaN;
        return row;
    }

    @Property(tries = 200)
    void everyTypeReadsBackItsRoundingOfTheStoredValue(@ForAll CacheType type, @ForAll long seed) {
        Random rnd = new Random(seed);
        float[] row = new float[CONFIG.headDim()];
        for (int i = 0; i < row.length; i++) {
            row[i] = (float) (rnd.nextGaussian() * Math.exp(rnd.nextGaussian() * 4));
        }
        float[][] kv = roundTrip(type, row);
        for (int i = 0; i < row.length; i++) {
            float expected = switch (type) {
                case F32 -> row[i];
                case F16 -> Float.float16ToFloat(Float.floatToFloat16(row[i]));
                case BF16 -> Quant.bf16ToFloat(Quant.floatToBf16(row[i]));
            };
            assertEquals(expected, kv[0][i], 0f, type + " key " + row[i]);
            assertEquals(-expected, kv[1][i], 0f, type + " value " + -row[i]);
        }
    }

    @Test
    void bytesFollowTheElementSize() {
        // 2 (keys, values) × 2 layers × 2 KV heads × 8 values × positions
        assertEquals(2L * 2 * 2 * 8 * 4 * 1024, KvCache.bytesFor(CONFIG, 1024, CacheType.F32));
        assertEquals(2L * 2 * 2 * 8 * 2 * 1024, KvCache.bytesFor(CONFIG, 1024, CacheType.F16));
        assertEquals(KvCache.bytesFor(CONFIG, 1024, CacheType.F16), KvCache.bytesFor(CONFIG, 1024, CacheType.BF16));
        for (CacheType type : CacheType.values()) {
            try (KvCache cache = new KvCache(CONFIG, 7, type)) {
                assertEquals(type, cache.type());
                assertEquals(KvCache.bytesFor(CONFIG, 7, type), 2 * CONFIG.layers() * cache.keys(0).byteSize());
                assertEquals((long) type.bytes() * (7 + 2) * 8, cache.offset(1, 2));
            }
        }
    }

    @Test
    void typesAreNamedInAnyCaseAndAnUnknownOneListsThem() {
        assertEquals(CacheType.BF16, CacheType.named("bf16"));
        assertEquals(CacheType.F16, CacheType.named("F16"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CacheType.named("Q8_0"));
        assertEquals("unknown KV cache type 'Q8_0'; use one of F32, F16, BF16", e.getMessage());
    }
}
