package dev.llamasimd.model;

import dev.llamasimd.kernels.Rope;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What sets a decoder family apart, as data: how its sources name it, which optional pieces its
 * layers have, and how its keys and queries rotate in each source. The forward pass
 * ({@link Llama#forward}) reads these fields; a new family is one more constant here (and its
 * oracle), not a copy of the forward pass.
 *
 * @param name           the family, also its GGUF {@code general.architecture} unless {@code ggufName} says otherwise
 * @param hfModelTypes   the {@code model_type} values of {@code config.json} that mean this family
 * @param hfClass        its transformers model class ({@code config.json}'s {@code architectures[0]})
 * @param ggufName       the {@code general.architecture} llama.cpp writes for it
 * @param ggufRopeLayout how the GGUF file's heads pair their rotating values: llama.cpp's converter
 *                       permutes arch {@code llama}'s Q/K rows into interleaved pairs, and leaves
 *                       the others in the half-split ("NEOX") order transformers uses
 * @param activation     the MLP gate's activation
 * @param biases         the projections that always have a bias in this family (others may have
 *                       one when the config or the file says so)
 * @param traits         its optional parts
 */
public record Architecture(
        String name,
        List<String> hfModelTypes,
        String hfClass,
        String ggufName,
        Rope.Layout ggufRopeLayout,
        Activation activation,
        Set<TensorRole> biases,
        Set<Trait> traits) {

    /** The MLP's gate activation: {@code act(gate) · up}. */
    public enum Activation {
        /** {@code x · sigmoid(x)} (transformers {@code silu}). */
        SILU("silu"),
        /** GELU with tanh: {@code 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))} ({@code gelu_pytorch_tanh}). */
        GELU_TANH("gelu_pytorch_tanh");

        private final String hfName;

        Activation(String hfName) {
            this.hfName = hfName;
        }

        /** Its name in {@code config.json} ({@code hidden_act} / {@code hidden_activation}). */
        public String hfName() {
            return hfName;
        }
    }

    /** The optional parts of a family. */
    public enum Trait {
        /** The output matrix is the token embedding unless {@code config.json} says otherwise. */
        TIED_BY_DEFAULT,
        /** The embedding row is multiplied by {@code float32(√dim)}. */
        SCALED_EMBEDDING,
        /**
         * transformers' RMSNorm multiplies by {@code 1 + w}: folded into the weights at load (GGUF
         * files hold {@code 1 + w}: llama.cpp's converter adds it).
         */
        HF_NORM_PLUS_ONE,
        /**
         * Q, K and V are one matrix ({@code qkv_proj}, {@code attn_qkv}), gate and up one more
         * ({@code gate_up_proj}, GGUF {@code ffn_up} of twice the rows, gate first): used as row
         * slices of the mapped bytes.
         */
        FUSED_PROJECTIONS
    }

    /** Llama 1–3, and what is built like it; {@code attention_bias}/{@code mlp_bias} add biases. */
    public static final Architecture LLAMA = new Architecture(
            "llama", List.of("llama"), "LlamaForCausalLM", "llama", Rope.Layout.INTERLEAVED, Activation.SILU,
            Set.of(), Set.of());
    /** Qwen2 and Qwen2.5: Llama with q/k/v biases. */
    public static final Architecture QWEN2 = new Architecture(
            "qwen2", List.of("qwen2"), "Qwen2ForCausalLM", "qwen2", Rope.Layout.HALF_SPLIT, Activation.SILU,
            Set.of(TensorRole.Q, TensorRole.K, TensorRole.V), Set.of());
    /**
     * Mistral: Llama with sliding-window attention ({@code sliding_window}). llama.cpp writes it
     * as arch {@code llama}, so from GGUF it is {@link #LLAMA}, its window in
     * {@code llama.attention.sliding_window} when the file has that key.
     */
    public static final Architecture MISTRAL = new Architecture(
            "mistral", List.of("mistral"), "MistralForCausalLM", "llama", Rope.Layout.INTERLEAVED, Activation.SILU,
            Set.of(), Set.of());
    /** Phi-3: fused projections; its window, if any, from {@code sliding_window}. */
    public static final Architecture PHI3 = new Architecture(
            "phi3", List.of("phi3"), "Phi3ForCausalLM", "phi3", Rope.Layout.HALF_SPLIT, Activation.SILU, Set.of(),
            Set.of(Trait.FUSED_PROJECTIONS));
    /** Gemma (1): scaled embedding, {@code (1 + w)} norms, GELU-tanh, tied output, its own head size. */
    public static final Architecture GEMMA = new Architecture(
            "gemma", List.of("gemma"), "GemmaForCausalLM", "gemma", Rope.Layout.HALF_SPLIT, Activation.GELU_TANH,
            Set.of(), Set.of(Trait.TIED_BY_DEFAULT, Trait.SCALED_EMBEDDING, Trait.HF_NORM_PLUS_ONE));

    /** Every family llama-simd runs, in the order error messages list them. */
    public static final List<Architecture> ALL = List.of(LLAMA, QWEN2, MISTRAL, PHI3, GEMMA);

    public Architecture {
        hfModelTypes = List.copyOf(hfModelTypes);
        biases = Set.copyOf(biases);
        traits = Set.copyOf(traits);
    }

    public boolean has(Trait trait) {
        return traits.contains(trait);
    }

    /** The family whose GGUF {@code general.architecture} is {@code name}, or {@code null}. */
    public static Architecture ofGguf(String name) {
        return ALL.stream().filter(a -> a.ggufName.equals(name)).findFirst().orElse(null);
    }

    /** The family of an HF {@code config.json}'s {@code model_type}, or {@code null}. */
    public static Architecture ofHf(String modelType) {
        return ALL.stream().filter(a -> a.hfModelTypes.contains(modelType)).findFirst().orElse(null);
    }

    /** The GGUF architecture names llama-simd reads, for error messages. */
    public static String ggufNames() {
        return ALL.stream().map(Architecture::ggufName).distinct().collect(Collectors.joining(", "));
    }

    /** The HF model types llama-simd reads, for error messages. */
    public static String hfNames() {
        return ALL.stream().flatMap(a -> a.hfModelTypes.stream()).collect(Collectors.joining(", "));
    }

    /** One line of what the family is: its activation, biases and traits. */
    public String describe() {
        List<String> parts = new java.util.ArrayList<>();
        parts.add(activation == Activation.SILU ? "SiLU-gated MLP" : "GELU-tanh-gated MLP");
        if (!biases.isEmpty()) {
            parts.add(biases.stream().sorted().map(r -> r.ggufInLayer().replace("attn_", "")).collect(Collectors.joining("/"))
                    + " biases");
        }
        if (has(Trait.FUSED_PROJECTIONS)) {
            parts.add("fused qkv and gate-up matrices");
        }
        if (has(Trait.SCALED_EMBEDDING)) {
            parts.add("embedding × √dim");
        }
        if (has(Trait.HF_NORM_PLUS_ONE)) {
            parts.add("RMSNorm × (1 + w)");
        }
        if (has(Trait.TIED_BY_DEFAULT)) {
            parts.add("tied output by default");
        }
        parts.add((ggufRopeLayout == Rope.Layout.INTERLEAVED ? "interleaved" : "half-split") + " RoPE in GGUF");
        return String.join(", ", parts);
    }

    @Override
    public String toString() {
        return name;
    }
}
