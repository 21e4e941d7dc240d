package dev.llamasimd.generate;

import dev.llamasimd.tokenizer.StreamingDecoder;
import dev.llamasimd.tokenizer.Tokenizer;
import it.unimi.dsi.fastutil.ints.IntArrayList;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What one generation has produced so far, and whether it must end: turns each sampled token
 * into text (complete UTF-8, stop strings held back and cut), reports it to the listener, and
 * decides the finish reason. Shared by {@link Session} and {@link Scheduler}, so both end a
 * generation by the same rules.
 */
final class TokenOutput {
    private final Tokenizer tokenizer;
    private final GenerationParams params;
    private final TokenListener listener;
    private final StreamingDecoder decoder;
    private final StopStrings stops;
    private final StringBuilder text = new StringBuilder();
    private final IntArrayList generated = new IntArrayList();
    private Generation.FinishReason reason;

    TokenOutput(Tokenizer tokenizer, GenerationParams params, TokenListener listener) {
        this.tokenizer = tokenizer;
        this.params = params;
        this.listener = listener;
        this.decoder = tokenizer.continuationDecoder(false);
        this.stops = new StopStrings(params.stopStrings());
    }

    /**
     * Takes the token sampled from {@code logits[off..off+vocab)}; returns false when the
     * generation ends with it ({@link #reason()} says why). {@code roomLeft} is whether the
     * context can take it as the next input.
     */
    boolean accept(int id, float[] logits, int off, int vocab, boolean roomLeft) {
        generated.add(id);
        if (listener != null) {
            listener.onToken(params.logprobs() < 0
                    ? new TokenListener.GeneratedToken(id, text(id), Float.NaN, List.of())
                    : logprobs(id, logits, off, vocab));
        }
        if (params.stopAtEndOfGeneration() && tokenizer.isEndOfGeneration(id)) {
            reason = Generation.FinishReason.END_OF_GENERATION;
            return false;
        }
        emit(stops.push(decoder.push(id)));
        if (stops.stopped()) {
            reason = Generation.FinishReason.STOP_STRING;
            return false;
        }
        if (generated.size() >= params.maxTokens()) {
            reason = Generation.FinishReason.MAX_TOKENS;
            return false;
        }
        if (!roomLeft) {
            reason = Generation.FinishReason.CONTEXT_FULL;
            return false;
        }
        return true;
    }

    /** Ends the generation for {@code why} (unless it already ended) and flushes held-back text. */
    void finish(Generation.FinishReason why) {
        if (reason == null) {
            reason = why;
        }
        if (!stops.stopped()) {
            emit(stops.push(decoder.flush()));
            emit(stops.flush());
        }
    }

    Generation.FinishReason reason() {
        return reason;
    }

    String text() {
        return text.toString();
    }

    int[] tokens() {
        return generated.toIntArray();
    }

    int count() {
        return generated.size();
    }

    private void emit(String piece) {
        if (!piece.isEmpty()) {
            text.append(piece);
            if (listener != null) {
                listener.onText(piece);
            }
        }
    }

    /** A token's own text: its bytes as UTF-8 (special tokens shown). */
    private String text(int id) {
        return new String(tokenizer.tokenBytes(id, true), StandardCharsets.UTF_8);
    }

    /** The token's log-softmax and the {@code params.logprobs()} most likely tokens (ties: lower id first). */
    private TokenListener.GeneratedToken logprobs(int id, float[] logits, int off, int vocab) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[off + i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(logits[off + i] - max);
        }
        float logZ = (float) (max + Math.log(sum));
        int k = Math.min(params.logprobs(), vocab);
        int[] top = new int[k];
        int n = 0;
        for (int i = 0; i < vocab; i++) {
            float v = logits[off + i];
            if (n == k && (k == 0 || v <= logits[off + top[k - 1]])) {
                continue;
            }
            int j = n < k ? n++ : k - 1;
            while (j > 0 && logits[off + top[j - 1]] < v) {
                top[j] = top[j - 1];
                j--;
            }
            top[j] = i;
        }
        List<TokenListener.Alternative> alternatives = new ArrayList<>(k);
        for (int i = 0; i < n; i++) {
            alternatives.add(new TokenListener.Alternative(top[i], text(top[i]), logits[off + top[i]] - logZ));
        }
        return new TokenListener.GeneratedToken(id, text(id), logits[off + id] - logZ, alternatives);
    }
}
