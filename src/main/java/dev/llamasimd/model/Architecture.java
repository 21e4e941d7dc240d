package dev.llamasimd.model;

import dev.llamasimd.kernels.Rope;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What sets a decoder family apart, as data: how its sources name it, which optional pieces its
 * layers have, and how its keys and queries rotate in each source. The forward pass
 * ({@link Llama#forward}) reads these fields; a new family is one more constant here (and its
 * oracle), not a copy of the forward pass.
 *
 * @param name           the family, also its GGUF {@code general.architecture} unless {@code ggufName} says otherwise
 * @param hfModelTypes   the {@code model_type} values of {@code config.json} that mean this family
 * @param ggufName       the {@code general.architecture} llama.cpp writes for it
 * @param ggufRopeLayout how the GGUF file's heads pair their rotating values: llama.cpp's converter
 *                       permutes arch {@code llama}'s Q/K rows into interleaved pairs, and leaves
 *                       the others in the half-split ("NEOX") order transformers uses
 * @param tiedByDefault  whether the output matrix is the token embedding when {@code config.json}
 *                       does not say ({@code tie_word_embeddings})
 */
public record Architecture(
        String name,
        List<String> hfModelTypes,
        String ggufName,
        Rope.Layout ggufRopeLayout,
        boolean tiedByDefault) {

    /** Llama 1–3, and what is built like it. */
    public static final Architecture LLAMA = new Architecture(
            "llama", List.of("llama"), "llama", Rope.Layout.INTERLEAVED, false);

    /** Every family llama-simd runs, in the order error messages list them. */
    public static final List<Architecture> ALL = List.of(LLAMA);

    public Architecture {
        hfModelTypes = List.copyOf(hfModelTypes);
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

    @Override
    public String toString() {
        return name;
    }
}
