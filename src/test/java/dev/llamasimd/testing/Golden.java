package dev.llamasimd.testing;

import dev.llamasimd.io.SafetensorsFile;
import dev.llamasimd.tensor.GgmlType;
import dev.llamasimd.tensor.Quant;
import dev.llamasimd.tensor.Tensor;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;

/** Reads golden tensors (I32 ids, F32 logits) out of a safetensors file into heap arrays. */
public final class Golden implements AutoCloseable {
    private final SafetensorsFile file;

    public Golden(Path path) {
        this.file = SafetensorsFile.open(path);
    }

    public boolean has(String name) {
        return file.tensors().containsKey(name);
    }

    public int[] ints(String name) {
        Tensor t = file.tensor(name);
        if (t.type() != GgmlType.I32) {
            throw new IllegalStateException(name + " is " + t.type());
        }
        int[] out = new int[(int) t.elementCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = t.data().get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4L * i);
        }
        return out;
    }

    public float[] floats(String name) {
        Tensor t = file.tensor(name);
        float[] out = new float[(int) t.elementCount()];
        Quant.dequantize(t.type(), t.data(), 0, out, 0, out.length);
        return out;
    }

    /** Columns of a 2-D tensor (its last safetensors dimension). */
    public int cols(String name) {
        return file.tensor(name).cols();
    }

    @Override
    public void close() {
        file.close();
    }
}
