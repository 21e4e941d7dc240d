package dev.llamasimd.model;

import dev.llamasimd.io.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code general.*} keys llama.cpp's {@code convert_hf_to_gguf.py} writes before the
 * hyper-parameters (gguf-py's {@code Metadata}): the recommended sampling settings of
 * {@code generation_config.json}, then the model's name and the parts of it gguf-py reads out
 * of the model id ({@code config.json}'s {@code _name_or_path} when it is a Hugging Face id,
 * then the directory's name): organization, base name, fine-tune, version and size label, the
 * size label else computed from the parameter count. A {@code README.md} model card is not read
 * (its YAML front matter gives gguf-py the license, tags, languages, base models and datasets).
 */
final class GeneralKeys {
    private static final int FLAGS =
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE | Pattern.UNICODE_CHARACTER_CLASS;
    private static final Pattern VERSION = Pattern.compile("(v|iter)?\\d+([.]\\d+)*", FLAGS);
    private static final Pattern QUANT_TYPE = Pattern.compile("i?q\\d(_\\w)*|b?fp?(16|32)", FLAGS);
    private static final Pattern SIZE =
            Pattern.compile("(([A]|\\d+[x])?\\d+([._]\\d+)?[KMBT][\\d]?|small|mini|medium|large|x?xl)", FLAGS);
    private static final Pattern FINETUNE = Pattern.compile("chat|instruct|vision|lora", FLAGS);
    private static final Pattern NO_TITLE = Pattern.compile("v\\d+(?:\\.\\d+)*|\\d.*", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern PLAIN_NUMBER = Pattern.compile("[0-9]+(\\.[0-9]+)?");

    /**
     * What gguf-py reads out of a model id such as {@code meta-llama/Llama-3.2-1B-Instruct}
     * ({@code Metadata.get_model_id_components}); each part is {@code null} when not found.
     */
    record Components(String fullName, String organization, String basename, String finetune, String version,
                      String sizeLabel) {}

    private GeneralKeys() {}

    /**
     * Whether {@code dir} has a {@code README.md} whose YAML front matter gguf-py would read
     * (its first line is {@code ---}).
     */
    static boolean hasModelCard(Path dir) {
        Path card = dir.resolve("README.md");
        if (!Files.isRegularFile(card)) {
            return false;
        }
        try (BufferedReader r = Files.newBufferedReader(card, StandardCharsets.UTF_8)) {
            return "---".equals(r.readLine());
        } catch (IOException e) {
            return false;
        }
    }

    /** The {@code general.sampling.*} keys, from {@code generation_config.json} (may be {@code null}). */
    static void putSampling(KeyValues kv, Json.Obj gen) {
        if (gen == null) {
            return;
        }
        String p = "general.sampling.";
        if (gen.has("sequence")) {
            kv.string(p + "sequence", gen.getString("sequence"));
        }
        integer(kv, gen, "top_k", p + "top_k");
        real(kv, gen, "top_p", p + "top_p");
        real(kv, gen, "min_p", p + "min_p");
        real(kv, gen, "xtc_probability", p + "xtc_probability");
        real(kv, gen, "xtc_threshold", p + "xtc_threshold");
        real(kv, gen, "temperature", p + "temp");
        integer(kv, gen, "penalty_last_n", p + "penalty_last_n");
        real(kv, gen, gen.has("penalty_repeat") ? "penalty_repeat" : "repetition_penalty", p + "penalty_repeat");
        integer(kv, gen, "mirostat", p + "mirostat");
        real(kv, gen, "mirostat_tau", p + "mirostat_tau");
        real(kv, gen, "mirostat_eta", p + "mirostat_eta");
    }

    private static void integer(KeyValues kv, Json.Obj gen, String field, String key) {
        if (gen.has(field)) {
            kv.i32(key, gen.getInt(field));
        }
    }

    private static void real(KeyValues kv, Json.Obj gen, String field, String key) {
        if (gen.has(field)) {
            kv.f32(key, gen.getDouble(field));
        }
    }

    /**
     * {@code general.name}, {@code version}, {@code organization}, {@code finetune},
     * {@code basename} and {@code size_label}, in gguf-py's order.
     *
     * @param dirName     the model directory's name
     * @param nameOrPath  {@code config.json}'s {@code _name_or_path}, or {@code null}
     * @param totalParams the number of values in all the file's tensors
     */
    static void putNaming(KeyValues kv, String dirName, String nameOrPath, long totalParams) {
        String name = null;
        String organization = null;
        String basename = null;
        String finetune = null;
        String version = null;
        String sizeLabel = null;
        List<String> ids = new ArrayList<>();
        if (nameOrPath != null && nameOrPath.chars().filter(c -> c == '/').count() <= 1) {
            ids.add(nameOrPath);
        }
        ids.add(dirName);
        for (String id : ids) {
            Components c = components(id, totalParams);
            name = name != null || c.fullName() == null ? name : title(c.fullName());
            organization = organization != null || c.organization() == null ? organization : title(c.organization());
            basename = basename != null ? basename : c.basename();
            finetune = finetune != null ? finetune : c.finetune();
            version = version != null ? version : c.version();
            sizeLabel = sizeLabel != null ? sizeLabel : c.sizeLabel();
        }
        kv.string("general.name", name);
        putIfSet(kv, "general.version", version);
        putIfSet(kv, "general.organization", organization);
        putIfSet(kv, "general.finetune", finetune);
        putIfSet(kv, "general.basename", basename);
        if (sizeLabel == null && totalParams > 0) {
            sizeLabel = sizeLabel(totalParams);
        }
        putIfSet(kv, "general.size_label", sizeLabel);
    }

    private static void putIfSet(KeyValues kv, String key, String value) {
        if (value != null) {
            kv.string(key, value);
        }
    }

    /** gguf-py's {@code Metadata.get_model_id_components} for a model of {@code totalParams} values. */
    static Components components(String modelId, long totalParams) {
        if (modelId.contains(" ")) {
            return new Components(modelId, null, null, null, null, null);
        }
        int slash = modelId.indexOf('/');
        String organization = slash < 0 ? null : modelId.substring(0, slash);
        String fullName = slash < 0 ? modelId : modelId.substring(slash + 1);
        if (organization != null && organization.startsWith(".")) {
            organization = null;
        }
        List<String> parts = new ArrayList<>();
        for (String p : fullName.split("-", -1)) {
            if (!p.isEmpty()) {
                parts.add(p);
            }
        }
        List<Set<String>> kinds = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            Set<String> kind = new HashSet<>();
            kinds.add(kind);
            String part = parts.get(i);
            if (VERSION.matcher(part).matches()) {
                kind.add("version");
            } else if (QUANT_TYPE.matcher(part).matches()) {
                kind.add("type");
                parts.set(i, part.toUpperCase(Locale.ROOT));
            } else if (i > 0 && SIZE.matcher(part).matches()) {
                parts.set(i, sizePart(part, kind, totalParams));
                if (kind.isEmpty()) {
                    kind.add("size_label");
                }
            } else if (i > 0 && FINETUNE.matcher(part).matches()) {
                kind.add("finetune");
            }
        }
        boolean numericSize = false;
        for (int i = 0; i < parts.size(); i++) {
            numericSize |= kinds.get(i).contains("size_label") && parts.get(i).chars().anyMatch(Character::isDigit);
        }
        if (numericSize) {
            for (int i = 0; i < parts.size(); i++) {
                if (kinds.get(i).contains("size_label") && parts.get(i).chars().allMatch(Character::isLetter)) {
                    kinds.get(i).remove("size_label");
                }
            }
        }
        boolean atStart = true;
        for (int i = 0; i < parts.size(); i++) {
            Set<String> kind = kinds.get(i);
            if (atStart && ((kind.isEmpty() && Character.isLetter(parts.get(i).charAt(0))) || kind.contains("version"))) {
                kind.add("basename");
            } else {
                atStart = false;
                if (kind.isEmpty()) {
                    kind.add("finetune");
                }
            }
        }
        for (int i = parts.size() - 1; i >= 0; i--) {
            Set<String> kind = kinds.get(i);
            if (!kind.contains("basename") || kind.size() <= 1) {
                break;
            }
            kind.remove("basename");
        }
        String basename = join(parts, kinds, "basename", null);
        String sizeLabel = String.join("-", new LinkedHashSet<>(select(parts, kinds, "size_label", null)));
        String finetune = join(parts, kinds, "finetune", null);
        String version = join(parts, kinds, "version", "basename");
        if (sizeLabel.isEmpty() && finetune == null && version == null) {
            basename = null;
        }
        return new Components(fullName, organization, basename, finetune, version,
                sizeLabel.isEmpty() ? null : sizeLabel);
    }

    /**
     * A size-like part, normalised ({@code 7b} → {@code 7B}, {@code 7b1} → {@code 7.1B}); one far
     * from the parameter count (a context length, say) is marked a fine-tune and lower-cased.
     */
    private static String sizePart(String part, Set<String> kind, long totalParams) {
        String p = part.replace('_', '.');
        int n = p.length();
        if (Character.isDigit(p.charAt(n - 1))) {
            p = p.substring(0, n - 2) + "." + p.charAt(n - 1) + p.charAt(n - 2);
        }
        n = p.length();
        char last = p.charAt(n - 1);
        if (n > 1 && Character.isDigit(p.charAt(n - 2)) && "kmbt".indexOf(last) >= 0) {
            last = Character.toUpperCase(last);
            p = p.substring(0, n - 1) + last;
        }
        String number = p.substring(0, n - 1);
        if (totalParams != 0 && PLAIN_NUMBER.matcher(number).matches()) {
            double labelParams = Double.parseDouble(number) * Math.pow(1000, " KMBT".indexOf(last));
            if (Math.abs(labelParams - totalParams) > Math.floorDiv(7 * totalParams, 8)) {
                kind.add("finetune");
                p = p.substring(0, n - 1) + Character.toLowerCase(last);
            }
        }
        return p;
    }

    private static List<String> select(List<String> parts, List<Set<String>> kinds, String kind, String unless) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            if (kinds.get(i).contains(kind) && (unless == null || !kinds.get(i).contains(unless))) {
                out.add(parts.get(i));
            }
        }
        return out;
    }

    private static String join(List<String> parts, List<Set<String>> kinds, String kind, String unless) {
        String s = String.join("-", select(parts, kinds, kind, unless));
        return s.isEmpty() ? null : s;
    }

    /**
     * gguf-py's {@code Metadata.id_to_title}: dashes become spaces and each all-lower-case word
     * is title-cased, except versions ({@code v1.0}) and words starting with a digit.
     */
    static String title(String id) {
        List<String> words = new ArrayList<>();
        for (String w : id.strip().replace('-', ' ').split("\\s+")) {
            if (!w.isEmpty()) {
                words.add(isLower(w) && !NO_TITLE.matcher(w).matches() ? pythonTitle(w) : w);
            }
        }
        return String.join(" ", words);
    }

    /** Python's {@code str.islower}: some cased character, and none upper or title case. */
    private static boolean isLower(String w) {
        boolean cased = false;
        for (int i = 0; i < w.length(); i++) {
            char c = w.charAt(i);
            if (Character.isUpperCase(c) || Character.isTitleCase(c)) {
                return false;
            }
            cased |= Character.isLowerCase(c);
        }
        return cased;
    }

    /** Python's {@code str.title}: a cased character after an uncased one is title-cased, the others lower-cased. */
    private static String pythonTitle(String w) {
        StringBuilder b = new StringBuilder(w.length());
        boolean previousCased = false;
        for (int i = 0; i < w.length(); i++) {
            char c = w.charAt(i);
            b.append(previousCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
            previousCased = Character.isUpperCase(c) || Character.isLowerCase(c) || Character.isTitleCase(c);
        }
        return b.toString();
    }

    /**
     * gguf-py's {@code size_label} for a dense model: the parameter count in K, M, B or T with
     * at least two significant digits ({@code 2828736} → {@code 2.8M}).
     */
    static String sizeLabel(long params) {
        double scaled;
        String suffix;
        if (params > 1e12) {
            scaled = params * 1e-12;
            suffix = "T";
        } else if (params > 1e9) {
            scaled = params * 1e-9;
            suffix = "B";
        } else if (params > 1e6) {
            scaled = params * 1e-6;
            suffix = "M";
        } else {
            scaled = params * 1e-3;
            suffix = "K";
        }
        String whole = Long.toString((long) Math.rint(scaled)).replaceFirst("^0+", "");
        int fix = Math.max(2 - whole.length(), 0);
        return new BigDecimal(scaled).setScale(fix, RoundingMode.HALF_EVEN).toPlainString() + suffix;
    }
}
