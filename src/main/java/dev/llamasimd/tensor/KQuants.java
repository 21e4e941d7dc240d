package dev.llamasimd.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * The quantizer math the Q4_1 … Q6_K and IQ4 codecs share, transcribed from ggml's
 * {@code ggml-quants.c} (ggml 0.25.1): {@code nearest_int}, {@code make_qx_quants},
 * {@code make_q3_quants}, {@code make_qkx2_quants}, {@code get_scale_min_k4},
 * {@code best_index_int8} and {@code quantize_row_iq4_nl_impl}.
 *
 * <p>Everything is evaluated as the C code evaluates it on x86-64 without FMA contraction: the
 * same operation order, {@code float} where C uses {@code float}, integer operands converted to
 * {@code float} where C's usual arithmetic conversions do, and C's narrowing stores
 * ({@code (uint8_t) int}, {@code (int8_t) int}) reproduced as two's-complement truncation. Java
 * never contracts {@code a*b+c}, so a plain transcription is bit-exact.
 *
 * <p>Blocks are built in a small {@code byte[]} and copied out whole, so a codec touches exactly
 * {@code type.bytesFor(n)} bytes.
 */
final class KQuants {
    /** ggml's {@code GROUP_MAX_EPS}: a group whose largest magnitude is below this is all zero. */
    static final float GROUP_MAX_EPS = 1e-15f;

    /** ggml's {@code kvalues_iq4nl}: the 16 non-linear levels of IQ4_NL and IQ4_XS. */
    static final byte[] KVALUES_IQ4NL = {
        -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113,
    };

    private KQuants() {}

    // ---------------------------------------------------------------- size checks and byte access

    /**
     * Checks that {@code n} values are whole blocks of {@code type} that fit the array and the
     * segment; returns the byte size {@code type.bytesFor(n)}.
     *
     * @throws IllegalArgumentException naming the type if {@code n} is not whole blocks
     * @throws IndexOutOfBoundsException if the values or bytes do not fit
     */
    static long check(GgmlType type, int n, float[] values, int valuesOff, MemorySegment seg, long offset) {
        if (n < 0 || n % type.blockSize != 0) {
            throw new IllegalArgumentException(
                    n + " values are not whole " + type + " blocks of " + type.blockSize + " values");
        }
        long bytes = type.bytesFor(n);
        Objects.checkFromIndexSize(valuesOff, n, values.length);
        Objects.checkFromIndexSize(offset, bytes, seg.byteSize());
        return bytes;
    }

    /** Copies block {@code b} (of {@code buf.length} bytes) starting at {@code offset} into {@code buf}. */
    static void readBlock(MemorySegment src, long offset, int b, byte[] buf) {
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, offset + (long) b * buf.length, buf, 0, buf.length);
    }

    /** Copies {@code buf} out as block {@code b} starting at {@code offset}. */
    static void writeBlock(byte[] buf, MemorySegment dst, long offset, int b) {
        MemorySegment.copy(buf, 0, dst, ValueLayout.JAVA_BYTE, offset + (long) b * buf.length, buf.length);
    }

    /** The unsigned byte at {@code i}. */
    static int u8(byte[] buf, int i) {
        return buf[i] & 0xff;
    }

    /** The little-endian F16 at {@code i}, as a float. */
    static float f16(byte[] buf, int i) {
        return Float.float16ToFloat((short) ((buf[i] & 0xff) | (buf[i + 1] << 8)));
    }

    /** Stores {@code v} as a little-endian F16 at {@code i} (round to nearest even, like ggml). */
    static void putF16(byte[] buf, int i, float v) {
        short h = Float.floatToFloat16(v);
        buf[i] = (byte) h;
        buf[i + 1] = (byte) (h >> 8);
    }

    /** The F16 {@code v} rounds to, back as a float: {@code GGML_FP16_TO_FP32(GGML_FP32_TO_FP16(v))}. */
    static float roundF16(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }

    // ---------------------------------------------------------------- ggml's helpers

    /**
     * C's {@code (int) f} as x86-64 executes it ({@code cvttss2si} / {@code cvttps2dq}): truncation
     * toward zero, and the "integer indefinite" {@code 0x80000000} for NaN and out-of-range values
     * (where Java's {@code (int)} saturates instead). ggml's {@code (int8_t)(x + 0.5f)} style
     * conversions are this followed by keeping the low byte; the difference only shows when a
     * block's scale is a float subnormal and {@code 1/d} overflows to infinity.
     */
    static int truncToInt(float f) {
        return f >= -2147483648f && f < 2147483648f ? (int) f : Integer.MIN_VALUE;
    }

    /**
     * ggml's {@code nearest_int}: adds 1.5·2<sup>23</sup> and reads the low mantissa bits. For
     * {@code |x| < 2^22} this is round-half-to-even; beyond (where ggml only has a debug assert) it
     * returns the same wrapped-around integer the C code does.
     */
    static int nearestInt(float fval) {
        float val = fval + 12582912f;
        int i = Float.floatToRawIntBits(val);
        return (i & 0x007fffff) - 0x00400000;
    }

    /**
     * ggml's {@code make_qx_quants} with {@code qw = NULL}: symmetric quantization of
     * {@code x[xOff..xOff+n)} to {@code L[lOff..] ∈ [0, 2·nmax)} (stored offset by {@code nmax});
     * returns the scale.
     */
    static float makeQxQuants(int n, int nmax, float[] x, int xOff, byte[] L, int lOff, int rmseType) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; ++i) {
            float ax = Math.abs(x[xOff + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xOff + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; ++i) {
                L[lOff + i] = 0;
            }
            return 0f;
        }
        float iscale = -nmax / max;
        if (rmseType == 0) {
            for (int i = 0; i < n; ++i) {
                int l = nearestInt(iscale * x[xOff + i]);
                L[lOff + i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, l)));
            }
            return 1 / iscale;
        }
        boolean returnEarly = false;
        if (rmseType < 0) {
            rmseType = -rmseType;
            returnEarly = true;
        }
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; ++i) {
            float xi = x[xOff + i];
            int l = nearestInt(iscale * xi);
            l = Math.max(-nmax, Math.min(nmax - 1, l));
            L[lOff + i] = (byte) (l + nmax);
            float w = qxWeight(rmseType, xi);
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        if (returnEarly) {
            return suml2 > 0 ? 0.5f * (scale + 1 / iscale) : 1 / iscale;
        }
        float best = scale * sumlx;
        for (int is = -9; is <= 9; ++is) {
            if (is == 0) {
                continue;
            }
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0;
            suml2 = 0;
            for (int i = 0; i < n; ++i) {
                float xi = x[xOff + i];
                int l = nearestInt(iscale * xi);
                l = Math.max(-nmax, Math.min(nmax - 1, l));
                float w = qxWeight(rmseType, xi);
                sumlx += w * xi * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; ++i) {
                    int l = nearestInt(iscale * x[xOff + i]);
                    L[lOff + i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, l)));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    private static float qxWeight(int rmseType, float x) {
        return rmseType == 1 ? x * x
                : rmseType == 2 ? 1
                : rmseType == 3 ? Math.abs(x)
                : (float) Math.sqrt(Math.abs(x));
    }

    /**
     * ggml's {@code make_q3_quants}: symmetric quantization to {@code L ∈ [0, 2·nmax)} (offset by
     * {@code nmax}; all zeros for an all-zero group), refined by coordinate descent when
     * {@code doRmse}; returns the scale.
     */
    static float makeQ3Quants(int n, int nmax, float[] x, int xOff, byte[] L, int lOff, boolean doRmse) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; ++i) {
            float ax = Math.abs(x[xOff + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xOff + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; ++i) {
                L[lOff + i] = 0;
            }
            return 0f;
        }
        float iscale = -nmax / max;
        if (doRmse) {
            float sumlx = 0;
            float suml2 = 0;
            for (int i = 0; i < n; ++i) {
                float xi = x[xOff + i];
                int l = nearestInt(iscale * xi);
                l = Math.max(-nmax, Math.min(nmax - 1, l));
                L[lOff + i] = (byte) l;
                float w = xi * xi;
                sumlx += w * xi * l;
                suml2 += w * l * l;
            }
            for (int itry = 0; itry < 5; ++itry) {
                int nChanged = 0;
                for (int i = 0; i < n; ++i) {
                    float xi = x[xOff + i];
                    int li = L[lOff + i];
                    float w = xi * xi;
                    float slx = sumlx - w * xi * li;
                    if (slx > 0) {
                        float sl2 = suml2 - w * li * li;
                        int newL = nearestInt(xi * sl2 / slx);
                        newL = Math.max(-nmax, Math.min(nmax - 1, newL));
                        if (newL != li) {
                            slx += w * xi * newL;
                            sl2 += w * newL * newL;
                            if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                                L[lOff + i] = (byte) newL;
                                sumlx = slx;
                                suml2 = sl2;
                                ++nChanged;
                            }
                        }
                    }
                }
                if (nChanged == 0) {
                    break;
                }
            }
            for (int i = 0; i < n; ++i) {
                L[lOff + i] += (byte) nmax;
            }
            return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
        }
        for (int i = 0; i < n; ++i) {
            int l = nearestInt(iscale * x[xOff + i]);
            l = Math.max(-nmax, Math.min(nmax - 1, l));
            L[lOff + i] = (byte) (l + nmax);
        }
        return 1 / iscale;
    }

    /**
     * ggml's {@code make_qkx2_quants}: asymmetric quantization {@code x ≈ scale·L − theMin} with
     * {@code L ∈ [0, nmax]}, searching {@code nstep + 1} candidate scales around
     * {@code nmax / (max − min)} for the least weighted error (absolute if {@code useMad}, else
     * squared). Writes {@code L[lOff..lOff+n)}, stores the (non-negative) min in
     * {@code theMin[minIdx]}, returns the scale. {@code laux} is scratch of at least {@code n}.
     */
    static float makeQkx2Quants(int n, int nmax, float[] x, int xOff, float[] weights, byte[] L, int lOff,
            float[] theMin, int minIdx, byte[] laux, float rmin, float rdelta, int nstep, boolean useMad) {
        float min = x[xOff];
        float max = x[xOff];
        float sumW = weights[0];
        float sumX = sumW * x[xOff];
        for (int i = 1; i < n; ++i) {
            float xi = x[xOff + i];
            if (xi < min) {
                min = xi;
            }
            if (xi > max) {
                max = xi;
            }
            float w = weights[i];
            sumW += w;
            sumX += w * xi;
        }
        if (min > 0) {
            min = 0;
        }
        if (max == min) {
            for (int i = 0; i < n; ++i) {
                L[lOff + i] = 0;
            }
            theMin[minIdx] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; ++i) {
            int l = nearestInt(iscale * (x[xOff + i] - min));
            l = Math.max(0, Math.min(nmax, l));
            L[lOff + i] = (byte) l;
            float diff = scale * l + min - x[xOff + i];
            diff = useMad ? Math.abs(diff) : diff * diff;
            float w = weights[i];
            bestError += w * diff;
        }
        if (nstep < 1) {
            theMin[minIdx] = -min;
            return scale;
        }
        for (int is = 0; is <= nstep; ++is) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0;
            float sumL2 = 0;
            float sumXl = 0;
            for (int i = 0; i < n; ++i) {
                int l = nearestInt(iscale * (x[xOff + i] - min));
                l = Math.max(0, Math.min(nmax, l));
                laux[i] = (byte) l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXl += w * l * x[xOff + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXl - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXl) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXl / sumL2;
                }
                float curError = 0;
                for (int i = 0; i < n; ++i) {
                    float diff = thisScale * (laux[i] & 0xff) + thisMin - x[xOff + i];
                    diff = useMad ? Math.abs(diff) : diff * diff;
                    float w = weights[i];
                    curError += w * diff;
                }
                if (curError < bestError) {
                    System.arraycopy(laux, 0, L, lOff, n);
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin[minIdx] = -min;
        return scale;
    }

    /**
     * ggml's {@code get_scale_min_k4}, scale half: the 6-bit scale of sub-block {@code j} (0..7)
     * from the 12 packed scale bytes at {@code q[off..off+12)} (Q4_K, Q5_K).
     */
    static int scaleK4(int j, byte[] q, int off) {
        return j < 4
                ? q[off + j] & 63
                : (q[off + j + 4] & 0xF) | (((q[off + j - 4] & 0xff) >> 6) << 4);
    }

    /** ggml's {@code get_scale_min_k4}, min half: the 6-bit min of sub-block {@code j}. */
    static int minK4(int j, byte[] q, int off) {
        return j < 4
                ? q[off + j + 4] & 63
                : ((q[off + j + 4] & 0xff) >> 4) | (((q[off + j] & 0xff) >> 6) << 4);
    }

    /** Scratch for {@link #quantizeScalesMinsK4}: one per quantize call, reused for every super-block. */
    static final class K4Scratch {
        final byte[] laux = new byte[32];
        final float[] weights = new float[32];
        final float[] mins = new float[8];
        final float[] scales = new float[8];
    }

    /**
     * The part {@code quantize_row_q4_K_ref} and {@code quantize_row_q5_K_ref} share, for the
     * super-block at {@code src[x..x+256)}: each 32-value sub-block's scale and min by
     * {@code make_qkx2_quants} (weights {@code sqrt(mean x²) + |x|}), both packed to 6 bits with
     * the F16 {@code d} at byte 0 and {@code dmin} at byte 2 of {@code blk} (which must be zero),
     * then the quants recomputed against the stored scales, {@code L[0..256)} in {@code [0, nmax]}.
     */
    static void quantizeScalesMinsK4(float[] src, int x, byte[] blk, byte[] L, int nmax, float rmin, int nstep,
                                     K4Scratch t) {
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 8; ++j) {
            int xj = x + 32 * j;
            float sumX2 = 0;
            for (int l = 0; l < 32; ++l) {
                sumX2 += src[xj + l] * src[xj + l];
            }
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; ++l) {
                t.weights[l] = avX + Math.abs(src[xj + l]);
            }
            t.scales[j] = makeQkx2Quants(32, nmax, src, xj, t.weights, L, 32 * j, t.mins, j, t.laux, rmin, 0.1f, nstep,
                    false);
            if (t.scales[j] > maxScale) {
                maxScale = t.scales[j];
            }
            if (t.mins[j] > maxMin) {
                maxMin = t.mins[j];
            }
        }
        packScalesMinsK4(blk, 4, t.scales, t.mins, maxScale, maxMin);
        putF16(blk, 0, maxScale / 63.f);
        putF16(blk, 2, maxMin / 63.f);
        float dAll = f16(blk, 0);
        float dminAll = f16(blk, 2);
        for (int j = 0; j < 8; ++j) {
            float d = dAll * scaleK4(j, blk, 4);
            if (d == 0) {
                continue;
            }
            float dm = dminAll * minK4(j, blk, 4);
            for (int ii = 0; ii < 32; ++ii) {
                int l = nearestInt((src[x + 32 * j + ii] + dm) / d);
                L[32 * j + ii] = (byte) Math.max(0, Math.min(nmax, l));
            }
        }
    }

    /**
     * Quantizes 8 sub-block scales and mins to 6 bits against their maxima and packs them into the
     * 12 bytes at {@code s[off..off+12)} in {@code get_scale_min_k4} order, as
     * {@code quantize_row_q4_K_ref} / {@code quantize_row_q5_K_ref} do (including the
     * {@code (uint8_t)} store of {@code nearest_int} before the clamp to 63). The 12 bytes must be
     * zero on entry.
     */
    static void packScalesMinsK4(byte[] s, int off, float[] scales, float[] mins, float maxScale, float maxMin) {
        float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
        float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
        for (int j = 0; j < 8; ++j) {
            int ls = Math.min(63, KQuants.nearestInt(invScale * scales[j]) & 0xff);
            int lm = Math.min(63, KQuants.nearestInt(invMin * mins[j]) & 0xff);
            if (j < 4) {
                s[off + j] = (byte) ls;
                s[off + j + 4] = (byte) lm;
            } else {
                s[off + j + 4] = (byte) ((ls & 0xF) | ((lm & 0xF) << 4));
                s[off + j - 4] |= (byte) ((ls >> 4) << 6);
                s[off + j] |= (byte) ((lm >> 4) << 6);
            }
        }
    }

    /**
     * ggml's {@code best_index_int8}: the index of the level of {@code val[0..n)} (ascending)
     * nearest to {@code x}, ties to the upper level, by bisection as ggml does it.
     */
    static int bestIndexInt8(int n, byte[] val, float x) {
        if (x <= val[0]) {
            return 0;
        }
        if (x >= val[n - 1]) {
            return n - 1;
        }
        int ml = 0;
        int mu = n - 1;
        while (mu - ml > 1) {
            int mav = (ml + mu) / 2;
            if (x < val[mav]) {
                mu = mav;
            } else {
                ml = mav;
            }
        }
        return x - val[mu - 1] < val[mu] - x ? mu - 1 : mu;
    }

    /**
     * ggml's {@code quantize_row_iq4_nl_impl} with {@code quant_weights = NULL} and the
     * {@code kvalues_iq4nl} levels, for one super-block of {@code superBlockSize} values in 32-value
     * blocks: IQ4_NL is one 32-value block ({@code superBlockSize = 32}), IQ4_XS 8 blocks with
     * 6-bit block scales. Writes into {@code out}: the F16 super-block scale at {@code dOff}, the
     * nibbles at {@code qsOff} ({@code superBlockSize / 2} bytes), and for IQ4_XS the 16-bit high
     * scale bits at {@code scalesHOff} and the low nibbles at {@code scalesLOff}.
     */
    static void quantizeIq4NlImpl(int superBlockSize, float[] x, int xOff, byte[] out, int dOff, int qsOff,
            int scalesHOff, int scalesLOff, int ntry) {
        final int blockSize = 32;
        final byte[] values = KVALUES_IQ4NL;
        // (sigma2 is computed by ggml but only used with quant_weights.)
        int nb = superBlockSize / blockSize;
        float[] scales = new float[nb];
        float[] weight = new float[blockSize];
        byte[] L = new byte[superBlockSize];
        putF16(out, dOff, 0f);

        float maxScale = 0;
        float amaxScale = 0;
        for (int ib = 0; ib < nb; ++ib) {
            int xb = xOff + ib * blockSize;
            int lb = ib * blockSize;
            for (int j = 0; j < blockSize; ++j) {
                weight[j] = x[xb + j] * x[xb + j];
            }
            float amax = 0;
            float max = 0;
            for (int j = 0; j < blockSize; ++j) {
                float ax = Math.abs(x[xb + j]);
                if (ax > amax) {
                    amax = ax;
                    max = x[xb + j];
                }
            }
            if (amax < GROUP_MAX_EPS) {
                scales[ib] = 0;
                continue;
            }
            float d = ntry > 0 ? -max / values[0] : max / values[0];
            float id = 1 / d;
            float sumqx = 0;
            float sumq2 = 0;
            for (int j = 0; j < blockSize; ++j) {
                float al = id * x[xb + j];
                int l = bestIndexInt8(16, values, al);
                L[lb + j] = (byte) l;
                float q = values[l];
                float w = weight[j];
                sumqx += w * q * x[xb + j];
                sumq2 += w * q * q;
            }
            d = sumq2 > 0 ? sumqx / sumq2 : 0.f;
            float best = d * sumqx;
            for (int itry = -ntry; itry <= ntry; ++itry) {
                id = (itry + values[0]) / max;
                sumqx = 0;
                sumq2 = 0;
                for (int j = 0; j < blockSize; ++j) {
                    float al = id * x[xb + j];
                    int l = bestIndexInt8(16, values, al);
                    float q = values[l];
                    float w = weight[j];
                    sumqx += w * q * x[xb + j];
                    sumq2 += w * q * q;
                }
                if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                    d = sumqx / sumq2;
                    best = d * sumqx;
                }
            }
            scales[ib] = d;
            float absD = Math.abs(d);
            if (absD > amaxScale) {
                amaxScale = absD;
                maxScale = d;
            }
        }

        if (nb > 1) {
            out[scalesHOff] = 0;
            out[scalesHOff + 1] = 0;
            int scalesH = 0;
            float d = -maxScale / 32;
            putF16(out, dOff, d);
            float id = d != 0 ? 1 / d : 0.f;
            for (int ib = 0; ib < nb; ++ib) {
                int l = nearestInt(id * scales[ib]);
                l = Math.max(-32, Math.min(31, l));
                float dl = d * l;
                float idl = dl != 0 ? 1 / dl : 0.f;
                int xb = xOff + ib * blockSize;
                for (int j = 0; j < blockSize; ++j) {
                    L[ib * blockSize + j] = (byte) bestIndexInt8(16, values, idl * x[xb + j]);
                }
                l += 32;
                int lLow = l & 0xf;
                int lHigh = (l >> 4) & 0xff;
                if (ib % 2 == 0) {
                    out[scalesLOff + ib / 2] = (byte) lLow;
                } else {
                    out[scalesLOff + ib / 2] |= (byte) (lLow << 4);
                }
                scalesH |= lHigh << 2 * (ib % 8);
            }
            out[scalesHOff] = (byte) scalesH;
            out[scalesHOff + 1] = (byte) (scalesH >> 8);
        } else {
            putF16(out, dOff, scales[0]);
            if (ntry > 0) {
                float id = scales[0] != 0 ? 1 / scales[0] : 0;
                for (int j = 0; j < superBlockSize; ++j) {
                    L[j] = (byte) bestIndexInt8(16, values, id * x[xOff + j]);
                }
            }
        }

        for (int i = 0; i < superBlockSize / 32; ++i) {
            for (int j = 0; j < 16; ++j) {
                out[qsOff + 16 * i + j] = (byte) (L[32 * i + j] | (L[32 * i + 16 + j] << 4));
            }
        }
    }
}
