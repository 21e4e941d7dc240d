package dev.llamasimd.kernels;

import dev.llamasimd.tensor.GgmlType;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The weight types llama-simd can compute with: one {@link TypeKernel} each. */
public final class TypeKernels {
    private static final Map<GgmlType, TypeKernel> BY_TYPE = new EnumMap<>(GgmlType.class);

    static {
        for (TypeKernel k : List.of(new F32Kernel(), new F16Kernel(), new BF16Kernel(), new Q8_0Kernel(),
                new Q4_0Kernel(), new Q4_1Kernel(), new Q5_0Kernel(), new Q5_1Kernel(), new Q2_KKernel(),
                new Q3_KKernel(), new Q4_KKernel(), new Q5_KKernel(), new Q6_KKernel(), new IQ4_NLKernel(),
                new IQ4_XSKernel())) {
            BY_TYPE.put(k.type(), k);
        }
    }

    private TypeKernels() {}

    /** The kernel of {@code type}, or {@code null} if llama-simd cannot compute with it. */
    public static TypeKernel find(GgmlType type) {
        return BY_TYPE.get(type);
    }

    /**
     * The kernel of {@code type}.
     *
     * @throws UnsupportedOperationException naming the type and the supported ones
     */
    public static TypeKernel of(GgmlType type) {
        TypeKernel k = BY_TYPE.get(type);
        if (k == null) {
            throw new UnsupportedOperationException("no kernel for " + type + " (supported: " + names() + ")");
        }
        return k;
    }

    /** The types with a kernel, in ggml id order. */
    public static List<GgmlType> types() {
        return List.copyOf(BY_TYPE.keySet());
    }

    /** The supported type names, comma-separated: for messages and help texts. */
    public static String names() {
        return BY_TYPE.keySet().stream().map(GgmlType::name).collect(Collectors.joining(", "));
    }
}
