package dev.llamasimd.tokenizer;

import it.unimi.dsi.fastutil.ints.IntArrayList;
import it.unimi.dsi.fastutil.longs.LongOpenHashSet;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;

/**
 * SentencePiece-style BPE over characters: spaces become {@code ▁} (U+2581), optionally with one in front
 * (the dummy prefix), and neighbouring symbols merge either by the score of the token they form, highest
 * first (GGUF {@code tokenizer.ggml.model = "llama"}, llama.cpp's {@code llm_tokenizer_spm}), or by ranked
 * merges (Hugging Face BPE with {@code byte_fallback}). A character that ends up as no token becomes its
 * UTF-8 bytes as {@code <0xNN>} tokens, or {@code <unk>} where there are none (or nothing, without an
 * {@code <unk>}; llama.cpp fails there).
 *
 * <p>llama.cpp merges over the whole text at once. Two neighbouring characters can only ever end up in one
 * token if some token contains them side by side, so the text is first cut wherever that is not the case
 * (in Llama's vocabulary, before almost every {@code ▁}); merging each segment alone gives the same tokens,
 * keeps the heap small and lets segments be cached. Thread-safe.
 */
final class SentencePieceBpe implements BpeModel {
    /** The escaped space. */
    static final char SPACE = '\u2581';
    /** The cache is emptied when it holds more segments than this. */
    private static final int CACHE_LIMIT = 1 << 16;

    /** When a run of text gets the dummy-prefix space. */
    enum SpacePrefix {
        /** Never. */
        NONE,
        /** Always: llama.cpp, and Hugging Face's {@code Prepend("▁")} normalizer. */
        ALWAYS,
        /** Unless the run starts with a space: Hugging Face's {@code Metaspace(prepend_scheme = "always")}. */
        UNLESS_SPACE,
        /** Only for the run that starts the input, unless it starts with a space: {@code prepend_scheme = "first"}. */
        FIRST_UNLESS_SPACE
    }

    private final Vocabulary vocab;
    private final int[] priority;
    private final MergeRanks ranks;
    private final SpacePrefix prefix;
    private final PreTokenizer split;
    private final int[] byteTokens = new int[256];
    private final boolean byteFallback;
    private final int unk;
    private final boolean fuseUnk;
    private final LongOpenHashSet joinable = new LongOpenHashSet();
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    private SentencePieceBpe(Vocabulary vocab, float[] scores, MergeRanks ranks, SpacePrefix prefix,
                             PreTokenizer split, boolean byteFallback, int unk, boolean fuseUnk) {
        this.vocab = vocab;
        this.ranks = ranks;
        this.prefix = prefix;
        this.split = split;
        this.byteFallback = byteFallback;
        this.unk = unk;
        this.fuseUnk = fuseUnk;
        if (scores != null) {
            priority = new int[vocab.size()];
            for (int id = 0; id < priority.length; id++) {
                priority[id] = priorityOf(scores[id]);
            }
        } else {
            priority = null;
        }
        for (int b = 0; b < 256; b++) {
            byteTokens[b] = byteToken(vocab, b);
        }
        for (int id = 0; id < vocab.size(); id++) {
            String piece = vocab.piece(id);
            for (int i = 0, next; i < piece.length(); i = next) {
                next = i + Character.charCount(piece.codePointAt(i));
                if (next < piece.length()) {
                    joinable.add(pair(piece.codePointAt(i), piece.codePointAt(next)));
                }
            }
        }
        joinable.trim();
    }

    private static long pair(int first, int second) {
        return (long) first << 32 | second;
    }

    /**
     * llama.cpp's SentencePiece BPE: pairs merge by the score of the token they spell (any pair whose text
     * is a token), the space prefix on every run of text, byte fallback.
     *
     * @param scores each token's score, by id
     */
    static SentencePieceBpe byScores(Vocabulary vocab, float[] scores, boolean spacePrefix, int unk) {
        return new SentencePieceBpe(vocab, scores, null, spacePrefix ? SpacePrefix.ALWAYS : SpacePrefix.NONE,
                null, true, unk, false);
    }

    /**
     * Hugging Face's BPE model over ▁-escaped text: pairs merge by rank.
     *
     * @param split        splits the escaped text into words first (Metaspace's {@code split = true}), or null
     * @param byteFallback unknown characters become {@code <0xNN>} tokens; otherwise {@code unk}
     * @param fuseUnk      consecutive unknown characters give one {@code unk}
     */
    static SentencePieceBpe byRanks(Vocabulary vocab, MergeRanks ranks, SpacePrefix prefix, PreTokenizer split,
                                    boolean byteFallback, int unk, boolean fuseUnk) {
        return new SentencePieceBpe(vocab, null, ranks, prefix, split, byteFallback, unk, fuseUnk);
    }

    /** Higher scores merge first: maps the float order to a descending int order (-0 equals +0). */
    private static int priorityOf(float score) {
        int bits = Float.floatToIntBits(score + 0.0f);
        return ~(bits ^ ((bits >> 31) & 0x7fffffff));
    }

    /** The {@code <0xNN>} token of a byte, else the one-character token of an ASCII byte, else -1. */
    private static int byteToken(Vocabulary vocab, int b) {
        int id = vocab.index().get(String.format("<0x%02X>", b));
        if (id < 0 && b < 0x80) {
            id = vocab.index().get(String.valueOf((char) b));
        }
        return id;
    }

    @Override
    public void encode(String text, int from, int to, boolean atStart, IntArrayList out) {
        boolean addPrefix = switch (prefix) {
            case NONE -> false;
            case ALWAYS -> true;
            case UNLESS_SPACE -> !isSpace(text.charAt(from));
            case FIRST_UNLESS_SPACE -> atStart && !isSpace(text.charAt(from));
        };
        StringBuilder escaped = new StringBuilder(to - from + 1);
        if (addPrefix) {
            escaped.append(SPACE);
        }
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            escaped.append(c == ' ' ? SPACE : c);
        }
        String s = escaped.toString();
        if (split == null) {
            encodeSegments(s, 0, s.length(), out);
        } else {
            IntArrayList bounds = new IntArrayList();
            split.split(s, 0, s.length(), bounds);
            for (int k = 0; k < bounds.size(); k += 2) {
                encodeSegments(s, bounds.getInt(k), bounds.getInt(k + 1), out);
            }
        }
    }

    /** Cuts {@code s[from, to)} where no token joins two characters and encodes each piece. */
    private void encodeSegments(String s, int from, int to, IntArrayList out) {
        SymbolMerger merger = null;
        int runStart = out.size();
        int start = from;
        int previous = s.codePointAt(from);
        for (int i = from + Character.charCount(previous); i <= to; ) {
            int cp = i < to ? s.codePointAt(i) : -1;
            if (cp < 0 || !joinable.contains(pair(previous, cp))) {
                String segment = s.substring(start, i);
                int[] ids = cache.get(segment);
                if (ids == null) {
                    if (merger == null) {
                        merger = new SymbolMerger();
                    }
                    ids = encodeSegment(segment, merger);
                    if (cache.size() >= CACHE_LIMIT) {
                        cache.clear();
                    }
                    cache.put(segment, ids);
                }
                for (int id : ids) {
                    if (!(fuseUnk && id == unk && out.size() > runStart && out.getInt(out.size() - 1) == unk)) {
                        out.add(id);
                    }
                }
                start = i;
            }
            if (cp < 0) {
                break;
            }
            previous = cp;
            i += Character.charCount(cp);
        }
    }

    private int[] encodeSegment(String s, SymbolMerger merger) {
        SymbolMerger.Pairs pairs = ranks != null ? ranks : (left, right, from, to) -> {
            int id = vocab.index().get(s, from, to);
            return id < 0 ? SymbolMerger.NO_MERGE : SymbolMerger.merge(priority[id], id);
        };
        merger.clear();
        for (int i = 0; i < s.length(); ) {
            int n = Character.charCount(s.codePointAt(i));
            merger.add(vocab.index().get(s, i, i + n), i, n);
            i += n;
        }
        merger.run(pairs);
        IntArrayList ids = new IntArrayList();
        for (int sym = merger.first(); sym >= 0; sym = merger.next(sym)) {
            int id = merger.id(sym);
            if (id >= 0) {
                ids.add(id);
            } else if (!(byteFallback && fallBackToBytes(s, merger.start(sym), merger.length(sym), ids)) && unk >= 0) {
                ids.add(unk);
            }
        }
        return ids.toIntArray();
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == SPACE;
    }

    /** Appends the byte tokens of {@code s[start, start + length)}; false (appending nothing) if one is missing. */
    private boolean fallBackToBytes(String s, int start, int length, IntArrayList out) {
        byte[] bytes = s.substring(start, start + length).getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) {
            if (byteTokens[b & 0xff] < 0) {
                return false;
            }
        }
        for (byte b : bytes) {
            out.add(byteTokens[b & 0xff]);
        }
        return true;
    }

    @Override
    public byte[] render(String piece) {
        return piece.replace(SPACE, ' ').getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public boolean addsSpacePrefix() {
        return prefix != SpacePrefix.NONE;
    }
}
