package dev.llamasimd.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A named view of tensor data: type, shape and the bytes, which are a slice of a mapped file
 * (never a heap copy). The shape is in ggml order: {@code ne[0]} is the contiguous dimension, so
 * a matrix {@code ne = [cols, rows]} is stored as {@code rows} rows of {@code cols} values and
 * computes {@code y = W x} with {@code x} of length {@code cols}. (A safetensors {@code [out, in]}
 * matrix therefore has {@code ne = [in, out]}.)
 */
public record Tensor(String name, GgmlType type, long[] ne, MemorySegment data) {

    public Tensor {
        ne = ne.clone();
        long n = 1;
        for (long d : ne) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor " + name + ": negative dimension in " + Arrays.toString(ne));
            }
            n = Math.multiplyExact(n, d);
        }
        long expected = type.bytesFor(n);
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("tensor " + name + ": " + data.byteSize() + " bytes for "
                    + type + Arrays.toString(ne) + ", which needs " + expected);
        }
    }

    @Override
    public long[] ne() {
        return ne.clone();
    }

    public int rank() {
        return ne.length;
    }

    public long dim(int i) {
        return i < ne.length ? ne[i] : 1;
    }

    public long elementCount() {
        long n = 1;
        for (long d : ne) {
            n *= d;
        }
        return n;
    }

    /** Length of one row: {@code ne[0]}. */
    public int cols() {
        return Math.toIntExact(dim(0));
    }

    /** Number of rows: the product of {@code ne[1..]}. */
    public int rows() {
        return Math.toIntExact(elementCount() / Math.max(1, dim(0)));
    }

    /** Bytes of one row. */
    public long rowBytes() {
        return type.bytesFor(dim(0));
    }

    public String shapeString() {
        return Arrays.toString(ne);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && t.name.equals(name) && t.type == type && Arrays.equals(t.ne, ne)
                && t.data.equals(data);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(ne);
    }

    @Override
    public String toString() {
        return name + " " + type + shapeString();
    }
}
