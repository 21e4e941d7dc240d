package dev.llamasimd.tokenizer;

import dev.llamasimd.io.GgufArray;
import dev.llamasimd.io.GgufMetadata;
import dev.llamasimd.io.GgufValueType;
import dev.llamasimd.io.ModelFormatException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;

/**
 * Builds a tokenizer from GGUF {@code tokenizer.*} metadata with llama.cpp's defaults and fix-ups
 * ({@code llama_vocab::load}): default special ids per model type, end-of-generation and fill-in-the-middle
 * tokens recognised by their text (and made control tokens), Phi-3's right-stripping special tokens.
 */
final class GgufTokenizerLoader {
    private static final String MODEL = "tokenizer.ggml.model";
    private static final String PRE = "tokenizer.ggml.pre";
    private static final String TOKENS = "tokenizer.ggml.tokens";
    private static final String SCORES = "tokenizer.ggml.scores";
    private static final String TOKEN_TYPE = "tokenizer.ggml.token_type";
    private static final String MERGES = "tokenizer.ggml.merges";
    private static final String BOS = "tokenizer.ggml.bos_token_id";
    private static final String EOS = "tokenizer.ggml.eos_token_id";
    private static final String UNK = "tokenizer.ggml.unknown_token_id";
    private static final String EOT = "tokenizer.ggml.eot_token_id";
    private static final String EOM = "tokenizer.ggml.eom_token_id";
    private static final String ADD_BOS = "tokenizer.ggml.add_bos_token";
    private static final String ADD_EOS = "tokenizer.ggml.add_eos_token";
    private static final String ADD_SPACE_PREFIX = "tokenizer.ggml.add_space_prefix";
    private static final String CHAT_TEMPLATE = "tokenizer.chat_template";

    /** Texts llama.cpp treats as ending generation. */
    static final List<String> EOG_TEXTS = List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>",
            "<|flush|>", "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>",
            "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
            "<｜end▁of▁sentence｜>", "[e~[");

    /**
     * A fill-in-the-middle token that llama.cpp recognises by its text when its id key is absent.
     *
     * @param key            the id key
     * @param deprecatedKey  the key's older name, or null
     * @param endsGeneration whether the token ends generation
     * @param texts          the spellings looked for, in order
     */
    private record Fim(String key, String deprecatedKey, boolean endsGeneration, List<String> texts) {}

    private static final String FIM_KEY = "tokenizer.ggml.fim_";

    private static final List<Fim> FIM = List.of(
            new Fim(FIM_KEY + "pre_token_id", "tokenizer.ggml.prefix_token_id", false, List.of("<|fim_prefix|>",
                    "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>")),
            new Fim(FIM_KEY + "suf_token_id", "tokenizer.ggml.suffix_token_id", false, List.of("<|fim_suffix|>",
                    "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>")),
            new Fim(FIM_KEY + "mid_token_id", "tokenizer.ggml.middle_token_id", false, List.of("<|fim_middle|>",
                    "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>")),
            new Fim(FIM_KEY + "pad_token_id", null, true, List.of("<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]")),
            new Fim(FIM_KEY + "rep_token_id", null, true, List.of("<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>",
                    "<reponame>")),
            new Fim(FIM_KEY + "sep_token_id", null, true, List.of("<|file_sep|>")));

    private GgufTokenizerLoader() {}

    static Tokenizer load(GgufMetadata md) {
        String type = md.getString(MODEL);
        boolean spm = switch (type) {
            case "llama" -> true;
            case "gpt2" -> false;
            default -> throw error(md, MODEL, "is '" + type + "', a tokenizer llama-simd does not support;"
                    + " supported: llama (SentencePiece BPE), gpt2 (byte-level BPE)");
        };
        String[] pieces = md.getStringArray(TOKENS);
        for (int i = 0; i < pieces.length; i++) {
            if (pieces[i].isEmpty()) {
                pieces[i] = "[EMPTY_" + i + "]";
            }
        }
        int n = pieces.length;
        TokenType[] types = tokenTypes(md, n);

        PreTokenizerPresets.Preset preset = spm ? null : preset(md);
        int bos = specialId(md, BOS, spm ? 1 : 11, n);
        int eos = specialId(md, EOS, spm ? 2 : 11, n);
        int unk = specialId(md, UNK, spm ? 0 : -1, n);
        boolean addBos = md.getBooleanOrDefault(ADD_BOS, spm || preset.addBos());
        boolean addEos = md.getBooleanOrDefault(ADD_EOS, false);
        if (addBos && bos < 0) {
            throw error(md, ADD_BOS, "is true, but " + BOS + " is not set");
        }
        if (addEos && eos < 0) {
            throw error(md, ADD_EOS, "is true, but " + EOS + " is not set");
        }

        BitSet endOfGeneration = new BitSet(n);
        TokenIndex byText = index(md, pieces);
        markEndOfGeneration(md, types, byText, endOfGeneration);
        if (eos >= 0) {
            endOfGeneration.set(eos);
        }
        boolean[] lstrip = new boolean[n];
        boolean[] rstrip = new boolean[n];
        String name = md.getStringOrDefault("general.name", "").toLowerCase(Locale.ROOT);
        if (name.contains("phi-3") || name.contains("phi3")) {
            phi3RightStrip(pieces, types, byText, rstrip);
        }
        Vocabulary vocab = new Vocabulary(pieces, types, lstrip, rstrip, byText);

        BpeModel model;
        if (spm) {
            float[] scores = scores(md, n);
            model = SentencePieceBpe.byScores(vocab, scores, md.getBooleanOrDefault(ADD_SPACE_PREFIX, true), unk);
        } else {
            model = new ByteLevelBpe(vocab, preset.pre(), MergeRanks.of(merges(md), vocab.index()), preset.ignoreMerges());
        }
        return new BpeTokenizer(vocab, model, new SpecialIds(bos, eos, addBos, addEos, endOfGeneration), null,
                md.getStringOrDefault(CHAT_TEMPLATE, null));
    }

    private static TokenIndex index(GgufMetadata md, String[] pieces) {
        try {
            return new TokenIndex(pieces);
        } catch (IllegalArgumentException e) {
            throw error(md, TOKENS, "has a " + e.getMessage());
        }
    }

    /** The pre-tokenizer {@code tokenizer.ggml.pre} names ({@code default} when absent or empty). */
    private static PreTokenizerPresets.Preset preset(GgufMetadata md) {
        String pre = md.getStringOrDefault(PRE, "");
        return PreTokenizerPresets.byName(pre.isEmpty() ? PreTokenizerPresets.DEFAULT : pre).orElseThrow(() ->
                error(md, PRE, "is '" + pre + "', a pre-tokenizer llama-simd does not know; known: "
                        + String.join(", ", PreTokenizerPresets.names())));
    }

    private static TokenType[] tokenTypes(GgufMetadata md, int n) {
        TokenType[] types = new TokenType[n];
        if (!md.has(TOKEN_TYPE)) {
            Arrays.fill(types, TokenType.NORMAL);
            return types;
        }
        int[] codes = md.getIntArray(TOKEN_TYPE);
        if (codes.length < n) {
            throw error(md, TOKEN_TYPE, "has " + codes.length + " entries for " + n + " tokens");
        }
        for (int i = 0; i < n; i++) {
            types[i] = TokenType.fromGguf(codes[i]);
        }
        return types;
    }

    private static float[] scores(GgufMetadata md, int n) {
        if (!md.has(SCORES)) {
            return new float[n];
        }
        float[] scores;
        if (md.get(SCORES) instanceof GgufArray a && a.elementType() == GgufValueType.INT32) {
            int[] ints = md.getIntArray(SCORES);
            scores = new float[ints.length];
            for (int i = 0; i < ints.length; i++) {
                scores[i] = ints[i];
            }
        } else {
            scores = md.getFloatArray(SCORES);
        }
        if (scores.length < n) {
            throw error(md, SCORES, "has " + scores.length + " entries for " + n + " tokens");
        }
        return scores;
    }

    private static List<String[]> merges(GgufMetadata md) {
        if (!md.has(MERGES)) {
            throw new ModelFormatException(md.file(), "missing metadata key '" + MERGES + "' (a gpt2 tokenizer needs its merges)");
        }
        List<String[]> merges = new ArrayList<>();
        for (String merge : md.getStringArray(MERGES)) {
            String[] pair = MergeRanks.split(merge);
            merges.add(pair == null ? new String[] {"", ""} : pair);
        }
        return merges;
    }

    /** The id a key gives, when it is in the vocabulary; else the default, when that is. */
    private static int specialId(GgufMetadata md, String key, int defaultId, int n) {
        int id = defaultId < n ? defaultId : -1;
        if (md.has(key)) {
            long value = md.getLong(key);
            if (value >= 0 && value < n) {
                id = (int) value;
            }
        }
        return id;
    }

    /**
     * llama.cpp's end-of-generation set: EOT and EOM by key, the fill-in-the-middle pad, repo and separator
     * tokens, and every token spelled as in {@link #EOG_TEXTS}. Tokens found by their text become control
     * tokens (so they are hidden on decode and parsed only as special text).
     */
    private static void markEndOfGeneration(GgufMetadata md, TokenType[] types, TokenIndex byText, BitSet eog) {
        int n = types.length;
        for (String key : List.of(EOT, EOM)) {
            int id = specialId(md, key, -1, n);
            if (id >= 0) {
                eog.set(id);
            }
        }
        for (Fim fim : FIM) {
            String key = fim.deprecatedKey() != null && !md.has(fim.key()) ? fim.deprecatedKey() : fim.key();
            int id = specialId(md, key, -1, n);
            if (id < 0) {
                id = fim.texts().stream().mapToInt(byText::get).filter(i -> i >= 0).findFirst().orElse(-1);
                if (id >= 0) {
                    types[id] = TokenType.CONTROL;
                }
            }
            if (id >= 0 && fim.endsGeneration()) {
                eog.set(id);
            }
        }
        for (String text : EOG_TEXTS) {
            int id = byText.get(text);
            if (id >= 0) {
                eog.set(id);
                types[id] = TokenType.CONTROL;
            }
        }
    }

    /** llama.cpp's Phi-3 fix-up: special tokens and {@code </s>} take the whitespace after them, except these three. */
    private static void phi3RightStrip(String[] pieces, TokenType[] types, TokenIndex byText, boolean[] rstrip) {
        for (int id = 0; id < pieces.length; id++) {
            rstrip[id] = types[id].special();
        }
        int eos = byText.get("</s>");
        if (eos >= 0) {
            rstrip[eos] = true;
        }
        for (String text : List.of("<unk>", "<s>", "<|endoftext|>")) {
            int id = byText.get(text);
            if (id >= 0) {
                rstrip[id] = false;
            }
        }
    }

    private static ModelFormatException error(GgufMetadata md, String key, String what) {
        return new ModelFormatException(md.file(), "metadata key '" + key + "' " + what);
    }
}
