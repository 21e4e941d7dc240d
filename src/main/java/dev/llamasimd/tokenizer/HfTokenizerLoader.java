package dev.llamasimd.tokenizer;

import dev.llamasimd.io.HfModelDir;
import dev.llamasimd.io.Json;
import dev.llamasimd.io.ModelFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Builds a tokenizer from a Hugging Face directory: {@code tokenizer.json} (a BPE model with its vocab,
 * merges and added tokens, and the steps {@link HfPipeline} reads) and, when present,
 * {@code tokenizer_config.json} (BOS/EOS, {@code add_bos_token}, the chat template), {@code config.json}
 * and {@code generation_config.json} (vocabulary size and end-of-generation ids) and
 * {@code chat_template.jinja}. Two shapes are supported, which cover the Llama family and most others:
 * byte-level BPE (a {@code ByteLevel} pre-tokenizer, optionally after {@code Split} and {@code Digits}) and
 * SentencePiece-style BPE over {@code ▁}-escaped text (the {@code Prepend}/{@code Replace} normalizers or a
 * {@code Metaspace} pre-tokenizer, usually with {@code byte_fallback}). Added tokens marked special are control
 * tokens, the others user-defined, as llama.cpp's converter makes them. Errors name the file and the key.
 */
final class HfTokenizerLoader {
    static final String TOKENIZER_JSON = "tokenizer.json";
    static final String CHAT_TEMPLATE_FILE = "chat_template.jinja";

    /** The token table read from {@code model.vocab} and {@code added_tokens}, by id. */
    private record Table(String[] pieces, TokenType[] types, boolean[] lstrip, boolean[] rstrip, TokenIndex byText) {}

    private final Path dir;
    private final Path file;
    private final Json.Obj root;
    private final Json.Obj model;
    private final Json.Obj tokConfig;
    private final Json.Obj config;
    private final Json.Obj genConfig;

    private HfTokenizerLoader(Path dir) {
        this.dir = dir;
        this.file = dir.resolve(TOKENIZER_JSON);
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(dir, "no " + TOKENIZER_JSON + ": cannot build the tokenizer of this directory");
        }
        this.root = Json.parseObject(file);
        this.model = root.getObject("model");
        this.tokConfig = optional(dir.resolve(HfModelDir.TOKENIZER_CONFIG));
        this.config = optional(dir.resolve(HfModelDir.CONFIG));
        this.genConfig = optional(dir.resolve(HfModelDir.GENERATION_CONFIG));
    }

    static Tokenizer load(Path dir) {
        return new HfTokenizerLoader(dir).load();
    }

    private Tokenizer load() {
        checkModel();
        HfPipeline pipeline = HfPipeline.read(root, file);
        Table table = table();
        int unk = model.has("unk_token") ? table.byText().get(model.getString("unk_token")) : -1;
        if (unk >= 0) {
            table.types()[unk] = TokenType.UNKNOWN;
        }
        SpecialIds ids = specialIds(table, pipeline);
        Vocabulary vocab = new Vocabulary(table.pieces(), table.types(), table.lstrip(), table.rstrip(), table.byText());
        return new BpeTokenizer(vocab, bpe(vocab, pipeline, unk), ids, pipeline.form(), chatTemplate());
    }

    private void checkModel() {
        String type = model.optString("type", "BPE");
        if (!type.equals("BPE")) {
            throw error(file, "model.type", "is '" + type + "', a model llama-simd does not support; supported: BPE");
        }
        for (String key : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
            if (model.has(key) && !model.getString(key).isEmpty()) {
                throw error(file, "model." + key, "is set, which llama-simd does not support");
            }
        }
        if (model.optDouble("dropout", 0) != 0) {
            throw error(file, "model.dropout", "is set, which llama-simd does not support");
        }
    }

    /**
     * The tokens by id: {@code model.vocab}, then {@code added_tokens} (which must agree with it), and
     * {@code [PADn]} placeholders for ids neither names, up to {@code config.json}'s {@code vocab_size};
     * a token with no text is {@code [EMPTY_n]}, as the GGUF loader names it.
     * Placeholders are at most as many as the tokens named, so that an id or a {@code vocab_size} far
     * beyond the file is refused before anything is allocated for it.
     */
    private Table table() {
        Json.Obj vocab = model.getObject("vocab");
        List<Json.Obj> added = root.has("added_tokens") ? root.getObjectList("added_tokens") : List.of();
        long limit = 2L * (vocab.keys().size() + added.size());
        int n = 0;
        for (String text : vocab.keys()) {
            n = Math.max(n, idEnd(file, "model.vocab." + text, vocab.getInt(text), limit));
        }
        for (int k = 0; k < added.size(); k++) {
            n = Math.max(n, idEnd(file, "added_tokens[" + k + "].id", added.get(k).getInt("id"), limit));
        }
        if (config != null) {
            n = Math.max(n, idEnd(config.file(), "vocab_size", config.optInt("vocab_size", 0) - 1, limit));
        }
        String[] pieces = new String[n];
        TokenType[] types = new TokenType[n];
        boolean[] lstrip = new boolean[n];
        boolean[] rstrip = new boolean[n];
        boolean byteFallback = model.optBoolean("byte_fallback", false);
        for (String text : vocab.keys()) {
            int id = vocab.getInt(text);
            if (id < 0) {
                throw error(file, "model.vocab." + text, "has the negative id " + id);
            }
            pieces[id] = text;
            types[id] = byteFallback && text.matches("<0x[0-9A-F]{2}>") ? TokenType.BYTE : TokenType.NORMAL;
        }
        for (int k = 0; k < added.size(); k++) {
            Json.Obj token = added.get(k);
            int id = token.getInt("id");
            String content = token.getString("content");
            if (id < 0 || pieces[id] != null && !pieces[id].equals(content)) {
                throw error(file, "added_tokens[" + k + "]", "gives id " + id + " to '" + content + "'"
                        + (id < 0 ? "" : ", which model.vocab gives to '" + pieces[id] + "'"));
            }
            pieces[id] = content;
            types[id] = token.optBoolean("special", false) ? TokenType.CONTROL : TokenType.USER_DEFINED;
            lstrip[id] = token.optBoolean("lstrip", false);
            rstrip[id] = token.optBoolean("rstrip", false);
        }
        for (int id = 0; id < n; id++) {
            if (pieces[id] == null) {
                pieces[id] = "[PAD" + id + "]";
                types[id] = TokenType.UNUSED;
            } else if (pieces[id].isEmpty()) {
                pieces[id] = "[EMPTY_" + id + "]";
            }
        }
        try {
            return new Table(pieces, types, lstrip, rstrip, new TokenIndex(pieces));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, e.getMessage());
        }
    }

    /** {@code id + 1}, refusing an id of {@code limit} or more: twice the tokens named (see {@link #table}). */
    private static int idEnd(Path file, String key, int id, long limit) {
        if (id >= limit) {
            throw error(file, key, "is " + (key.equals("vocab_size") ? id + 1 : id) + ", but only " + limit / 2
                    + " tokens are named: the ids up to it would be mostly placeholders");
        }
        return id + 1;
    }

    /**
     * BOS and EOS as tokenizer_config.json names them (else as the post-processor puts them, else
     * config.json's ids), whether to add them ({@code add_bos_token}, else whether the post-processor does),
     * and the end-of-generation set: EOS, config.json's and generation_config.json's {@code eos_token_id}s and
     * the tokens llama.cpp recognises by text ({@link GgufTokenizerLoader#EOG_TEXTS}, made control tokens).
     */
    private SpecialIds specialIds(Table table, HfPipeline pipeline) {
        int bos = tokenId(table, "bos_token", pipeline.bos(), "bos_token_id");
        int eos = tokenId(table, "eos_token", pipeline.eos(), "eos_token_id");
        boolean addBos = tokConfig != null && tokConfig.has("add_bos_token")
                ? tokConfig.getBoolean("add_bos_token") : pipeline.bos() != null;
        boolean addEos = tokConfig != null && tokConfig.has("add_eos_token")
                ? tokConfig.getBoolean("add_eos_token") : pipeline.eos() != null;
        if (addBos && bos < 0) {
            throw new ModelFormatException(file, "BOS is to be added but no BOS token is named");
        }
        if (addEos && eos < 0) {
            throw new ModelFormatException(file, "EOS is to be added but no EOS token is named");
        }
        int n = table.pieces().length;
        BitSet endOfGeneration = new BitSet(n);
        if (eos >= 0) {
            endOfGeneration.set(eos);
        }
        for (Json.Obj source : new Json.Obj[] {config, genConfig}) {
            if (source != null && source.has("eos_token_id")) {
                for (int id : ids(source, "eos_token_id")) {
                    if (id >= 0 && id < n) {
                        endOfGeneration.set(id);
                    }
                }
            }
        }
        for (String text : GgufTokenizerLoader.EOG_TEXTS) {
            int id = table.byText().get(text);
            if (id >= 0) {
                endOfGeneration.set(id);
                table.types()[id] = TokenType.CONTROL;
            }
        }
        return new SpecialIds(bos, eos, addBos, addEos, endOfGeneration);
    }

    private BpeModel bpe(Vocabulary vocab, HfPipeline pipeline, int unk) {
        MergeRanks ranks = MergeRanks.of(merges(), vocab.index());
        if (pipeline.byteLevel()) {
            if (pipeline.metaspace() != null || pipeline.prepend() || pipeline.escape()) {
                throw error(file, "pre_tokenizer", "mixes ByteLevel with ▁-escaping, which llama-simd does not support");
            }
            return new ByteLevelBpe(vocab, pipeline.preTokenizer(), ranks, model.optBoolean("ignore_merges", false));
        }
        if (pipeline.metaspace() == null && !pipeline.escape()) {
            throw error(file, "pre_tokenizer", "is neither ByteLevel nor Metaspace (and the normalizer does not escape"
                    + " spaces as ▁): llama-simd supports byte-level and SentencePiece-style BPE");
        }
        if (!pipeline.regexes().isEmpty()) {
            throw error(file, "pre_tokenizer", "splits by expressions before ▁-escaped BPE, which llama-simd does not support");
        }
        SentencePieceBpe.SpacePrefix prefix = pipeline.metaspace() != null ? pipeline.metaspace()
                : pipeline.prepend() ? SentencePieceBpe.SpacePrefix.ALWAYS : SentencePieceBpe.SpacePrefix.NONE;
        return SentencePieceBpe.byRanks(vocab, ranks, prefix, pipeline.metaspaceWords(),
                model.optBoolean("byte_fallback", false), unk, model.optBoolean("fuse_unk", false));
    }

    private List<String[]> merges() {
        List<Object> list = model.has("merges") ? model.getList("merges") : List.of();
        List<String[]> merges = new ArrayList<>(list.size());
        for (int k = 0; k < list.size(); k++) {
            String[] pair = switch (list.get(k)) {
                case String s -> MergeRanks.split(s);
                case List<?> l when l.size() == 2 && l.get(0) instanceof String a && l.get(1) instanceof String b ->
                        new String[] {a, b};
                default -> null;
            };
            if (pair == null) {
                throw error(file, "model.merges[" + k + "]", "is neither \"left right\" nor [left, right]");
            }
            merges.add(pair);
        }
        return merges;
    }

    /**
     * A special token's id: named in tokenizer_config.json (a string, or an object with {@code content}),
     * else by the post-processor, else config.json's {@code idKey} (when in the vocabulary); -1 if there is none.
     */
    private int tokenId(Table table, String key, String fromPipeline, String idKey) {
        String text = fromPipeline;
        if (tokConfig != null && tokConfig.has(key)) {
            text = tokConfig.get(key) instanceof String s ? s : tokConfig.getObject(key).getString("content");
        }
        if (text != null) {
            return table.byText().get(text);
        }
        if (config != null && config.has(idKey)) {
            int[] ids = ids(config, idKey);
            return ids.length > 0 && ids[0] >= 0 && ids[0] < table.pieces().length ? ids[0] : -1;
        }
        return -1;
    }

    /** An id key that holds one id or a list of them. */
    private static int[] ids(Json.Obj obj, String key) {
        if (obj.get(key) instanceof List<?> list) {
            return list.stream().mapToInt(v -> v instanceof Long l ? l.intValue() : -1).toArray();
        }
        return new int[] {obj.getInt(key)};
    }

    /** {@code chat_template.jinja}, else tokenizer_config.json's {@code chat_template} (the "default" of a list). */
    private String chatTemplate() {
        Path jinja = dir.resolve(CHAT_TEMPLATE_FILE);
        if (Files.isRegularFile(jinja)) {
            try {
                return Files.readString(jinja);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + jinja, e);
            }
        }
        if (tokConfig == null || !tokConfig.has("chat_template")) {
            return null;
        }
        if (tokConfig.get("chat_template") instanceof String s) {
            return s;
        }
        List<Json.Obj> named = tokConfig.getObjectList("chat_template");
        return named.stream().filter(t -> t.optString("name", "").equals("default")).findFirst()
                .or(() -> named.stream().findFirst()).map(t -> t.getString("template")).orElse(null);
    }

    private static Json.Obj optional(Path file) {
        return Files.isRegularFile(file) ? Json.parseObject(file) : null;
    }

    static ModelFormatException error(Path file, String key, String what) {
        return new ModelFormatException(file, "key '" + key + "' " + what);
    }
}
