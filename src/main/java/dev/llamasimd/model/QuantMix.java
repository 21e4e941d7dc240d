package dev.llamasimd.model;

import dev.llamasimd.kernels.TypeKernels;
import dev.llamasimd.tensor.FileType;
import dev.llamasimd.tensor.GgmlType;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which type each tensor of a Llama model gets when it is quantized to a llama.cpp file type,
 * as {@code llama-quantize} (llama.cpp v0.5.0, no importance matrix) chooses it: norms and other
 * 1-D tensors keep their type; the output matrix (and a tied token embedding) gets Q6_K in the
 * quantized mixes; {@code Q4_K_M}/{@code Q5_K_M} give {@code attn_v} and {@code ffn_down} Q6_K in
 * the layers {@link #useMoreBits} picks, {@code Q3_K_M}/{@code Q3_K_L}/{@code Q2_K}/{@code Q4_K_S}
 * raise some of them; with {@code pure} every matrix gets the file type's own type. Then a row
 * length that is not a whole number of the chosen type's blocks falls back as llama.cpp does
 * (Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0, Q2_K/Q3_K → Q4_0, IQ4_XS → IQ4_NL, and F16 if that
 * still does not fit).
 *
 * @param fileType the target
 * @param pure     every matrix gets {@code fileType.mainType} (llama-quantize's {@code --pure})
 * @param layers   the model's layer count
 * @param gqa      query heads per KV head
 * @param is70b    llama.cpp's 70B rule (80 layers, grouped KV heads): Q3_K/Q4_K {@code attn_v} become Q5_K
 */
public record QuantMix(FileType fileType, boolean pure, int layers, int gqa, boolean is70b) {
    private static final Pattern LAYER = Pattern.compile("^blk\\.(\\d+)\\.");

    /** The choice for one tensor: its type, and why it is not the one the mix asked for (or {@code null}). */
    public record Choice(GgmlType type, String fallback) {}

    /**
     * The mix for a model of {@code c}'s shape.
     *
     * @throws IllegalArgumentException if llama-simd cannot compute with the file type's tensors
     */
    public static QuantMix of(FileType fileType, boolean pure, int layers, int heads, int kvHeads) {
        if (TypeKernels.find(fileType.mainType) == null) {
            throw new IllegalArgumentException("file type " + fileType.label + " (" + fileType.mainType
                    + " tensors) is not supported (supported: " + supportedLabels() + ")");
        }
        return new QuantMix(fileType, pure, layers, kvHeads == 0 ? 0 : heads / kvHeads, layers == 80 && heads != kvHeads);
    }

    /**
     * The file type called {@code name}: llama.cpp's names ({@code Q4_K_M}, {@code Q8_0}, …, any
     * case), with its aliases {@code Q3_K}, {@code Q4_K} and {@code Q5_K} for the {@code _M} mixes.
     *
     * @throws IllegalArgumentException for an unknown or unsupported name, listing the supported ones
     */
    public static FileType fileType(String name) {
        String n = name.toUpperCase(Locale.ROOT);
        FileType t = FileType.byLabel(switch (n) {
            case "Q3_K", "Q4_K", "Q5_K" -> n + "_M";
            default -> n;
        });
        if (t == null || TypeKernels.find(t.mainType) == null) {
            throw new IllegalArgumentException("unknown or unsupported type '" + name + "' (supported: "
                    + supportedLabels() + ")");
        }
        return t;
    }

    /** The names of the file types llama-simd can write and run, comma-separated. */
    public static String supportedLabels() {
        StringBuilder b = new StringBuilder();
        for (FileType t : FileType.values()) {
            if (TypeKernels.find(t.mainType) != null && t != FileType.MOSTLY_Q2_K_S) {
                b.append(b.isEmpty() ? "" : ", ").append(t.label);
            }
        }
        return b.toString();
    }

    /** Whether a tensor is quantized at all: matrices whose name ends in "weight", not norms. */
    public static boolean quantizable(String name, long[] ne) {
        int dims = ne.length;
        while (dims > 1 && ne[dims - 1] == 1) {
            dims--;
        }
        return dims >= 2 && name.endsWith("weight") && !name.contains("_norm.weight")
                && !name.equals("position_embd.weight") && !name.equals("token_types.weight");
    }

    /**
     * llama.cpp's {@code use_more_bits}: the first and last eighth of the layers, and every third
     * layer between them.
     */
    public static boolean useMoreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }

    /**
     * The type of tensor {@code name} (shape {@code ne}, now of type {@code current}).
     *
     * @param tied whether the model has no {@code output.weight} (the token embedding is the output)
     */
    public Choice choose(String name, long[] ne, GgmlType current, boolean tied) {
        GgmlType base = fileType.mainType;
        if (!quantizable(name, ne)) {
            return new Choice(current, null);
        }
        if (!base.isQuantized()) {
            return new Choice(base, null);
        }
        GgmlType type = pure ? base : mixed(name, ne[0], tied);
        return fallback(type, ne[0]);
    }

    private GgmlType mixed(String name, long cols, boolean tied) {
        GgmlType base = fileType.mainType;
        if (name.equals("output.weight") || (tied && name.equals("token_embd.weight"))) {
            if (cols % base.blockSize != 0) {
                return GgmlType.Q8_0;
            }
            return base == GgmlType.Q8_0 ? GgmlType.Q8_0 : GgmlType.Q6_K;
        }
        int layer = layer(name);
        // Phi-3's fused attn_qkv is attention-v-like to llama-quantize (category_is_attn_v)
        if (name.contains("attn_v.weight") || name.contains("attn_qkv.weight")) {
            GgmlType t = switch (fileType) {
                case MOSTLY_Q2_K -> gqa >= 4 ? GgmlType.Q4_K : GgmlType.Q3_K;
                case MOSTLY_Q3_K_M -> layer < 2 ? GgmlType.Q5_K : GgmlType.Q4_K;
                case MOSTLY_Q3_K_L -> GgmlType.Q5_K;
                case MOSTLY_IQ4_NL, MOSTLY_IQ4_XS -> gqa >= 4 ? GgmlType.Q5_K : base;
                case MOSTLY_Q4_K_M, MOSTLY_Q5_K_M -> useMoreBits(layer, layers) ? GgmlType.Q6_K : base;
                case MOSTLY_Q4_K_S -> layer < 4 ? GgmlType.Q5_K : base;
                default -> base;
            };
            return is70b && (t == GgmlType.Q3_K || t == GgmlType.Q4_K) ? GgmlType.Q5_K : t;
        }
        if (name.contains("ffn_down")) {
            return switch (fileType) {
                case MOSTLY_Q2_K -> GgmlType.Q3_K;
                case MOSTLY_Q3_K_M -> layer < layers / 16 ? GgmlType.Q5_K : GgmlType.Q4_K;
                case MOSTLY_Q3_K_L -> GgmlType.Q5_K;
                case MOSTLY_Q4_K_M, MOSTLY_Q5_K_M -> useMoreBits(layer, layers) ? GgmlType.Q6_K : base;
                case MOSTLY_IQ4_NL, MOSTLY_IQ4_XS -> layer < layers / 8 ? GgmlType.Q5_K : base;
                case MOSTLY_Q4_K_S -> layer < layers / 8 ? GgmlType.Q5_K : base;
                default -> base;
            };
        }
        if (name.contains("attn_output.weight")) {
            return switch (fileType) {
                case MOSTLY_Q2_K -> GgmlType.Q3_K;
                case MOSTLY_Q3_K_M -> GgmlType.Q4_K;
                case MOSTLY_Q3_K_L -> GgmlType.Q5_K;
                default -> base;
            };
        }
        return base;
    }

    /** llama.cpp's {@code tensor_type_fallback}: a type whose blocks fit rows of {@code cols}. */
    static Choice fallback(GgmlType type, long cols) {
        if (cols % type.blockSize == 0) {
            return new Choice(type, null);
        }
        GgmlType to = switch (type) {
            case Q2_K, Q3_K -> GgmlType.Q4_0;
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            case Q6_K -> GgmlType.Q8_0;
            case IQ4_XS -> GgmlType.IQ4_NL;
            default -> type;
        };
        if (cols % to.blockSize != 0) {
            to = GgmlType.F16;
        }
        return new Choice(to, "rows of " + cols + " are not whole " + type.blockSize + "-value blocks of " + type
                + ", falling back to " + to);
    }

    /** The block a tensor belongs to ({@code blk.N.}), or -1 outside the blocks: llama-quantize's order. */
    static int layer(String name) {
        Matcher m = LAYER.matcher(name);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }
}
