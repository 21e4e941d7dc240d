package dev.llamasimd.tokenizer;

import dev.llamasimd.testing.Shared;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Encoding speed (a benchmark, not a test): about 1 MB of mixed text (English prose and Markdown from
 * ../shared, Jinja code from its chat templates, and sentences in twelve other languages and scripts, shuffled
 * with a fixed seed) through the Llama 3 (llama-bpe), Llama 2 (SentencePiece), GPT-2 and Qwen2 vocabularies.
 * Prints MB/s of UTF-8 input: the first pass of a new tokenizer (cold JIT, empty piece cache); after three
 * seconds of warm-up, the best of five passes of new tokenizers (warm JIT, empty cache: the speed on text not
 * seen before); and the best of five passes over the same text again (every piece cached).
 *
 * <p>Run: {@code java -cp target/classes:target/test-classes:<fastutil jar> dev.llamasimd.tokenizer.TokenizerBench [shared dir]}
 */
public final class TokenizerBench {
    private static final List<String> SENTENCES = List.of(
            "The quick brown fox jumps over the lazy dog; it's 3.14159 times faster than you'd think!",
            "Der schnelle braune Fuchs springt über den faulen Hund – „Grüße“ aus Köln, Straße 12.",
            "Le renard brun rapide saute par-dessus le chien paresseux : « déjà vu », n'est-ce pas ?",
            "El rápido zorro marrón salta sobre el perro perezoso; ¿mañana a las 10:30? ¡Sí!",
            "Быстрая коричневая лиса прыгает через ленивую собаку, а потом пьёт чай в 17:00.",
            "Η γρήγορη καφέ αλεπού πηδάει πάνω από τον τεμπέλη σκύλο — καλημέρα κόσμε!",
            "敏捷的棕色狐狸跳过了懒狗。我想在apple工作1314151天～今天天气很好，我们去公园吧！",
            "素早い茶色の狐がのろまな犬を飛び越えた。東京は今日も晴れです、ありがとうございます。",
            "빠른 갈색 여우가 게으른 개를 뛰어넘었다. 안녕하세요, 만나서 반갑습니다!",
            "الثعلب البني السريع يقفز فوق الكلب الكسول، مرحبا بالعالم ١٢٣٤.",
            "तेज़ भूरी लोमड़ी आलसी कुत्ते के ऊपर कूदती है। नमस्ते दुनिया १२३।",
            "Con cáo nâu nhanh nhẹn nhảy qua con chó lười — Cửa Việt, năm 2024.",
            "Emoji time 🦙🚀 👩‍👩‍👧 👍🏽 ✨ and math 𝐀𝐁 ∞ ∑ ½ ¼ Ⅷ ²   with    odd\tspacing\n\n\n");

    private TokenizerBench() {}

    public static void main(String[] args) throws IOException {
        Path shared = args.length > 0 ? Path.of(args[0]) : Shared.root();
        String text = corpus(shared, 1 << 20);
        double mb = text.getBytes(StandardCharsets.UTF_8).length / 1e6;
        System.out.printf("corpus: %.2f MB UTF-8, %,d chars%n", mb, text.length());
        for (String vocab : List.of("llama-bpe", "llama-spm", "gpt-2", "qwen2")) {
            Path file = shared.resolve("tokenizers/ggml-vocab-" + vocab + ".gguf");
            if (!Files.exists(file)) {
                System.out.println(vocab + ": skipped, " + file + " is absent");
                continue;
            }
            Tokenizer tokenizer = Tokenizers.load(file);
            long t0 = System.nanoTime();
            int tokens = tokenizer.encode(text, false, false).length;
            double cold = mb / ((System.nanoTime() - t0) / 1e9);
            for (long end = System.nanoTime() + 3_000_000_000L; System.nanoTime() < end; ) {
                Tokenizers.load(file).encode(text, false, false);
            }
            double fresh = 0;
            double cached = 0;
            for (int run = 0; run < 5; run++) {
                Tokenizer empty = Tokenizers.load(file);
                fresh = Math.max(fresh, mbPerSecond(empty, text, mb));
                cached = Math.max(cached, mbPerSecond(tokenizer, text, mb));
            }
            System.out.printf("%-10s %,9d tokens   first pass %6.2f MB/s   warm, empty cache %6.2f MB/s   warm, cached %6.2f MB/s%n",
                    vocab, tokens, cold, fresh, cached);
        }
    }

    private static double mbPerSecond(Tokenizer tokenizer, String text, double mb) {
        long t = System.nanoTime();
        tokenizer.encode(text, false, false);
        return mb / ((System.nanoTime() - t) / 1e9);
    }

    /** About {@code bytes} bytes of text: prose, code and the sentences above, in chunks shuffled with seed 42. */
    static String corpus(Path shared, int bytes) throws IOException {
        List<String> chunks = new ArrayList<>();
        try (Stream<Path> files = Files.walk(shared)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".md") || f.toString().endsWith(".jinja")).sorted().toList()) {
                String s = Files.readString(p);
                for (int at = 0; at < s.length(); at += 2000) {
                    chunks.add(s.substring(at, Math.min(s.length(), at + 2000)));
                }
            }
        }
        Random random = new Random(42);
        StringBuilder out = new StringBuilder();
        int size = 0;
        while (size < bytes) {
            String chunk = random.nextInt(3) == 0 || chunks.isEmpty()
                    ? String.join(" ", SENTENCES.get(random.nextInt(SENTENCES.size())), SENTENCES.get(random.nextInt(SENTENCES.size())))
                    : chunks.get(random.nextInt(chunks.size()));
            out.append(chunk).append('\n');
            size += chunk.getBytes(StandardCharsets.UTF_8).length + 1;
        }
        return out.toString();
    }
}
