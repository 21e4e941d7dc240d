package dev.llamasimd.model;

import dev.llamasimd.generate.CacheType;
import dev.llamasimd.kernels.TypeKernel;
import dev.llamasimd.kernels.TypeKernels;
import dev.llamasimd.tensor.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The key/value cache: off-heap, one contiguous segment per layer for keys and one for values,
 * laid out {@code [kvHead][position][headDim]} so that one head's positions are contiguous.
 * Capacity and element type ({@link CacheType}) are fixed when the cache is made; keys and
 * values are rounded to the type as they are stored. {@link #length()} positions are filled.
 */
public final class KvCache implements AutoCloseable {
    private final Arena arena;
    private final CacheType type;
    /** Stores rows in the cache's type (its codec) and widens them back (its row decode). */
    private final TypeKernel kernel;
    private final MemorySegment[] keys;
    private final MemorySegment[] values;
    private final int capacity;
    private final int headDim;
    private final int kvHeads;
    private int length;

    public KvCache(Config config, int capacity, CacheType type) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("KV cache capacity must be positive, not " + capacity);
        }
        this.type = type;
        this.kernel = TypeKernels.of(element(type));
        this.capacity = capacity;
        this.headDim = config.headDim();
        this.kvHeads = config.kvHeads();
        long perLayer = (long) type.bytes() * config.kvHeads() * capacity * headDim;
        this.arena = Arena.ofShared();
        this.keys = new MemorySegment[config.layers()];
        this.values = new MemorySegment[config.layers()];
        try {
            for (int l = 0; l < config.layers(); l++) {
                keys[l] = arena.allocate(perLayer, 64);
                values[l] = arena.allocate(perLayer, 64);
            }
        } catch (OutOfMemoryError e) {
            arena.close();
            throw new IllegalArgumentException("a KV cache of " + capacity + " positions (" + type + ") needs "
                    + (bytesFor(config, capacity, type) >> 20) + " MiB of off-heap memory, which is not available", e);
        }
    }

    /** Bytes a cache of {@code positions} of {@code type} needs for this config (keys and values of every layer). */
    public static long bytesFor(Config config, int positions, CacheType type) {
        return 2L * type.bytes() * config.layers() * config.kvHeads() * positions * config.headDim();
    }

    public CacheType type() {
        return type;
    }

    /** The kernel of the cache's type: its {@link TypeKernel#decode} widens stored rows to float32. */
    TypeKernel kernel() {
        return kernel;
    }

    /** Whether this cache has the layers and heads of {@code config}. */
    boolean fits(Config config) {
        return keys.length == config.layers() && headDim == config.headDim() && kvHeads == config.kvHeads();
    }

    public int capacity() {
        return capacity;
    }

    /** Positions {@code [0, length)} hold keys and values. */
    public int length() {
        return length;
    }

    /** Forgets positions {@code >= length} (they will be overwritten); {@code 0} empties the cache. */
    public void truncate(int length) {
        if (length < 0 || length > this.length) {
            throw new IllegalArgumentException("cannot truncate a cache of " + this.length + " positions to " + length);
        }
        this.length = length;
    }

    MemorySegment keys(int layer) {
        return keys[layer];
    }

    MemorySegment values(int layer) {
        return values[layer];
    }

    /** Byte offset of {@code (kvHead, position)} in a layer's segment. */
    long offset(int kvHead, int position) {
        return (long) type.bytes() * ((long) kvHead * capacity + position) * headDim;
    }

    /**
     * Stores head {@code kvHead} of token rows {@code k}, {@code v} (at {@code off}) at
     * {@code position}, rounded to the cache's type.
     */
    void store(int layer, int kvHead, int position, float[] k, float[] v, int off) {
        long at = offset(kvHead, position);
        kernel.codec().quantize(k, off, headDim, keys[layer], at);
        kernel.codec().quantize(v, off, headDim, values[layer], at);
    }

    void setLength(int length) {
        this.length = length;
    }

    @Override
    public void close() {
        arena.close();
    }

    /** The ggml type of the same encoding, whose codec stores and whose kernel widens the cache's rows. */
    private static GgmlType element(CacheType type) {
        return switch (type) {
            case F32 -> GgmlType.F32;
            case F16 -> GgmlType.F16;
            case BF16 -> GgmlType.BF16;
        };
    }
}
