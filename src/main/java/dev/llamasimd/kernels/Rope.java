package dev.llamasimd.kernels;

/**
 * Rotary position embedding. Two layouts of the same rotation: GGUF {@code llama} weights pair
 * adjacent values {@code (2i, 2i+1)} within a head (Meta's and llama.cpp's NORM rope); Hugging Face
 * weights pair the halves {@code (i, i + n/2)} ({@code rotate_half}). Pair {@code i} turns by
 * {@code pos · invFreq[i]}.
 */
public final class Rope {

    /** Which values of a head form a rotating pair. */
    public enum Layout {
        /** {@code (x[2i], x[2i+1])}: GGUF arch {@code llama}, llama2.c. */
        INTERLEAVED,
        /** {@code (x[i], x[i + n/2])}: Hugging Face {@code rotate_half}. */
        HALF_SPLIT
    }

    private Rope() {}

    /**
     * cos and sin of the angles for one position: the angle of pair {@code i} is the float32
     * product {@code pos · invFreq[i]}, as transformers computes it.
     */
    public static void angles(float[] invFreq, int pos, float[] cos, float[] sin, int off) {
        for (int i = 0; i < invFreq.length; i++) {
            float a = pos * invFreq[i];
            cos[off + i] = (float) Math.cos(a);
            sin[off + i] = (float) Math.sin(a);
        }
    }

    /** Rotates the first {@code 2·half} values of the head at {@code x[off..]} by the angles at {@code cs}. */
    public static void rotate(Layout layout, float[] x, int off, int half, float[] cos, float[] sin, int cs) {
        int stride = layout == Layout.INTERLEAVED ? 1 : half;
        int step = layout == Layout.INTERLEAVED ? 2 : 1;
        for (int i = 0; i < half; i++) {
            int a = off + i * step;
            int b = a + stride;
            float c = cos[cs + i];
            float s = sin[cs + i];
            float x0 = x[a];
            float x1 = x[b];
            x[a] = x0 * c - x1 * s;
            x[b] = x0 * s + x1 * c;
        }
    }
}
