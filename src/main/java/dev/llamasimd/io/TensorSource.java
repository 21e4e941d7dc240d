package dev.llamasimd.io;

import dev.llamasimd.tensor.Tensor;
import java.nio.file.Path;
import java.util.Map;

/** A mapped model file (or directory of files) that hands out named tensors as views. */
public interface TensorSource extends AutoCloseable {

    /** The file or directory the tensors come from, for messages. */
    Path path();

    /** Every tensor, in file order. */
    Map<String, Tensor> tensors();

    /** The tensor of that name, or an exception naming the file and the missing tensor. */
    default Tensor tensor(String name) {
        Tensor t = tensors().get(name);
        if (t == null) {
            throw new ModelFormatException(path(), "missing tensor '" + name + "'");
        }
        return t;
    }

    /** The tensor of that name, or {@code null}. */
    default Tensor optionalTensor(String name) {
        return tensors().get(name);
    }

    /** Where the data of the tensor named as {@code t} starts in its file, or -1 where that is not known. */
    default long fileOffset(Tensor t) {
        return -1;
    }

    /** Unmaps the file(s); every tensor view becomes invalid. */
    @Override
    void close();
}
