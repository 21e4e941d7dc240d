package dev.llamasimd.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.llamasimd.testing.Shared;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Coverage-guided fuzzing of encode and decode on every vocabulary that ships: the two of
 * {@link TestVocabs} (the byte-level one under every known pre-tokenizer), tiny-kjv, stories260K and
 * llama.cpp's test vocabularies (those of ../shared when present). The first byte picks the
 * vocabulary; the rest is text (UTF-8 after a second byte that is even, else UTF-16 code units, lone
 * surrogates included) and, read as 16-bit numbers, token ids. Encoding never fails and gives ids of
 * the vocabulary; the test vocabularies decode what they encode; decoding any ids never fails, and
 * streaming them gives the same text. The corpus has a seed per vocabulary ({@code vocab-NN}).
 * Seeds and kept findings: {@code src/test/resources/dev/llamasimd/tokenizer/TokenizerFuzzTestInputs/encodeDecode}.
 */
class TokenizerFuzzTest {
    private static final int MAX_IDS = 64;
    private static final List<Tokenizer> ROUND_TRIP = new ArrayList<>();
    private static final List<Tokenizer> ALL = new ArrayList<>();

    static {
        ROUND_TRIP.add(TestVocabs.spm());
        for (String pre : Tokenizers.knownPreTokenizers()) {
            ROUND_TRIP.add(TestVocabs.byteLevel(pre));
        }
        ALL.addAll(ROUND_TRIP);
        for (String file : List.of("models/tiny-kjv/tiny-kjv-Q8_0.gguf", "oracles/llama2c/stories260K-F32.gguf",
                "tokenizers/ggml-vocab-llama-spm.gguf", "tokenizers/ggml-vocab-llama-bpe.gguf",
                "tokenizers/ggml-vocab-gpt-2.gguf", "tokenizers/ggml-vocab-qwen2.gguf")) {
            Shared.find(file).ifPresent(p -> ALL.add(Tokenizers.load(p)));
        }
    }

    @FuzzTest
    void encodeDecode(byte[] data) {
        if (data.length == 0) {
            return;
        }
        Tokenizer t = ALL.get((data[0] & 0xff) % ALL.size());
        byte[] rest = Arrays.copyOfRange(data, 1, data.length);
        String text = text(rest);
        boolean valid = text.equals(new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
        for (boolean special : new boolean[] {false, true}) {
            int[] ids = t.encode(text, special, special);
            for (int id : ids) {
                assertTrue(id >= 0 && id < t.vocabSize(), () -> "id " + id + " of " + t.vocabSize());
            }
            if (!special && valid && ROUND_TRIP.contains(t)) {
                checkRoundTrip(t, text, ids);
            }
        }
        int[] ids = ids(rest, t.vocabSize());
        checkStreaming(t, ids, false);
        checkStreaming(t, ids, true);
    }

    private static String text(byte[] data) {
        if (data.length == 0 || (data[0] & 1) == 0) {
            return new String(data, StandardCharsets.UTF_8);
        }
        ByteBuffer b = ByteBuffer.wrap(data, 1, data.length - 1).order(ByteOrder.LITTLE_ENDIAN);
        char[] chars = new char[b.remaining() / 2];
        b.asCharBuffer().get(chars);
        return new String(chars);
    }

    private static int[] ids(byte[] data, int vocabSize) {
        int[] ids = new int[Math.min(MAX_IDS, data.length / 2)];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = ((data[2 * i] & 0xff) | (data[2 * i + 1] & 0xff) << 8) % vocabSize;
        }
        return ids;
    }

    /** As {@link RoundTripProperties}: SentencePiece turns U+2581 into a space, and user-defined text is a token. */
    private static void checkRoundTrip(Tokenizer t, String text, int[] ids) {
        boolean spm = t.addsSpacePrefix();
        if (spm && (text.indexOf(SentencePieceBpe.SPACE) >= 0 || text.contains(TestVocabs.USER))) {
            return;
        }
        assertEquals(text, t.decode(ids, false));
    }

    private static void checkStreaming(Tokenizer t, int[] ids, boolean showSpecial) {
        String whole = t.decode(ids, showSpecial);
        StreamingDecoder stream = t.streamingDecoder(showSpecial);
        StringBuilder streamed = new StringBuilder();
        for (int id : ids) {
            streamed.append(stream.push(id));
            assertTrue(whole.startsWith(streamed.toString()), () -> "streamed " + Quote.of(streamed.toString())
                    + " is not a prefix of " + Quote.of(whole) + " for ids " + Arrays.toString(ids));
        }
        streamed.append(stream.flush());
        assertEquals(whole, streamed.toString(), () -> "ids " + Arrays.toString(ids));
    }
}
