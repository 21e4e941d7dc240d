package dev.llamasimd.model;

import dev.llamasimd.io.ModelFormatException;
import dev.llamasimd.io.TensorSource;
import dev.llamasimd.tensor.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Finds weights that are not finite numbers: a quantized block whose scale is NaN or infinite
 * (every value of the block then is), or such a value in a float matrix or norm. A scan reads the
 * whole model, so it runs when a forward pass has produced a non-finite logit (to name the
 * cause) and in {@code inspect}, not at load.
 */
public final class WeightCheck {
    private WeightCheck() {}

    /**
     * The first non-finite weight, as an exception naming the file, the tensor, its type, the
     * row, the block and its byte offset in the file (where the source knows it); {@code null}
     * if every weight is finite.
     *
     * @param source where the tensors come from, for the file and offsets; may be {@code null}
     */
    public static ModelFormatException firstNonFinite(Weights w, TensorSource source) {
        Path file = source == null ? Path.of("(model)") : source.path();
        Set<Matrix> matrices = new LinkedHashSet<>();
        matrices.add(w.tokenEmbedding());
        for (Weights.Layer l : w.layers()) {
            matrices.addAll(l.matrices());
        }
        matrices.add(w.output());
        for (Matrix m : matrices) {
            ModelFormatException e = scan(m, file, source);
            if (e == null && m.bias() != null) {
                e = vector(m.bias(), "bias '" + m.tensor().name().replaceFirst("\\.weight$", "") + ".bias'", file);
            }
            if (e != null) {
                return e;
            }
        }
        for (int l = 0; l < w.layers().length; l++) {
            ModelFormatException e = vector(w.layers()[l].attnNorm(), "norm 'blk." + l + ".attn_norm.weight'", file);
            e = e != null ? e : vector(w.layers()[l].ffnNorm(), "norm 'blk." + l + ".ffn_norm.weight'", file);
            if (e != null) {
                return e;
            }
        }
        return vector(w.outputNorm(), "norm 'output_norm.weight'", file);
    }

    private static ModelFormatException scan(Matrix m, Path file, TensorSource source) {
        Tensor t = m.tensor();
        long rowBytes = t.rowBytes();
        int block = t.type().blockSize;
        float[] row = new float[m.cols()];
        for (int r = 0; r < m.rows(); r++) {
            m.row(r, row, 0);
            for (int j = 0; j < row.length; j++) {
                if (!Float.isFinite(row[j])) {
                    long inTensor = r * rowBytes + (long) (j / block) * t.type().blockBytes;
                    long base = source == null ? -1 : source.fileOffset(t);
                    return new ModelFormatException(file, base < 0 ? -1 : base + inTensor, "tensor '" + t.name()
                            + "' (" + t.type() + "), row " + r + ", " + (block > 1 ? "block " + j / block
                            + " (byte " + inTensor + " of the tensor): its scale makes the values " + row[j]
                            : "column " + j + ": the weight is " + row[j]) + ", not a number a model can compute with");
                }
            }
        }
        return null;
    }

    private static ModelFormatException vector(float[] v, String name, Path file) {
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                return new ModelFormatException(file, name + " holds " + v[i] + " at " + i);
            }
        }
        return null;
    }
}
