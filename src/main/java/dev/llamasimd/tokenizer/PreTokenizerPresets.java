package dev.llamasimd.tokenizer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The byte-level BPE pre-tokenizers llama.cpp selects by GGUF's {@code tokenizer.ggml.pre}, with the two
 * vocabulary flags it sets for the same names: {@code ignore_merges} (a piece that is a token as a whole is
 * emitted without merging) and whether BOS is added by default. The expressions are llama.cpp's, in Java
 * syntax (see {@link PreTokenizer} for why they split identically).
 */
final class PreTokenizerPresets {

    /**
     * A named pre-tokenizer with llama.cpp's flags for it.
     *
     * @param pre          the expressions
     * @param ignoreMerges emit a piece that is a token as a whole before merging
     * @param addBos       add BOS by default (the GGUF key {@code tokenizer.ggml.add_bos_token} overrides it)
     */
    record Preset(PreTokenizer pre, boolean ignoreMerges, boolean addBos) {}

    /** The name llama.cpp uses when {@code tokenizer.ggml.pre} is absent. */
    static final String DEFAULT = "default";

    private static final Map<String, Preset> BY_NAME = new LinkedHashMap<>();

    static {
        add(List.of(DEFAULT), false, false,
                "[\\p{P}\\$\\+<=>\\^~\\|]+", PreTokenizer.GPT2, "\\p{N}+", "[0-9][0-9][0-9]");
        add(List.of("gpt-2", "phi-2", "mpt", "olmo", "jais", "trillion", "exaone4", "gpt-neox"), false, false,
                PreTokenizer.GPT2);
        add(List.of("llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2"), true, true,
                PreTokenizer.LLAMA3);
        add(List.of("dbrx", "smaug-bpe"), false, false, PreTokenizer.LLAMA3);
        add(List.of("qwen2", "deepseek-r1-qwen", "megrez", "stablelm2", "hunyuan"), false, false, PreTokenizer.QWEN2);
        add(List.of("deepseek-llm"), false, false,
                "[\\r\\n]",
                "\\s?[A-Za-z\u00b5\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u01ba\u01bc-\u01bf\u01c4-\u0293\u0295-\u02af"
                        + "\u0370-\u0373\u0376\u0377\u037b-\u037d\u037f\u0386\u0388-\u038a\u038c\u038e-\u03a1"
                        + "\u03a3-\u03f5\u03f7-\u0481\u048a-\u052f\u0531-\u0556\u10a0-\u10c5\u13a0-\u13f5"
                        + "\u13f8-\u13fd\u1c90-\u1cba\u1cbd-\u1cbf\u1d00-\u1d2b\u1d6b-\u1d77\u1d79-\u1d9a"
                        + "\u1e00-\u1f15\u1f18-\u1f1d\u1f20-\u1f45\u1f48-\u1f4d\u1f50-\u1f57\u1f59\u1f5b\u1f5d"
                        + "\u1f5f-\u1f7d\u1f80-\u1fb4\u1fb6-\u1fbc\u1fbe\u1fc2-\u1fc4\u1fc6-\u1fcc\u1fd0-\u1fd3"
                        + "\u1fd6-\u1fdb\u1fe0-\u1fec\u1ff2-\u1ff4\u1ff6-\u1ffc\u2102\u2107\u210a-\u2113\u2115"
                        + "\u2119-\u211d\u2124\u2126\u2128\u212a-\u212d\u212f-\u2134\u2139\u213c-\u213f"
                        + "\u2145-\u2149\u214e\u2183\u2184\u2c00-\u2c7b\u2c7e-\u2ce4\u2ceb-\u2cee\u2cf2\u2cf3"
                        + "\ua640-\ua66d\ua680-\ua69b\ua722-\ua76f\ua771-\ua787\ua78b-\ua78e\uab70-\uabbf"
                        + "\ufb00-\ufb06\ufb13-\ufb17\uff21-\uff3a\uff41-\uff5a"
                        + "\\x{10400}-\\x{1044f}\\x{104b0}-\\x{104d3}\\x{104d8}-\\x{104fb}\\x{10c80}-\\x{10cb2}"
                        + "\\x{10cc0}-\\x{10cf2}\\x{118a0}-\\x{118df}\\x{1e900}-\\x{1e943}]+",
                "\\s?[!-/:-~\uff01-\uff0f\uff1a-\uff5e\u2018-\u201f\u3000-\u3002]+",
                "\\s+\\z",
                "[\u4e00-\u9fa5\u0800-\u4e00\uac00-\ud7ff]+",
                "\\p{N}+");
        add(List.of("deepseek-coder"), false, false,
                "[\\r\\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[\u4e00-\u9fa5\u0800-\u4e00\uac00-\ud7ff]+", "\\p{N}");
        add(List.of("falcon"), false, false, "[\\p{P}\\$\\+<=>\\^~\\|`]+", PreTokenizer.GPT2, "[0-9][0-9][0-9]");
        add(List.of("starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b"), false, false,
                "\\p{N}", PreTokenizer.GPT2);
        add(List.of("bloom", "poro-chat", "gpt3-finnish"), false, false,
                " ?[^(\\s|.,!?\u2026\u3002\uff0c\u3001\u0964\u06d4\u060c)]+");
    }

    private PreTokenizerPresets() {}

    private static void add(List<String> names, boolean ignoreMerges, boolean addBos, String... regexes) {
        for (String name : names) {
            BY_NAME.put(name, new Preset(PreTokenizer.of(name, List.of(regexes)), ignoreMerges, addBos));
        }
    }

    /** The preset llama.cpp uses for this {@code tokenizer.ggml.pre} value, if it is one we know. */
    static Optional<Preset> byName(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }

    /** Every name {@link #byName} knows, in a stable order. */
    static List<String> names() {
        return Collections.unmodifiableList(new ArrayList<>(BY_NAME.keySet()));
    }
}
