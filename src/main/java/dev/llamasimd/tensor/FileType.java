package dev.llamasimd.tensor;

/**
 * llama.cpp's file types ({@code LLAMA_FTYPE}, GGUF key {@code general.file_type}): the name a
 * quantized file is sold under ({@code Q4_K_M}, …) and the type most of its matrices have. A
 * mix such as {@code Q4_K_M} gives some tensors other types; the file's own tensor types are
 * what counts, this is a label.
 */
public enum FileType {
    ALL_F32(0, "F32", GgmlType.F32),
    MOSTLY_F16(1, "F16", GgmlType.F16),
    MOSTLY_Q4_0(2, "Q4_0", GgmlType.Q4_0),
    MOSTLY_Q4_1(3, "Q4_1", GgmlType.Q4_1),
    MOSTLY_Q8_0(7, "Q8_0", GgmlType.Q8_0),
    MOSTLY_Q5_0(8, "Q5_0", GgmlType.Q5_0),
    MOSTLY_Q5_1(9, "Q5_1", GgmlType.Q5_1),
    MOSTLY_Q2_K(10, "Q2_K", GgmlType.Q2_K),
    MOSTLY_Q3_K_S(11, "Q3_K_S", GgmlType.Q3_K),
    MOSTLY_Q3_K_M(12, "Q3_K_M", GgmlType.Q3_K),
    MOSTLY_Q3_K_L(13, "Q3_K_L", GgmlType.Q3_K),
    MOSTLY_Q4_K_S(14, "Q4_K_S", GgmlType.Q4_K),
    MOSTLY_Q4_K_M(15, "Q4_K_M", GgmlType.Q4_K),
    MOSTLY_Q5_K_S(16, "Q5_K_S", GgmlType.Q5_K),
    MOSTLY_Q5_K_M(17, "Q5_K_M", GgmlType.Q5_K),
    MOSTLY_Q6_K(18, "Q6_K", GgmlType.Q6_K),
    MOSTLY_IQ2_XXS(19, "IQ2_XXS", GgmlType.IQ2_XXS),
    MOSTLY_IQ2_XS(20, "IQ2_XS", GgmlType.IQ2_XS),
    MOSTLY_Q2_K_S(21, "Q2_K_S", GgmlType.Q2_K),
    MOSTLY_IQ3_XS(22, "IQ3_XS", GgmlType.IQ3_S),
    MOSTLY_IQ3_XXS(23, "IQ3_XXS", GgmlType.IQ3_XXS),
    MOSTLY_IQ1_S(24, "IQ1_S", GgmlType.IQ1_S),
    MOSTLY_IQ4_NL(25, "IQ4_NL", GgmlType.IQ4_NL),
    MOSTLY_IQ3_S(26, "IQ3_S", GgmlType.IQ3_S),
    MOSTLY_IQ3_M(27, "IQ3_M", GgmlType.IQ3_S),
    MOSTLY_IQ2_S(28, "IQ2_S", GgmlType.IQ2_S),
    MOSTLY_IQ2_M(29, "IQ2_M", GgmlType.IQ2_S),
    MOSTLY_IQ4_XS(30, "IQ4_XS", GgmlType.IQ4_XS),
    MOSTLY_IQ1_M(31, "IQ1_M", GgmlType.IQ1_M),
    MOSTLY_BF16(32, "BF16", GgmlType.BF16),
    MOSTLY_TQ1_0(36, "TQ1_0", GgmlType.TQ1_0),
    MOSTLY_TQ2_0(37, "TQ2_0", GgmlType.TQ2_0),
    MOSTLY_MXFP4_MOE(38, "MXFP4_MOE", GgmlType.MXFP4);

    /** The value of {@code general.file_type}. */
    public final int id;
    /** The name llama.cpp prints and files are sold under. */
    public final String label;
    /** The type most matrices of such a file have. */
    public final GgmlType mainType;

    FileType(int id, String label, GgmlType mainType) {
        this.id = id;
        this.label = label;
        this.mainType = mainType;
    }

    /**
     * The file type llama.cpp gives a file whose matrices are all {@code type}: the one named
     * after it, else its {@code _M} mix ({@code Q4_K} → {@code Q4_K_M}, as llama-quantize's alias).
     *
     * @throws IllegalArgumentException if no file type has matrices of {@code type}
     */
    public static FileType of(GgmlType type) {
        FileType named = byLabel(type.name());
        if (named != null) {
            return named;
        }
        FileType medium = byLabel(type.name() + "_M");
        if (medium != null) {
            return medium;
        }
        throw new IllegalArgumentException("no llama.cpp file type has " + type + " matrices");
    }

    /** The file type with this {@code general.file_type} value, or {@code null}. */
    public static FileType byId(long id) {
        for (FileType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        return null;
    }

    /** The file type called {@code label} (case-insensitive), or {@code null}. */
    public static FileType byLabel(String label) {
        for (FileType t : values()) {
            if (t.label.equalsIgnoreCase(label)) {
                return t;
            }
        }
        return null;
    }
}
