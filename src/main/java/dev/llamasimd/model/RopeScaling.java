package dev.llamasimd.model;

/** How the RoPE frequencies are stretched for long contexts. */
public sealed interface RopeScaling {

    /** Scales the base inverse frequency of pair {@code i} ({@code invFreq} before scaling). */
    float apply(float invFreq);

    /** Positions divided by {@code factor} (transformers {@code rope_type: linear}, GGUF {@code rope.scaling.type = linear}). */
    record Linear(float factor) implements RopeScaling {
        @Override
        public float apply(float invFreq) {
            return invFreq / factor;
        }
    }

    /**
     * Llama 3.1's scaling: low frequencies divided by {@code factor}, high ones kept, a smooth ramp
     * between (transformers {@code _compute_llama3_parameters}, float32 as there).
     */
    record Llama3(float factor, float lowFreqFactor, float highFreqFactor, int originalContext) implements RopeScaling {
        @Override
        public float apply(float invFreq) {
            float lowFreqWavelen = originalContext / lowFreqFactor;
            float highFreqWavelen = originalContext / highFreqFactor;
            float wavelen = (float) (2 * Math.PI) / invFreq;
            if (wavelen > lowFreqWavelen) {
                return invFreq / factor;
            }
            if (wavelen < highFreqWavelen) {
                return invFreq;
            }
            float smooth = (originalContext / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
            return (1 - smooth) * invFreq / factor + smooth * invFreq;
        }
    }
}
