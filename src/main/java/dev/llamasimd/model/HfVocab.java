package dev.llamasimd.model;

import dev.llamasimd.io.HfModelDir;
import dev.llamasimd.io.Json;
import dev.llamasimd.io.ModelFormatException;
import dev.llamasimd.tokenizer.Tokenizers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The {@code tokenizer.*} keys llama.cpp's {@code convert_hf_to_gguf.py} writes for a Llama
 * directory ({@code LlamaModel.set_vocab}), tried in its order:
 *
 * <ol>
 *   <li>{@code tokenizer.model} (SentencePiece): model {@code llama}, its pieces, scores and
 *       types, padded with {@code [PADn]} to {@code vocab_size};</li>
 *   <li>a {@code tokenizer.json} BPE with byte fallback and a {@code Sequence} decoder (Llama 2
 *       without {@code tokenizer.model}): model {@code llama} with every score -1000, as gguf-py's
 *       {@code LlamaHfVocab} writes it (lossy: llama.cpp then tokenizes by those flat scores);</li>
 *   <li>any other {@code tokenizer.json} BPE, byte-level (Llama 3, SmolLM, GPT-2 style): model
 *       {@code gpt2} with its tokens, types, merges and pre-tokenizer name
 *       ({@link BpePreTokenizers}).</li>
 * </ol>
 *
 * Then the special tokens as gguf-py's {@code SpecialVocab} finds them. A
 * directory with no tokenizer at all, which the script refuses, gets {@code tokenizer.ggml.model
 * = "none"} (a model run from token ids), with a warning.
 */
final class HfVocab {
    static final String TOKENIZER_JSON = "tokenizer.json";
    static final String TOKENIZER_MODEL = "tokenizer.model";
    private static final String T = "tokenizer.ggml.";

    /** {@code gguf.TokenType}. */
    private static final int NORMAL = 1;
    private static final int CONTROL = 3;
    private static final int USER_DEFINED = 4;
    private static final int UNUSED = 5;
    private static final int BYTE = 6;

    private static final Pattern BYTE_TOKEN = Pattern.compile("<0x[0-9A-Fa-f]{2}>");
    private static final String SPACE_MARK = "\u2581";
    /** The special-token attributes of transformers' tokenizers, in its order. */
    private static final List<String> SPECIAL_ATTRIBUTES = List.of("bos", "eos", "unk", "sep", "pad", "cls", "mask");

    private final Path dir;
    private final Json.Obj config;
    private final int vocabSize;
    private final KeyValues kv;
    private final Consumer<String> log;
    private final Map<String, Object> tokenizerConfig;

    private HfVocab(Path dir, Json.Obj config, int vocabSize, KeyValues kv, Consumer<String> log) {
        this.dir = dir;
        this.config = config;
        this.vocabSize = vocabSize;
        this.kv = kv;
        this.log = log;
        Path tc = dir.resolve(HfModelDir.TOKENIZER_CONFIG);
        this.tokenizerConfig = Files.isRegularFile(tc) ? Json.parseObject(tc).members() : null;
    }

    /**
     * Puts the tokenizer keys of the Llama directory {@code dir} into {@code kv}.
     *
     * @param vocabSize {@code config.json}'s {@code vocab_size}
     * @param log       receives a line for each way the result differs from a faithful tokenizer
     * @throws ModelFormatException naming the file and key at fault, or a tokenizer the script would refuse
     */
    static void put(Path dir, Json.Obj config, int vocabSize, KeyValues kv, Consumer<String> log) {
        new HfVocab(dir, config, vocabSize, kv, log).put();
    }

    private void put() {
        if (tokenizerConfig != null && tokenizerConfig.get("add_prefix_space") instanceof Boolean b) {
            kv.bool(T + "add_space_prefix", b);
        }
        Path json = dir.resolve(TOKENIZER_JSON);
        if (Files.isRegularFile(dir.resolve(TOKENIZER_MODEL))) {
            sentencePiece();
        } else if (!Files.isRegularFile(json)) {
            log.accept(dir + " has neither " + TOKENIZER_MODEL + " nor " + TOKENIZER_JSON
                    + ": the GGUF gets no vocabulary (tokenizer.ggml.model = none) and runs from token ids only");
            kv.string(T + "model", "none");
            return;
        } else {
            Json.Obj root = Json.parseObject(json);
            Json.Obj model = root.getObject("model");
            String type = model.optString("type", "");
            boolean llama3 = type.equals("BPE") && model.optBoolean("ignore_merges", false)
                    && !model.optBoolean("byte_fallback", true);
            Json.Obj decoder = root.optObject("decoder");
            if (!llama3 && type.equals("BPE") && model.optBoolean("byte_fallback", false)
                    && decoder != null && decoder.optString("type", "").equals("Sequence")) {
                llamaHf(root);
            } else {
                gpt2(root);
            }
        }
        if (vocabSize == 32016) {
            Specials codeLlama = new Specials(List.of("prefix", "suffix", "middle", "eot"), false, null);
            codeLlama.set("prefix", 32007L);
            codeLlama.set("suffix", 32008L);
            codeLlama.set("middle", 32009L);
            codeLlama.set("eot", 32010L);
            codeLlama.putInto();
        }
        if (vocabSize == 49152) {
            kv.bool(T + "add_bos_token", false);
        }
    }

    /** {@code _set_vocab_sentencepiece}. */
    private void sentencePiece() {
        List<SentencePieceModel.Piece> pieces = SentencePieceModel.read(dir.resolve(TOKENIZER_MODEL));
        int n = vocabSize;
        String[] tokens = new String[n];
        float[] scores = new float[n];
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = "[PAD" + i + "]";
            scores[i] = -10000f;
            types[i] = UNUSED;
        }
        for (int id = 0; id < pieces.size(); id++) {
            if (id >= n) {
                log.accept(TOKENIZER_MODEL + " has " + pieces.size() + " pieces; those from id " + id
                        + " are beyond vocab_size " + n + " and left out");
                break;
            }
            SentencePieceModel.Piece p = pieces.get(id);
            tokens[id] = p.text();
            scores[id] = p.score();
            types[id] = switch (p.type()) {
                case SentencePieceModel.UNKNOWN, SentencePieceModel.CONTROL, SentencePieceModel.UNUSED,
                     SentencePieceModel.BYTE -> p.type();
                default -> NORMAL;
            };
        }
        Path addedFile = dir.resolve("added_tokens.json");
        if (Files.isRegularFile(addedFile)) {
            Json.Obj added = Json.parseObject(addedFile);
            for (String text : added.keys()) {
                int id = added.getInt(text);
                if (id < n) {
                    tokens[id] = text;
                    scores[id] = -1000f;
                    types[id] = USER_DEFINED;
                }
            }
        }
        if (tokenizerConfig != null && tokenizerConfig.get("added_tokens_decoder") instanceof Map<?, ?> decoder) {
            for (Map.Entry<?, ?> e : decoder.entrySet()) {
                int id = Integer.parseInt((String) e.getKey());
                Map<?, ?> data = (Map<?, ?>) e.getValue();
                String text = (String) data.get("content");
                if (id >= n) {
                    continue;
                }
                if (Boolean.TRUE.equals(data.get("special")) || looksSpecial(text)) {
                    types[id] = CONTROL;
                } else {
                    text = text.replace(SPACE_MARK, " ");
                    types[id] = USER_DEFINED;
                }
                scores[id] = -1000f;
                tokens[id] = text;
            }
        }
        kv.string(T + "model", "llama").string(T + "pre", "default").strings(T + "tokens", List.of(tokens))
                .floats(T + "scores", scores).ints(T + "token_type", types);
        new Specials(SPECIAL_ATTRIBUTES, false, n).putInto();
    }

    /** {@code _set_vocab_llama_hf} ({@code gguf.LlamaHfVocab}): the vocabulary with flat scores. */
    private void llamaHf(Json.Obj root) {
        log.accept(TOKENIZER_JSON + " is a SentencePiece-style BPE and there is no " + TOKENIZER_MODEL
                + ": as convert_hf_to_gguf.py does, every score is written as -1000 and no merges, so llama.cpp"
                + " tokenizes the GGUF differently from the Hugging Face tokenizer; add tokenizer.model for an exact"
                + " vocabulary");
        Json.Obj vocab = root.getObject("model").getObject("vocab");
        Map<Integer, String> byId = new HashMap<>();
        Map<String, Integer> ids = new HashMap<>();
        for (String text : vocab.keys()) {
            byId.put(vocab.getInt(text), text);
            ids.put(text, vocab.getInt(text));
        }
        int base = vocab.keys().size();
        TreeMap<Integer, String> added = new TreeMap<>();
        for (Json.Obj t : addedTokens(root)) {
            byId.put(t.getInt("id"), t.getString("content"));
            ids.put(t.getString("content"), t.getInt("id"));
            added.put(t.getInt("id"), t.getString("content"));
        }
        Map<String, Integer> specials = transformersSpecialTokens(ids);
        Set<Integer> specialIds = new LinkedHashSet<>(specials.values());
        List<String> tokens = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        for (int id = 0; id < base; id++) {
            String text = byId.get(id);
            if (text == null) {
                throw new ModelFormatException(dir.resolve(TOKENIZER_JSON), "model.vocab has no token with id " + id
                        + " (it has " + base + " tokens)");
            }
            tokens.add(text);
            types.add(BYTE_TOKEN.matcher(text).matches() ? BYTE : specialIds.contains(id) ? CONTROL : NORMAL);
        }
        for (Map.Entry<Integer, String> e : added.tailMap(base).entrySet()) {
            tokens.add(e.getValue());
            types.add(specials.containsKey(e.getValue()) ? CONTROL : USER_DEFINED);
        }
        float[] scores = new float[tokens.size()];
        Arrays.fill(scores, -1000f);
        kv.string(T + "model", "llama").string(T + "pre", "default").strings(T + "tokens", tokens)
                .floats(T + "scores", scores).ints(T + "token_type", types.stream().mapToInt(Integer::intValue).toArray());
        new Specials(SPECIAL_ATTRIBUTES, false, tokens.size()).putInto();
    }

    /**
     * The special tokens a transformers Llama tokenizer has ({@code all_special_tokens}) and
     * their ids: the {@code *_token} entries and {@code additional_special_tokens} of
     * tokenizer_config.json, with LlamaTokenizer's defaults ({@code <unk>}, {@code <s>},
     * {@code </s>}) for a Llama tokenizer class that leaves them out.
     */
    private Map<String, Integer> transformersSpecialTokens(Map<String, Integer> ids) {
        Map<String, Object> tc = tokenizerConfig == null ? Map.of() : tokenizerConfig;
        boolean llamaClass = tc.get("tokenizer_class") instanceof String c && c.startsWith("Llama");
        Map<String, String> defaults = llamaClass ? Map.of("unk", "<unk>", "bos", "<s>", "eos", "</s>") : Map.of();
        List<String> texts = new ArrayList<>();
        for (String attr : SPECIAL_ATTRIBUTES) {
            String key = attr + "_token";
            String text = tc.containsKey(key) ? content(tc.get(key)) : defaults.get(attr);
            if (text != null) {
                texts.add(text);
            }
        }
        if (tc.get("additional_special_tokens") instanceof List<?> extra) {
            extra.stream().map(HfVocab::content).filter(s -> s != null).forEach(texts::add);
        }
        Integer unk = ids.get(tc.containsKey("unk_token") ? content(tc.get("unk_token")) : defaults.get("unk"));
        Map<String, Integer> specials = new LinkedHashMap<>();
        for (String text : texts) {
            Integer id = ids.getOrDefault(text, unk);
            if (id != null) {
                specials.putIfAbsent(text, id);
            }
        }
        return specials;
    }

    /** {@code _set_vocab_gpt2} ({@code get_vocab_base}): the vocabulary as it is, and its pre-tokenizer's name. */
    private void gpt2(Json.Obj root) {
        Path file = dir.resolve(TOKENIZER_JSON);
        Json.Obj model = root.getObject("model");
        String type = model.optString("type", "");
        if (!type.equals("BPE")) {
            throw new ModelFormatException(file, "key 'model.type' is '" + type
                    + "': convert writes byte-level BPE (model.type BPE) and SentencePiece vocabularies");
        }
        Json.Obj vocab = model.getObject("vocab");
        Map<Integer, String> byId = new HashMap<>();
        for (String text : vocab.keys()) {
            byId.put(vocab.getInt(text), text);
        }
        Map<String, Json.Obj> addedByText = new HashMap<>();
        for (Json.Obj t : addedTokens(root)) {
            byId.put(t.getInt("id"), t.getString("content"));
            addedByText.put(t.getString("content"), t);
        }
        int maxId = byId.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
        if (maxId >= vocabSize) {
            throw new ModelFormatException(file, "has token id " + maxId + ", but config.json's vocab_size is " + vocabSize);
        }
        String pre = preTokenizer(root);
        String[] tokens = new String[vocabSize];
        int[] types = new int[vocabSize];
        for (int id = 0; id < vocabSize; id++) {
            String text = byId.get(id);
            Json.Obj added = text == null ? null : addedByText.get(text);
            if (text == null) {
                tokens[id] = "[PAD" + id + "]";
                types[id] = UNUSED;
            } else if (added == null) {
                tokens[id] = text;
                types[id] = NORMAL;
            } else if (added.optBoolean("special", false) || looksSpecial(text)) {
                tokens[id] = text;
                types[id] = CONTROL;
            } else {
                tokens[id] = text.replace(SPACE_MARK, " ");
                types[id] = USER_DEFINED;
            }
        }
        kv.string(T + "model", "gpt2").string(T + "pre", pre).strings(T + "tokens", List.of(tokens))
                .ints(T + "token_type", types);
        new Specials(SPECIAL_ATTRIBUTES, true, null).putInto();
    }

    /**
     * {@code tokenizer.ggml.pre}: by the hash of the check text's ids, as the script finds it;
     * when that hash is not a known one (or llama-simd cannot run this tokenizer.json), by the
     * layout of the pre-tokenizer.
     */
    private String preTokenizer(Json.Obj root) {
        String hash = null;
        String why;
        try {
            hash = BpePreTokenizers.hash(Tokenizers.load(dir).encode(BpePreTokenizers.CHECK_TEXT, true, true));
            String name = BpePreTokenizers.byHash(hash);
            if (name != null) {
                return name;
            }
            why = "its check-text hash " + hash + " is not one convert_hf_to_gguf.py knows";
        } catch (RuntimeException e) {
            why = "llama-simd cannot run it to hash the check text (" + e.getMessage() + ")";
        }
        String name = BpePreTokenizers.byStructure(root);
        if (name == null) {
            throw new ModelFormatException(dir.resolve(TOKENIZER_JSON), "the BPE pre-tokenizer is not recognised: " + why
                    + ", and its steps " + BpePreTokenizers.steps(root) + " are none of the layouts llama-simd recognises"
                    + " (ByteLevel with GPT-2's expression, Llama 3's or Qwen2's Split then ByteLevel, single Digits then"
                    + " ByteLevel)");
        }
        log.accept(TOKENIZER_JSON + ": pre-tokenizer '" + name + "' identified by its layout, since " + why
                + " (the script would stop here)");
        return name;
    }

    private List<Json.Obj> addedTokens(Json.Obj root) {
        return root.has("added_tokens") ? root.getObjectList("added_tokens") : List.of();
    }

    /** gguf-py's {@code does_token_look_special}. */
    static boolean looksSpecial(String t) {
        return t.equals("<pad>") || t.equals("<mask>") || t.equals("<2mass>") || t.equals("[@BOS@]")
                || (t.startsWith("<|") && t.endsWith("|>")) || (t.startsWith("<\uff5c") && t.endsWith("\uff5c>"))
                || (t.startsWith("<unused") && t.endsWith(">"));
    }

    /** A token entry of tokenizer_config.json: a string, or an object with a string {@code content}; else {@code null}. */
    private static String content(Object entry) {
        return switch (entry) {
            case String s -> s;
            case Map<?, ?> m when m.get("content") instanceof String s -> s;
            case null, default -> null;
        };
    }

    /** Python's truth value of a parsed JSON value. */
    private static boolean truthy(Object v) {
        return switch (v) {
            case null -> false;
            case Boolean b -> b;
            case String s -> !s.isEmpty();
            case Map<?, ?> m -> !m.isEmpty();
            case List<?> l -> !l.isEmpty();
            case Number n -> n.doubleValue() != 0;
            default -> true;
        };
    }

    private static Object field(Object map, String key) {
        return map instanceof Map<?, ?> m ? m.get(key) : null;
    }

    /** {@code item.get('SpecialToken', {}).get('id')} of a TemplateProcessing item. */
    private static Object specialTokenId(Object item) {
        return field(field(item, "SpecialToken"), "id");
    }

    /**
     * gguf-py's {@code SpecialVocab}: merges, special token ids (tokenizer_config.json's
     * {@code *_token} texts matched to tokenizer.json's added tokens, then config.json's
     * {@code *_token_id}), whether to add BOS/EOS/SEP (read off the post-processor's template,
     * then tokenizer_config.json), the chat template and the normalizer's flags, written in
     * that order with the quirks of the original (a template whose pair form puts the EOS text
     * between A and B sets {@code add_sep_token}).
     */
    private final class Specials {
        private final List<String> types;
        private final boolean loadMerges;
        private final Integer nVocab;
        private final List<String> merges = new ArrayList<>();
        private final Map<String, Long> ids = new LinkedHashMap<>();
        private final Map<String, Boolean> add = new LinkedHashMap<>();
        private Object chatTemplate;
        private Boolean lowercase;
        private Boolean stripAccents;

        Specials(List<String> types, boolean loadMerges, Integer nVocab) {
            this.types = new ArrayList<>(types);
            this.loadMerges = loadMerges;
            this.nVocab = nVocab;
            fromTokenizerJson();
            fromConfigJson();
            if (loadMerges && merges.isEmpty()) {
                mergesTxt();
            }
        }

        /** {@code _set_special_token}: the first id found for a type stays. */
        void set(String type, Object id) {
            if (!(id instanceof Long tid)) {
                return;
            }
            if (tid < 0) {
                throw new ModelFormatException(dir, "invalid value for special token type " + type + ": " + tid);
            }
            if (nVocab == null || tid < nVocab) {
                ids.putIfAbsent(type, tid);
            } else {
                log.accept("special token type " + type + ", id " + tid + " is out of range (vocabulary of " + nVocab
                        + "), skipped");
            }
        }

        private void fromTokenizerJson() {
            Path file = dir.resolve(TOKENIZER_JSON);
            Map<String, Object> tokenizer = Files.isRegularFile(file) ? Json.parseObject(file).members() : null;
            List<?> addedTokens = List.of();
            if (tokenizer != null) {
                if (loadMerges) {
                    readMerges(file, field(tokenizer.get("model"), "merges"));
                }
                if (truthy(tokenizer.get("normalizer"))) {
                    normalizer(tokenizer.get("normalizer"));
                }
                if (tokenizer.get("added_tokens") instanceof List<?> l) {
                    addedTokens = l;
                }
            }
            Map<String, Object> tc = tokenizerConfig == null ? null : new HashMap<>(tokenizerConfig);
            if (truthy(tokenizer)) {
                postProcessor(tokenizer.get("post_processor"), tc);
            }
            if (!truthy(tc)) {
                return;
            }
            chatTemplate = tc.containsKey("chat_template") ? tc.get("chat_template") : chatTemplateFiles();
            if (!(chatTemplate == null || chatTemplate instanceof String || chatTemplate instanceof List)) {
                log.accept("bad type for chat_template in " + HfModelDir.TOKENIZER_CONFIG + ", ignored");
                chatTemplate = null;
            }
            for (String type : types) {
                if (tc.get("add_" + type + "_token") instanceof Boolean b) {
                    add.put(type, b);
                }
                String text = content(tc.get(type + "_token"));
                if (text != null) {
                    Object id = null;
                    for (Object t : addedTokens) {
                        if (text.equals(field(t, "content"))) {
                            id = field(t, "id");
                            break;
                        }
                    }
                    set(type, id);
                }
            }
        }

        private void readMerges(Path file, Object list) {
            if (!(list instanceof List<?> l) || l.isEmpty()) {
                return;
            }
            for (Object m : l) {
                switch (m) {
                    case String s when l.getFirst() instanceof String -> merges.add(s);
                    case List<?> pair when l.getFirst() instanceof List<?> && pair.size() == 2
                            && pair.get(0) instanceof String a && pair.get(1) instanceof String b ->
                            merges.add(escapeSpaces(a) + " " + escapeSpaces(b));
                    default -> throw new ModelFormatException(file, "key 'model.merges' is in an unknown format: " + m);
                }
            }
        }

        private static String escapeSpaces(String part) {
            return part.replace(' ', (char) (' ' + 256));
        }

        private void normalizer(Object n) {
            switch (String.valueOf(field(n, "type"))) {
                case "Lowercase" -> lowercase = true;
                case "StripAccents" -> stripAccents = true;
                case "BertNormalizer" -> {
                    Map<?, ?> m = (Map<?, ?>) n;
                    if (m.containsKey("lowercase")) {
                        lowercase = truthy(m.get("lowercase"));
                    }
                    if (m.containsKey("strip_accents")) {
                        stripAccents = truthy(m.get("strip_accents"));
                    }
                }
                case "Sequence" -> {
                    if (field(n, "normalizers") instanceof List<?> inner) {
                        inner.forEach(this::normalizer);
                    }
                }
                default -> { }
            }
        }

        /** The special tokens and add flags the post-processor implies (gguf-py's "crude parsing"). */
        private void postProcessor(Object postProcessor, Map<String, Object> tc) {
            Object bos = tc == null ? null : tc.get("bos_token");
            Object cls = tc == null ? null : tc.get("cls_token");
            Object eos = tc == null ? null : tc.get("eos_token");
            Object sep = tc == null ? null : tc.get("sep_token");
            if (!truthy(bos) && truthy(cls) && truthy(tc)) {
                tc.put("bos_token", bos = cls);
            }
            if (!truthy(eos) && truthy(sep) && truthy(tc)) {
                tc.put("eos_token", eos = sep);
            }
            if (!truthy(postProcessor)) {
                return;
            }
            Object listed = field(postProcessor, "processors");
            List<?> processors = listed instanceof List<?> l ? l : List.of(postProcessor);
            for (Object p : processors) {
                String type = String.valueOf(field(p, "type"));
                if (type.equals("RobertaProcessing")) {
                    add.put("bos", true);
                    add.put("eos", true);
                    add.put("sep", true);
                    if (!truthy(cls) && truthy(tc)) {
                        cls = field(p, "cls") instanceof List<?> c ? c.getFirst() : bos;
                        tc.put("cls_token", cls);
                    }
                    if (!truthy(sep) && truthy(tc)) {
                        sep = field(p, "sep") instanceof List<?> s ? s.getFirst() : eos;
                        tc.put("sep_token", sep);
                    }
                } else if (type.equals("TemplateProcessing")) {
                    List<?> single = field(p, "single") instanceof List<?> l ? l : List.of();
                    List<?> pair = field(p, "pair") instanceof List<?> l ? l : List.of();
                    Object first = null;
                    Object last = null;
                    if (single.size() > 1) {
                        first = specialTokenId(single.getFirst());
                        if (truthy(first)) {
                            if (!truthy(tc)) {
                                bos = first;
                            } else if (!first.equals(bos) && !first.equals(cls)) {
                                if (!truthy(bos)) {
                                    tc.put("bos_token", bos = first);
                                }
                                if (!truthy(cls)) {
                                    tc.put("cls_token", cls = first);
                                }
                            }
                            add.put("bos", first.equals(bos) || first.equals(cls));
                        }
                        last = specialTokenId(single.getLast());
                        if (truthy(last)) {
                            if (!truthy(tc)) {
                                eos = last;
                            } else if (!last.equals(eos)) {
                                if (!types.contains("eot")) {
                                    types.add("eot");
                                    tc.put("eot_token", eos);
                                } else if (!types.contains("eom")) {
                                    types.add("eom");
                                    tc.put("eom_token", eos);
                                }
                                tc.put("eos_token", eos = last);
                            }
                            add.put("eos", last.equals(eos));
                        }
                    }
                    if (!pair.isEmpty()) {
                        pairTemplate(pair, first, last, sep, eos, tc);
                    }
                }
            }
        }

        /** Whether the pair template puts a separator between A and B ({@code add_sep_token}). */
        private void pairTemplate(List<?> pair, Object first, Object last, Object sep, Object eos, Map<String, Object> tc) {
            int start = truthy(first) && first.equals(specialTokenId(pair.getFirst())) ? 1 : 0;
            int stop = truthy(last) && last.equals(specialTokenId(pair.getLast())) ? pair.size() - 1 : pair.size();
            List<?> inner = start < stop ? pair.subList(start, stop) : List.of();
            if (inner.isEmpty() || !"A".equals(field(field(inner.getFirst(), "Sequence"), "id"))
                    || !"B".equals(field(field(inner.getLast(), "Sequence"), "id")) || inner.size() <= 2) {
                return;
            }
            List<?> middle = inner.subList(1, inner.size() - 1);
            boolean addSep = false;
            Object entry = specialTokenId(middle.getFirst());
            if (truthy(entry) && (entry.equals(sep) || entry.equals(eos)) && !truthy(last)) {
                addSep = true;
            }
            if (middle.size() == 2) {
                entry = specialTokenId(middle.get(1));
                if (truthy(entry) && (entry.equals(sep) || entry.equals(eos))) {
                    addSep = true;
                }
            }
            add.put("sep", addSep);
            if (addSep && !truthy(sep) && truthy(tc)) {
                tc.put("sep_token", eos);
            }
        }

        /** {@code chat_template.jinja} (with {@code additional_chat_templates/*.jinja}), else {@code chat_template.json}. */
        private Object chatTemplateFiles() {
            Path jinja = dir.resolve("chat_template.jinja");
            Path json = dir.resolve("chat_template.json");
            if (Files.isRegularFile(jinja)) {
                String template = read(jinja);
                List<Path> more = list(dir.resolve("additional_chat_templates"));
                if (more.isEmpty()) {
                    return template;
                }
                List<Object> named = new ArrayList<>();
                named.add(Map.of("name", "default", "template", template));
                for (Path p : more) {
                    String file = p.getFileName().toString();
                    named.add(Map.of("name", file.substring(0, file.length() - ".jinja".length()), "template", read(p)));
                }
                return named;
            }
            return Files.isRegularFile(json) ? Json.parseObject(json).get("chat_template") : null;
        }

        private void fromConfigJson() {
            for (String type : types) {
                Object id = config.get(type + "_token_id");
                if (id == null && config.get("text_config") instanceof Map<?, ?> text) {
                    id = text.get(type + "_token_id");
                }
                set(type, id);
            }
        }

        private void mergesTxt() {
            Path file = dir.resolve("merges.txt");
            if (!Files.isRegularFile(file)) {
                return;
            }
            List<String> lines = List.of(read(file).split("\n", -1));
            int first = !lines.isEmpty() && lines.getFirst().strip().startsWith("#") ? 1 : 0;
            for (String line : lines.subList(first, lines.size())) {
                String[] parts = line.strip().split("\\s+", 4);
                if (parts.length == 2) {
                    merges.add(parts[0] + " " + parts[1]);
                } else if (!line.isBlank()) {
                    log.accept("merges.txt: malformed line '" + line + "' ignored");
                }
            }
        }

        /** {@code SpecialVocab.add_to_gguf}. */
        void putInto() {
            if (!merges.isEmpty()) {
                kv.strings(T + "merges", merges);
            } else if (loadMerges) {
                log.accept("the tokenizer has no merges: the GGUF's byte-level BPE will not merge");
            }
            Map<String, String> idKeys = Map.of("bos", "bos_token_id", "eos", "eos_token_id", "unk", "unknown_token_id",
                    "sep", "seperator_token_id", "pad", "padding_token_id", "mask", "mask_token_id",
                    "eot", "eot_token_id", "eom", "eom_token_id");
            ids.forEach((type, id) -> {
                if (idKeys.containsKey(type)) {
                    kv.u32(T + idKeys.get(type), id);
                }
            });
            add.forEach((type, value) -> {
                if (Set.of("bos", "eos", "sep").contains(type)) {
                    kv.bool(T + "add_" + type + "_token", value);
                }
            });
            switch (chatTemplate) {
                case String s -> kv.string("tokenizer.chat_template", s);
                case List<?> named -> namedTemplates(named);
                case null, default -> { }
            }
            if (lowercase != null) {
                kv.bool(T + "normalizer.lowercase", lowercase);
            }
            if (stripAccents != null) {
                kv.bool(T + "normalizer.strip_accents", stripAccents);
            }
        }

        /** A list of named templates: "default" is the chat template, each other one {@code tokenizer.chat_template.NAME}. */
        private void namedTemplates(List<?> named) {
            String fallback = null;
            Set<String> names = new LinkedHashSet<>();
            for (Object choice : named) {
                String name = String.valueOf(field(choice, "name") == null ? "" : field(choice, "name"))
                        .replaceAll("[^A-Za-z0-9]", "_");
                if (!name.isEmpty() && field(choice, "template") instanceof String template) {
                    if (name.equals("default")) {
                        fallback = template;
                    } else {
                        names.add(name);
                        kv.string("tokenizer.chat_template." + name, template);
                    }
                }
            }
            kv.strings("tokenizer.chat_templates", List.copyOf(names));
            if (fallback != null) {
                kv.string("tokenizer.chat_template", fallback);
            }
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** The {@code .jinja} files of a directory in name order, or none when it does not exist. */
    private static List<Path> list(Path folder) {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(folder)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".jinja")).sorted(Comparator.naturalOrder()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + folder, e);
        }
    }
}
