package dev.llamasimd.model;

import dev.llamasimd.kernels.Parallel;
import dev.llamasimd.kernels.Rope;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Quant;
import dev.llamasimd.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

/** Small decoders of every family, with random weights and biases,, held in off-heap memory, for property tests. */
final class RandomModels {
    private RandomModels() {}

    /** A random config; matrices of a quantised type get block-aligned input sizes. */
    static Config config(Random rnd, GgmlType type) {
        int align = type.blockSize;
        int kvHeads = 1 + rnd.nextInt(3);
        int heads = kvHeads * (1 + rnd.nextInt(3));
        int headDim = 2 * (1 + rnd.nextInt(type.isQuantized() ? 16 : 12));
        if (type.isQuantized()) {
            // q·Wo needs heads × headDim to be whole blocks
            while ((heads * headDim) % align != 0) {
                headDim += 2;
            }
        }
        // at least 8 hidden values: a model of 2 (seen: dim 2 under 72 query values) amplifies
        // last-bit differences of its activations past the cached-vs-uncached bound; real ones do not
        int dim = type.isQuantized() ? align * (1 + rnd.nextInt(3)) : 8 + rnd.nextInt(63);
        int ffn = align * (1 + rnd.nextInt(type.isQuantized() ? 3 : 90));
        int ropeDims = 2 * (1 + rnd.nextInt(headDim / 2));
        RopeScaling scaling = switch (rnd.nextInt(3)) {
            case 0 -> new RopeScaling.Llama3(8f, 1f, 4f, 16);
            case 1 -> new RopeScaling.Linear(2f);
            default -> null;
        };
        Architecture family = Architecture.ALL.get(rnd.nextInt(Architecture.ALL.size()));
        return new Config(family, dim, ffn, 1 + rnd.nextInt(3), heads, kvHeads, headDim, 3 + rnd.nextInt(60),
                128, 1e-5f, 10000f, ropeDims,
                rnd.nextBoolean() ? Rope.Layout.INTERLEAVED : Rope.Layout.HALF_SPLIT, scaling,
                rnd.nextInt(3) == 0 ? 1 + rnd.nextInt(40) : 0);
    }

    static Llama model(Config c, GgmlType type, boolean tied, Random rnd, Parallel parallel, Arena arena) {
        Weights.Layer[] layers = new Weights.Layer[c.layers()];
        for (int l = 0; l < c.layers(); l++) {
            layers[l] = new Weights.Layer(
                    norm(rnd, c.dim()),
                    biased(c, TensorRole.Q, matrix("wq", type, c.dim(), c.qDim(), rnd, arena), rnd),
                    biased(c, TensorRole.K, matrix("wk", type, c.dim(), c.kvDim(), rnd, arena), rnd),
                    biased(c, TensorRole.V, matrix("wv", type, c.dim(), c.kvDim(), rnd, arena), rnd),
                    biased(c, TensorRole.O, matrix("wo", type, c.qDim(), c.dim(), rnd, arena), rnd),
                    norm(rnd, c.dim()),
                    biased(c, TensorRole.GATE, matrix("w1", type, c.dim(), c.ffnDim(), rnd, arena), rnd),
                    biased(c, TensorRole.DOWN, matrix("w2", type, c.ffnDim(), c.dim(), rnd, arena), rnd),
                    biased(c, TensorRole.UP, matrix("w3", type, c.dim(), c.ffnDim(), rnd, arena), rnd));
        }
        Matrix embedding = matrix("embedding", type, c.dim(), c.vocabSize(), rnd, arena);
        Matrix output = tied ? embedding : matrix("output", type, c.dim(), c.vocabSize(), rnd, arena);
        float[] freqFactors = rnd.nextBoolean() ? null : norm(rnd, c.ropeDims() / 2);
        Weights w = new Weights(embedding, layers, norm(rnd, c.dim()), output, c.ropeInvFreq(freqFactors));
        return new Llama(c, w, parallel, null);
    }

    /** {@code m} with a random bias: always where the family has one, else one time in three. */
    private static Matrix biased(Config c, TensorRole role, Matrix m, Random rnd) {
        if (!c.family().biases().contains(role) && rnd.nextInt(3) != 0) {
            return m;
        }
        float[] b = new float[m.rows()];
        for (int i = 0; i < b.length; i++) {
            b[i] = 0.5f * (float) rnd.nextGaussian();
        }
        return m.withBias(b);
    }

    private static float[] norm(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = 1f + 0.2f * (float) rnd.nextGaussian();
        }
        return v;
    }

    static Matrix matrix(String name, GgmlType type, int cols, int rows, Random rnd, Arena arena) {
        float[] values = new float[rows * cols];
        double scale = 1.0 / Math.sqrt(cols);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (rnd.nextGaussian() * scale);
        }
        MemorySegment seg = arena.allocate(type.bytesFor((long) rows * cols), 64);
        for (int r = 0; r < rows; r++) {
            Quant.quantize(type, values, r * cols, cols, seg, r * type.bytesFor(cols));
        }
        return Matrix.of(new Tensor(name, type, new long[] {cols, rows}, seg));
    }
}
