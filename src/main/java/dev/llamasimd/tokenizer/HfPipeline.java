package dev.llamasimd.tokenizer;

import dev.llamasimd.io.Json;
import dev.llamasimd.io.ModelFormatException;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What the steps of a {@code tokenizer.json} around its BPE model do, in the terms of this package: the
 * normalizer (the {@code ▁} prefix and escaping, Unicode normalization), the pre-tokenizer (ByteLevel, the
 * splitting expressions, Metaspace) and the post-processor (the special tokens put around the text). A
 * {@code Sequence} of steps is read step by step; any other kind of step is refused, naming the file and key.
 *
 * @param file       the tokenizer.json read
 * @param prepend    the normalizer prepends {@code ▁} ({@code Prepend})
 * @param escape     the normalizer replaces spaces by {@code ▁} ({@code Replace})
 * @param form       the normalizer's Unicode normalization, or null
 * @param byteLevel  the pre-tokenizer has a ByteLevel step
 * @param regexes    the pre-tokenizer's splitting expressions, in order
 * @param metaspace  the Metaspace step's prefix rule, or null without one
 * @param splitWords the Metaspace step splits into words at each {@code ▁}
 * @param bos        the text of the special token the post-processor puts before the text, or null
 * @param eos        the text of the special token the post-processor puts after the text, or null
 */
record HfPipeline(Path file, boolean prepend, boolean escape, Normalizer.Form form, boolean byteLevel, List<String> regexes,
                  SentencePieceBpe.SpacePrefix metaspace, boolean splitWords, String bos, String eos) {

    private static final String ESCAPED_SPACE = String.valueOf(SentencePieceBpe.SPACE);

    /** Reads the normalizer, pre-tokenizer and post-processor of a parsed {@code tokenizer.json}. */
    static HfPipeline read(Json.Obj root, Path file) {
        Builder b = new Builder(file);
        if (root.has("normalizer")) {
            steps(root.getObject("normalizer"), "normalizers").forEach(b::normalizer);
        }
        if (root.has("pre_tokenizer")) {
            steps(root.getObject("pre_tokenizer"), "pretokenizers").forEach(b::preTokenizer);
        }
        if (root.has("post_processor")) {
            steps(root.getObject("post_processor"), "processors").forEach(b::postProcessor);
        }
        return new HfPipeline(file, b.prepend, b.escape, b.form, b.byteLevel, List.copyOf(b.regexes), b.metaspace,
                b.splitWords, b.bos, b.eos);
    }

    /** The splitting expressions as a {@link PreTokenizer}. */
    PreTokenizer preTokenizer() {
        return PreTokenizer.of(HfTokenizerLoader.TOKENIZER_JSON, file, regexes);
    }

    /** Metaspace's word split ({@code ▁} starts a word), or null when there is none. */
    PreTokenizer metaspaceWords() {
        String notSpace = "[^" + ESCAPED_SPACE + "]";
        return splitWords ? PreTokenizer.of("Metaspace", List.of(notSpace + "+|" + ESCAPED_SPACE + notSpace + "*")) : null;
    }

    /** A step, or each step of a {@code Sequence} (nested ones flattened). */
    private static List<Json.Obj> steps(Json.Obj step, String listKey) {
        if (!step.optString("type", "").equals("Sequence")) {
            return List.of(step);
        }
        List<Json.Obj> steps = new ArrayList<>();
        for (Json.Obj inner : step.getObjectList(listKey)) {
            steps.addAll(steps(inner, listKey));
        }
        return steps;
    }

    /** Collects the steps' effects. */
    private static final class Builder {
        private final Path file;
        private boolean prepend;
        private boolean escape;
        private Normalizer.Form form;
        private boolean byteLevel;
        private final List<String> regexes = new ArrayList<>();
        private SentencePieceBpe.SpacePrefix metaspace;
        private boolean splitWords;
        private String bos;
        private String eos;
        private boolean templateSeen;

        Builder(Path file) {
            this.file = file;
        }

        void normalizer(Json.Obj step) {
            String type = step.getString("type");
            switch (type) {
                case "Prepend" -> {
                    requireEscapedSpace(step, "prepend");
                    prepend = true;
                }
                case "Replace" -> {
                    if (!" ".equals(step.getObject("pattern").optString("String", null))
                            || !ESCAPED_SPACE.equals(step.getString("content"))) {
                        throw error("normalizer", "replaces other than ' ' by '▁', which llama-simd does not support");
                    }
                    escape = true;
                }
                case "NFC", "NFD", "NFKC", "NFKD" -> form = Normalizer.Form.valueOf(type);
                default -> throw error("normalizer", "has a step of type '" + type + "', which llama-simd does not"
                        + " support; supported: Prepend(▁), Replace(' ' → ▁), NFC, NFD, NFKC, NFKD, Sequence");
            }
        }

        void preTokenizer(Json.Obj step) {
            String type = step.getString("type");
            switch (type) {
                case "ByteLevel" -> {
                    if (step.optBoolean("add_prefix_space", false)) {
                        throw error("pre_tokenizer", "ByteLevel with add_prefix_space, which llama-simd does not support");
                    }
                    if (step.optBoolean("use_regex", true)) {
                        regexes.add(PreTokenizer.GPT2);
                    }
                    byteLevel = true;
                }
                case "Split" -> {
                    String behavior = step.optString("behavior", "");
                    if (!behavior.equals("Isolated") || step.optBoolean("invert", false)) {
                        throw error("pre_tokenizer", "Split with behavior '" + behavior + "'"
                                + (step.optBoolean("invert", false) ? ", inverted," : "")
                                + " which llama-simd does not support; supported: Isolated, not inverted");
                    }
                    Json.Obj pattern = step.getObject("pattern");
                    addRegex(pattern.has("Regex") ? pattern.getString("Regex") : Pattern.quote(pattern.getString("String")));
                }
                case "Digits" -> regexes.add(step.optBoolean("individual_digits", false) ? "\\p{N}" : "\\p{N}+");
                case "Metaspace" -> {
                    requireEscapedSpace(step, "replacement");
                    String legacy = step.optBoolean("add_prefix_space", true) ? "always" : "never";
                    String scheme = step.optString("prepend_scheme", legacy);
                    metaspace = switch (scheme) {
                        case "always" -> SentencePieceBpe.SpacePrefix.UNLESS_SPACE;
                        case "first" -> SentencePieceBpe.SpacePrefix.FIRST_UNLESS_SPACE;
                        case "never" -> SentencePieceBpe.SpacePrefix.NONE;
                        default -> throw error("pre_tokenizer", "Metaspace with prepend_scheme '" + scheme
                                + "'; known: always, first, never");
                    };
                    splitWords = step.optBoolean("split", true);
                }
                default -> throw error("pre_tokenizer", "has a step of type '" + type + "', which llama-simd does not"
                        + " support; supported: ByteLevel, Split, Digits, Metaspace, Sequence");
            }
        }

        void postProcessor(Json.Obj step) {
            String type = step.getString("type");
            switch (type) {
                case "TemplateProcessing" -> {
                    if (!templateSeen) {
                        List<Json.Obj> single = step.getObjectList("single");
                        bos = single.isEmpty() ? null : specialToken(single.getFirst());
                        eos = single.size() < 2 ? null : specialToken(single.getLast());
                        templateSeen = true;
                    }
                }
                case "ByteLevel" -> { }
                default -> throw error("post_processor", "has a step of type '" + type + "', which llama-simd does not"
                        + " support; supported: TemplateProcessing, ByteLevel, Sequence");
            }
        }

        private static String specialToken(Json.Obj item) {
            return item.has("SpecialToken") ? item.getObject("SpecialToken").getString("id") : null;
        }

        private void addRegex(String regex) {
            try {
                PreTokenizer.compile(regex);
            } catch (IllegalArgumentException e) {
                throw error("pre_tokenizer", "has the expression " + regex + ", which Java cannot compile: " + e.getMessage());
            }
            regexes.add(regex);
        }

        private void requireEscapedSpace(Json.Obj step, String key) {
            if (!ESCAPED_SPACE.equals(step.getString(key))) {
                throw error(key, "is '" + step.getString(key) + "'; llama-simd supports only '▁' (U+2581)");
            }
        }

        private ModelFormatException error(String key, String what) {
            return HfTokenizerLoader.error(file, key, what);
        }
    }
}
