package dev.llamasimd.model;

import dev.llamasimd.io.Json;
import dev.llamasimd.io.ModelFormatException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What a family's {@code config.json} says beyond the sizes, read one way for the loader and for
 * {@code convert}, so that a converted file runs as its directory does. Errors name the file and key.
 */
final class HfConfig {
    private HfConfig() {}

    /**
     * Checks the gate's activation against the family's: Gemma's {@code hidden_activation} (its
     * config has both keys), else {@code hidden_act}; absent means the family's own.
     */
    static void checkActivation(Path file, Json.Obj cfg, Architecture arch) {
        String expected = arch.activation().hfName();
        String key = cfg.has("hidden_activation") ? "hidden_activation" : "hidden_act";
        String act = cfg.optString(key, expected);
        if (!act.equals(expected)) {
            throw new ModelFormatException(file, "key '" + key + "' is '" + act + "' (supported for " + arch + ": "
                    + expected + ")");
        }
    }

    /** The projections that must have a bias: the family's, and those {@code attention_bias}/{@code mlp_bias} add. */
    static Set<TensorRole> requiredBiases(Json.Obj cfg, Architecture arch) {
        Set<TensorRole> biases = EnumSet.noneOf(TensorRole.class);
        biases.addAll(arch.biases());
        if (cfg.optBoolean("attention_bias", false)) {
            biases.addAll(List.of(TensorRole.Q, TensorRole.K, TensorRole.V, TensorRole.O));
        }
        if (cfg.optBoolean("mlp_bias", false)) {
            biases.addAll(List.of(TensorRole.GATE, TensorRole.UP, TensorRole.DOWN));
        }
        return biases;
    }

    /**
     * {@code sliding_window}, 0 when null or absent. Qwen2 applies it only with
     * {@code use_sliding_window}, and then to the layers from {@code max_window_layers} on, which
     * llama-simd does not run: refused.
     */
    static int slidingWindow(Path file, Json.Obj cfg, Architecture arch) {
        if (arch == Architecture.QWEN2) {
            if (cfg.optBoolean("use_sliding_window", false)) {
                throw new ModelFormatException(file, "key 'use_sliding_window' is true (Qwen2 sliding windows on the"
                        + " layers from max_window_layers on): llama-simd does not run it");
            }
            return 0;
        }
        int window = cfg.optInt("sliding_window", 0);
        if (window < 0) {
            throw new ModelFormatException(file, "key 'sliding_window' is " + window + ", not a window size");
        }
        return window;
    }

    /** The rotating values per head: {@code partial_rotary_factor} (default 1) of {@code headDim}. */
    static int ropeDims(Json.Obj cfg, int headDim) {
        return (int) (headDim * cfg.optDouble("partial_rotary_factor", 1.0));
    }
}
