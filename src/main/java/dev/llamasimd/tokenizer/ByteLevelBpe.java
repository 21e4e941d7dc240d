package dev.llamasimd.tokenizer;

import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level BPE (GGUF {@code tokenizer.ggml.model = "gpt2"}, llama.cpp's {@code llm_tokenizer_bpe}; Hugging
 * Face's BPE behind a ByteLevel pre-tokenizer): the text is split by a {@link PreTokenizer}, each piece's
 * UTF-8 bytes start as one symbol each (spelled in {@link ByteLevel GPT-2's byte alphabet}), and ranked
 * merges join them, lowest rank first. Every piece's result is cached. Thread-safe.
 */
final class ByteLevelBpe implements BpeModel {
    /** The cache is emptied when it holds more pieces than this. */
    private static final int CACHE_LIMIT = 1 << 16;

    private final PreTokenizer pre;
    private final MergeRanks ranks;
    private final TokenIndex index;
    private final boolean ignoreMerges;
    private final int[] byteTokens = new int[256];
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param ignoreMerges a piece that is a token as a whole is that token, before any merging (Llama 3)
     */
    ByteLevelBpe(Vocabulary vocab, PreTokenizer pre, MergeRanks ranks, boolean ignoreMerges) {
        this.pre = pre;
        this.ranks = ranks;
        this.index = vocab.index();
        this.ignoreMerges = ignoreMerges;
        for (int b = 0; b < 256; b++) {
            byteTokens[b] = index.get(String.valueOf(ByteLevel.charOf(b)));
        }
    }

    @Override
    public void encode(String text, int from, int to, boolean atStart, IntArrayList out) {
        IntArrayList bounds = new IntArrayList();
        pre.split(text, from, to, bounds);
        SymbolMerger merger = null;
        for (int k = 0; k < bounds.size(); k += 2) {
            String piece = text.substring(bounds.getInt(k), bounds.getInt(k + 1));
            int[] ids = cache.get(piece);
            if (ids == null) {
                if (merger == null) {
                    merger = new SymbolMerger();
                }
                ids = encodePiece(piece, merger);
                if (cache.size() >= CACHE_LIMIT) {
                    cache.clear();
                }
                cache.put(piece, ids);
            }
            out.addElements(out.size(), ids);
        }
    }

    private int[] encodePiece(String piece, SymbolMerger merger) {
        byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
        if (ignoreMerges) {
            StringBuilder spelled = new StringBuilder(bytes.length);
            for (byte b : bytes) {
                spelled.append(ByteLevel.charOf(b));
            }
            int id = index.get(spelled, 0, spelled.length());
            if (id >= 0) {
                return new int[] {id};
            }
        }
        merger.clear();
        for (int i = 0; i < bytes.length; i++) {
            merger.add(byteTokens[bytes[i] & 0xff], i, 1);
        }
        merger.run(ranks);
        IntArrayList ids = new IntArrayList(bytes.length);
        for (int sym = merger.first(); sym >= 0; sym = merger.next(sym)) {
            int id = merger.id(sym);
            if (id >= 0) {
                ids.add(id);
                continue;
            }
            // As llama.cpp: look up each byte of the symbol's spelling alone; only the ASCII ones can be tokens.
            for (int i = merger.start(sym), end = i + merger.length(sym); i < end; i++) {
                int b = bytes[i] & 0xff;
                if (ByteLevel.charOf(b) < 0x80 && byteTokens[b] >= 0) {
                    ids.add(byteTokens[b]);
                }
            }
        }
        return ids.toIntArray();
    }

    /**
     * The bytes a token spelled in the byte alphabet stands for. A character outside the alphabet is
     * rendered as llama.cpp does: {@code [UNK_BYTE_0x} its UTF-8 in hex, the whole piece, {@code ]}.
     */
    @Override
    public byte[] render(String piece) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(piece.length());
        piece.codePoints().forEach(cp -> {
            int b = ByteLevel.byteOf(cp);
            if (b >= 0) {
                out.write(b);
            } else {
                StringBuilder unknown = new StringBuilder("[UNK_BYTE_0x");
                for (byte u : Character.toString(cp).getBytes(StandardCharsets.UTF_8)) {
                    unknown.append(String.format("%02x", u & 0xff));
                }
                out.writeBytes(unknown.append(piece).append(']').toString().getBytes(StandardCharsets.UTF_8));
            }
        });
        return out.toByteArray();
    }

    @Override
    public boolean addsSpacePrefix() {
        return false;
    }
}
