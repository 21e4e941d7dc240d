package dev.llamasimd.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Special tokens, BOS/EOS and rendering on the small test vocabularies: control text is a token only with
 * parseSpecial, user-defined text always; longest special token first; lstrip/rstrip; the dummy prefix
 * after special tokens; hidden control tokens; byte tokens; {@code ignore_merges}.
 */
class SpecialTokensTest {
    private static final Tokenizer SPM = TestVocabs.spm();
    private static final Tokenizer GPT2 = TestVocabs.byteLevel("gpt-2");

    private static int id(Tokenizer t, String piece) {
        for (int id = 0; id < t.vocabSize(); id++) {
            if (t.piece(id).equals(piece)) {
                return id;
            }
        }
        throw new AssertionError("no token " + piece);
    }

    @Test
    void controlTextIsATokenOnlyWithParseSpecial() {
        int ctl = id(SPM, TestVocabs.CONTROL);
        assertFalse(Arrays.stream(SPM.encode("a<ctl>b", false, false)).anyMatch(i -> i == ctl));
        int the = id(SPM, "▁the");
        assertArrayEquals(new int[] {ctl, the}, SPM.encode("<ctl>the", false, true), "dummy prefix after a special token");
        int eot = id(GPT2, TestVocabs.EOT);
        assertEquals(1, GPT2.encode(TestVocabs.EOT, false, true).length);
        assertEquals(eot, GPT2.encode(TestVocabs.EOT, false, true)[0]);
        assertTrue(GPT2.encode(TestVocabs.EOT, false, false).length > 1);
    }

    @Test
    void userDefinedTextIsAlwaysAToken() {
        int user = id(SPM, TestVocabs.USER);
        assertTrue(Arrays.stream(SPM.encode("a<|user|>b", false, false)).anyMatch(i -> i == user));
        int gptUser = id(GPT2, TestVocabs.USER);
        assertTrue(Arrays.stream(GPT2.encode("a<|user|>b", false, false)).anyMatch(i -> i == gptUser));
    }

    @Test
    void bosAndEosAsTheModelAsks() {
        assertEquals(1, SPM.encode("the", true, false)[0]);
        assertEquals(1, SPM.encode("", true, false).length, "empty text with BOS");
        assertEquals(0, SPM.encode("", false, false).length);
        assertTrue(SPM.addsBos());
        assertNotEquals(GPT2.bos(), GPT2.encode("the", true, false)[0], "gpt-2 adds no BOS by default");
        Tokenizer withEos = Tokenizers.load(TestVocabs.spmFile("spm-eos.gguf", w -> w.putBool("tokenizer.ggml.add_eos_token", true)
                .putBool("tokenizer.ggml.add_bos_token", false)));
        int[] ids = withEos.encode("the", true, false);
        assertEquals(2, ids[ids.length - 1]);
        assertNotEquals(1, ids[0]);
    }

    @Test
    void decodeHidesControlTokensUnlessAsked() {
        int ctl = id(SPM, TestVocabs.CONTROL);
        int user = id(SPM, TestVocabs.USER);
        int the = id(SPM, "▁the");
        assertEquals("the", SPM.decode(new int[] {the}, false));
        assertEquals(" the<|user|>", SPM.decode(new int[] {1, the, user}, false), "the dummy space goes with the first token only");
        assertEquals("<s> the<ctl>", SPM.decode(new int[] {1, the, ctl}, true));
        assertTrue(SPM.isControl(1));
        assertTrue(SPM.isControl(0), "<unk> is hidden too");
        assertFalse(SPM.isControl(user));
        assertEquals(0, SPM.tokenBytes(ctl, false).length);
        assertArrayEquals("<ctl>".getBytes(), SPM.tokenBytes(ctl, true));
        assertTrue(SPM.isEndOfGeneration(2));
        assertFalse(SPM.isEndOfGeneration(1));
        assertThrows(IllegalArgumentException.class, () -> SPM.decode(new int[] {SPM.vocabSize()}, false));
    }

    @Test
    void byteTokensAndInvalidUtf8() {
        int e6 = id(SPM, "<0xE6>");
        int x97 = id(SPM, "<0x97>");
        int xa5 = id(SPM, "<0xA5>");
        assertEquals("日", SPM.decode(new int[] {e6, x97, xa5}, false));
        assertEquals("\uFFFD", SPM.decode(new int[] {e6, x97}, false));
        assertEquals("\uFFFDa", SPM.decode(new int[] {e6, id(SPM, "a")}, false));
        int[] bytes = SPM.encode("\uD83D\uDE00", false, false);
        assertEquals(5, bytes.length, "▁ then the emoji's four bytes");
        assertEquals("\uD83D\uDE00", SPM.decode(bytes, false));
    }

    @Test
    void streamingHoldsBackSplitCharacters() {
        StreamingDecoder d = SPM.streamingDecoder(false);
        assertEquals("", d.push(id(SPM, "<0xE6>")));
        assertEquals("", d.push(id(SPM, "<0x97>")));
        assertEquals("日", d.push(id(SPM, "<0xA5>")));
        assertEquals("", d.push(id(SPM, "<0xE6>")));
        assertEquals("\uFFFD", d.flush());
        assertEquals("the", SPM.streamingDecoder(false).push(id(SPM, "▁the")));
        assertEquals(" the", SPM.continuationDecoder(false).push(id(SPM, "▁the")), "a continuation keeps its space");
    }

    /**
     * A byte-level tokenizer.json whose ids are the byte values, with the given added tokens (content,
     * special, lstrip, rstrip) from id 256.
     */
    private static Tokenizer hfWithAdded(Path dir, List<Object[]> addedTokens) throws Exception {
        Map<String, Object> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(ByteLevel.charOf(b)), b);
        }
        List<Object> added = new java.util.ArrayList<>();
        for (int i = 0; i < addedTokens.size(); i++) {
            Object[] t = addedTokens.get(i);
            added.add(Map.of("id", 256 + i, "content", t[0], "special", t[1], "lstrip", t[2], "rstrip", t[3]));
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("added_tokens", added);
        root.put("pre_tokenizer", Map.of("type", "ByteLevel", "add_prefix_space", false, "use_regex", true));
        root.put("model", Map.of("type", "BPE", "vocab", vocab, "merges", List.of()));
        Files.writeString(dir.resolve("tokenizer.json"), HfJson.write(root));
        return Tokenizers.load(dir);
    }

    @Test
    void longestSpecialTokenFirstAndStripping(@TempDir Path dir) throws Exception {
        Tokenizer t = hfWithAdded(dir, List.of(
                new Object[] {"xab", false, false, false},
                new Object[] {"abcd", false, false, false},
                new Object[] {"<mask>", true, true, false},
                new Object[] {"<end>", true, false, true}));
        assertArrayEquals(new int[] {'x', 257}, t.encode("xabcd", false, false), "abcd, the longer, is cut out first");
        assertArrayEquals(new int[] {256, 'c'}, t.encode("xabc", false, false));
        int space = ' ';
        assertArrayEquals(new int[] {'a', 258, space, 'b'}, t.encode("a  <mask> b", false, true), "lstrip");
        assertArrayEquals(new int[] {'a', space, 259, 'b'}, t.encode("a <end> \n b", false, true), "rstrip");
        assertFalse(t.addsBos());
        assertEquals(-1, t.bos());
    }

    @Test
    void ignoreMergesTakesAWholeWordToken() {
        String[] pieces = new String[259];
        TokenType[] types = new TokenType[259];
        for (int b = 0; b < 256; b++) {
            pieces[b] = String.valueOf(ByteLevel.charOf(b));
            types[b] = TokenType.NORMAL;
        }
        pieces[256] = "xy";
        pieces[257] = "xyz";
        pieces[258] = "yz";
        Arrays.fill(types, 256, 259, TokenType.NORMAL);
        Vocabulary vocab = new Vocabulary(pieces, types, new boolean[259], new boolean[259], new TokenIndex(pieces));
        MergeRanks ranks = MergeRanks.of(List.of(new String[] {"x", "y"}, new String[] {"y", "z"}), vocab.index());
        PreTokenizer pre = PreTokenizer.of("gpt-2", List.of(PreTokenizer.GPT2));
        SpecialIds ids = new SpecialIds(-1, -1, false, false, new java.util.BitSet());
        Tokenizer merging = new BpeTokenizer(vocab, new ByteLevelBpe(vocab, pre, ranks, false), ids, null, null);
        Tokenizer whole = new BpeTokenizer(vocab, new ByteLevelBpe(vocab, pre, ranks, true), ids, null, null);
        assertArrayEquals(new int[] {256, 'z'}, merging.encode("xyz", false, false));
        assertArrayEquals(new int[] {257}, whole.encode("xyz", false, false));
    }

    @Test
    void longWordsMergeInLessThanQuadraticTime() {
        String word = "a".repeat(200_000) + "é".repeat(100_000);
        for (Tokenizer t : List.of(SPM, GPT2)) {
            long t0 = System.nanoTime();
            int[] ids = t.encode(word, false, false);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(word, t.decode(ids, false));
            assertTrue(ms < 20_000, t + " took " + ms + " ms for one word of 300k characters");
        }
    }
}
