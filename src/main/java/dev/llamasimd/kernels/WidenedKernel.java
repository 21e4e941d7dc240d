package dev.llamasimd.kernels;

import static dev.llamasimd.kernels.Vec.F;
import static dev.llamasimd.kernels.Vec.L;

import dev.llamasimd.tensor.Codec;
import dev.llamasimd.tensor.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * A kernel whose decode dot product widens the row into the scratch buffer with its own
 * {@link #decode}, then multiplies it as an array ({@link Vec#dot}): for the types whose widening
 * is too involved to fuse with the multiplication profitably, and for the K-quants where the
 * vector width is too narrow to fuse it ({@link SuperBlockKernel}). Two rows ({@link #dot2})
 * take turns: {@link #CHUNK} values of one widened, the same of the other, both multiplied, the
 * accumulators kept in the buffer between chunks. Widening a whole row, then the other, kept one
 * stream from memory in flight at a time: on F16 the turns decode 6.3–6.9 → 7.5–8.4 tokens/s
 * (synthetic llama-3.2-1b, 2 threads; in a sweep turns of 512 values 9.1–9.2, of 256 8.7–9.0, of
 * 1024 7.8–8.0).
 */
abstract class WidenedKernel implements TypeKernel {
    /** Values of each row widened at a turn. */
    static final int CHUNK = 512;

    private final GgmlType type;
    private final Codec codec;

    WidenedKernel(GgmlType type, Codec codec) {
        this.type = type;
        this.codec = codec;
    }

    @Override
    public final GgmlType type() {
        return type;
    }

    @Override
    public final Codec codec() {
        return codec;
    }

    @Override
    public float dot(MemorySegment w, long row, int n, float[] x, int xOff, float[] buf) {
        decode(w, row, n, buf, 0);
        return Vec.dot(buf, 0, n, x, xOff);
    }

    /**
     * Row a's accumulators at buf[0, 2L), row b's at [2L, 4L), the chunks widened after them (a
     * chunk is a whole number of blocks and of vector pairs, so each row's sum is {@link
     * Vec#dot}'s order over its widened row, bit for bit); with too little scratch for the 4L
     * accumulators and a chunk of each row (64 values, or a block if that is longer), one row
     * after the other.
     */
    @Override
    public void dot2(MemorySegment w, long a, long b, int n, float[] x, int xOff, float[] buf,
                     float[] y, int yA, int yB) {
        int unit = Math.max(64, type.blockSize);
        int chunk = Math.min(CHUNK, (buf.length - 4 * L) / 2 / unit * unit);
        if (chunk < unit) {
            TypeKernel.super.dot2(w, a, b, n, x, xOff, buf, y, yA, yB);
            return;
        }
        int whole = n - n % (2 * L);
        Arrays.fill(buf, 0, 4 * L, 0f);
        for (int i = 0; i < whole; i += chunk) {
            int len = Math.min(chunk, whole - i);
            long skip = type.bytesFor(i);
            decode(w, a + skip, len, buf, 4 * L);
            decode(w, b + skip, len, buf, 4 * L + chunk);
            accumulate2(buf, 4 * L, 4 * L + chunk, len, x, xOff + i);
        }
        float sa = Vec.sumStored2(buf, 0);
        float sb = Vec.sumStored2(buf, 2 * L);
        if (whole < n) { // a tail of fewer than 2L values, for types of 1-value blocks
            int tail = n - whole;
            long skip = type.bytesFor(whole);
            decode(w, a + skip, tail, buf, 0);
            decode(w, b + skip, tail, buf, tail);
            for (int i = 0; i < tail; i++) {
                sa = Math.fma(buf[i], x[xOff + whole + i], sa);
                sb = Math.fma(buf[tail + i], x[xOff + whole + i], sb);
            }
        }
        y[yA] = sa;
        y[yB] = sb;
    }

    /**
     * {@code len} (a multiple of 2L) widened values of row a at acc[wa..) and of row b at
     * acc[wb..) times {@code x[xOff..)}, into the accumulators stored at acc[0, 4L).
     */
    private static void accumulate2(float[] acc, int wa, int wb, int len, float[] x, int xOff) {
        FloatVector a0 = FloatVector.fromArray(F, acc, 0);
        FloatVector a1 = FloatVector.fromArray(F, acc, L);
        FloatVector b0 = FloatVector.fromArray(F, acc, 2 * L);
        FloatVector b1 = FloatVector.fromArray(F, acc, 3 * L);
        for (int i = 0; i < len; i += 2 * L) {
            FloatVector x0 = FloatVector.fromArray(F, x, xOff + i);
            FloatVector x1 = FloatVector.fromArray(F, x, xOff + i + L);
            a0 = FloatVector.fromArray(F, acc, wa + i).fma(x0, a0);
            a1 = FloatVector.fromArray(F, acc, wa + i + L).fma(x1, a1);
            b0 = FloatVector.fromArray(F, acc, wb + i).fma(x0, b0);
            b1 = FloatVector.fromArray(F, acc, wb + i + L).fma(x1, b1);
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, L);
        b0.intoArray(acc, 2 * L);
        b1.intoArray(acc, 3 * L);
    }
}
