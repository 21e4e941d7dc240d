package dev.llamasimd.model;

import dev.llamasimd.io.GgufFile;
import dev.llamasimd.io.GgufWriter;
import dev.llamasimd.kernels.TypeKernels;
import dev.llamasimd.kernels.Rope;
import dev.llamasimd.tensor.FileType;
import dev.llamasimd.tensor.GgmlType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import java.util.stream.Collectors;

/**
 * GGUF files of a real model's shape with random weights, so that anyone can benchmark without
 * downloading a model. Every matrix holds normal(0, {@value #WEIGHT_STD}) values, every norm is
 * 1, and Llama 3 shapes carry the {@code rope_freqs.weight} factors llama.cpp's converter writes.
 * The tokenizer section is a byte-level BPE vocabulary without merges (the 256 GPT-2 byte
 * characters, filler tokens {@code <|synth_N|>}, then BOS and EOS), so the file loads as a
 * complete model and any text tokenizes to bytes.
 *
 * <p>Files are written row by row ({@link GgufWriter#writeTensorRows}), so a 5 GB file needs
 * no more heap than a small one, and into a temporary file renamed into place at the end.
 * Generation is deterministic: each tensor draws from its own generator, seeded from the seed
 * and the tensor's name, so the same seed gives the same bytes whatever else the file holds.
 *
 * <pre>{@code
 * SyntheticModel.write(SyntheticModel.shape("llama-3.2-1b"), GgmlType.Q8_0, 42,
 *         Path.of("/tmp/llama-3.2-1b-Q8_0.gguf"), false, SyntheticModel.Progress.NONE);
 * }</pre>
 */
public final class SyntheticModel {
    /** The standard deviation of the random weights. */
    public static final float WEIGHT_STD = 0.02f;

    /** The name of the shape built from explicit hyper-parameters ({@link Shape#custom}). */
    public static final String CUSTOM = "custom";

    /** The types the matrices can be written in; norms and RoPE factors are always F32. */
    public static final List<GgmlType> TYPES = TypeKernels.types();

    /** Llama 3.1/3.2 RoPE scaling, as in their {@code config.json}. */
    private static final RopeScaling.Llama3 LLAMA3_ROPE = new RopeScaling.Llama3(32f, 1f, 4f, 8192);

    /** Meta Llama 3.2 1B: 1.24 B parameters, tied embeddings. */
    public static final Shape LLAMA_3_2_1B =
            new Shape("llama-3.2-1b", 2048, 16, 32, 8, 8192, 128256, 131072, true, 500000f, 1e-5f, LLAMA3_ROPE);

    /** TinyLlama 1.1B (v1.0 chat): 1.10 B parameters, separate output matrix. */
    public static final Shape TINYLLAMA_1_1B =
            new Shape("tinyllama-1.1b", 2048, 22, 32, 4, 5632, 32000, 2048, false, 10000f, 1e-5f, null);

    /** Meta Llama 3.2 3B: 3.21 B parameters, tied embeddings. */
    public static final Shape LLAMA_3_2_3B =
            new Shape("llama-3.2-3b", 3072, 28, 24, 8, 8192, 128256, 131072, true, 500000f, 1e-5f, LLAMA3_ROPE);

    /** Qwen2.5 0.5B: 0.49 B parameters, q/k/v biases, tied embeddings. */
    public static final Shape QWEN2_5_0_5B = new Shape("qwen2.5-0.5b", Architecture.QWEN2, 896, 24, 14, 2, 64, 4864,
            151936, 32768, true, 1000000f, 1e-6f, null, 0);

    /** Mistral 7B v0.1: 7.24 B parameters, sliding window of 4096 (arch llama in GGUF). */
    public static final Shape MISTRAL_7B = new Shape("mistral-7b", Architecture.MISTRAL, 4096, 32, 32, 8, 128, 14336,
            32000, 32768, false, 10000f, 1e-5f, null, 4096);

    /** Gemma 2B: 2.51 B parameters, head size 256 (not dim / heads), one KV head, tied embeddings. */
    public static final Shape GEMMA_2B = new Shape("gemma-2b", Architecture.GEMMA, 2048, 18, 8, 1, 256, 16384,
            256000, 8192, true, 10000f, 1e-6f, null, 0);

    /** Phi-3 mini (4k): 3.82 B parameters, fused qkv and gate-up matrices. */
    public static final Shape PHI_3_MINI = new Shape("phi-3-mini", Architecture.PHI3, 3072, 32, 32, 32, 96, 8192,
            32064, 4096, false, 10000f, 1e-5f, null, 0);

    /** The named shapes. */
    public static final List<Shape> SHAPES =
            List.of(LLAMA_3_2_1B, TINYLLAMA_1_1B, LLAMA_3_2_3B, QWEN2_5_0_5B, MISTRAL_7B, GEMMA_2B, PHI_3_MINI);

    /** The 256 byte tokens, BOS and EOS. */
    static final int MIN_VOCAB = 258;

    /** ggml's {@code general.quantization_version}, which llama.cpp's converter always writes. */
    private static final int QUANTIZATION_VERSION = 2;

    /** llama.cpp's token types. */
    private static final int TOKEN_NORMAL = 1;
    private static final int TOKEN_CONTROL = 3;

    private SyntheticModel() {}

    /**
     * The hyper-parameters of a model of one of llama-simd's families.
     *
     * @param name          the shape's name ({@value #CUSTOM} for one built from flags)
     * @param family        its family: the GGUF architecture, fused matrices, biases
     * @param headDim       values per head (Gemma's is not {@code dim / heads})
     * @param ffnDim        the gated MLP's inner size
     * @param ropeScaling   Llama 3 scaling, written as {@code rope_freqs.weight}; {@code null} for none
     * @param slidingWindow positions a query sees, 0 for all
     */
    public record Shape(
            String name,
            Architecture family,
            int dim,
            int layers,
            int heads,
            int kvHeads,
            int headDim,
            int ffnDim,
            int vocabSize,
            int contextLength,
            boolean tiedEmbeddings,
            float ropeBase,
            float rmsEps,
            RopeScaling.Llama3 ropeScaling,
            int slidingWindow) {

        /** A Llama shape with {@code dim / heads} values per head and no window. */
        public Shape(String name, int dim, int layers, int heads, int kvHeads, int ffnDim, int vocabSize,
                     int contextLength, boolean tiedEmbeddings, float ropeBase, float rmsEps,
                     RopeScaling.Llama3 ropeScaling) {
            this(name, Architecture.LLAMA, dim, layers, heads, kvHeads, dim / Math.max(heads, 1), ffnDim, vocabSize,
                    contextLength, tiedEmbeddings, ropeBase, rmsEps, ropeScaling, 0);
        }

        /** @throws IllegalArgumentException for hyper-parameters no Llama model can have */
        public Shape {
            positive("dim", dim);
            positive("layers", layers);
            positive("heads", heads);
            positive("kv-heads", kvHeads);
            positive("ffn", ffnDim);
            positive("context", contextLength);
            positive("head dim", headDim);
            if ((family == Architecture.LLAMA && dim != heads * headDim) || headDim % 2 != 0) {
                throw new IllegalArgumentException("dim " + dim + " must be an even multiple of the head count " + heads
                        + " (each head has dim/heads values, rotated in pairs)");
            }
            if (slidingWindow < 0) {
                throw new IllegalArgumentException("sliding window " + slidingWindow + " must be ≥ 0");
            }
            if (heads % kvHeads != 0) {
                throw new IllegalArgumentException("head count " + heads + " is not a multiple of the KV head count " + kvHeads);
            }
            if (vocabSize < MIN_VOCAB) {
                throw new IllegalArgumentException("vocab " + vocabSize + " is below " + MIN_VOCAB
                        + " (256 byte tokens, BOS and EOS)");
            }
            if (!(ropeBase > 0) || !(rmsEps > 0)) {
                throw new IllegalArgumentException("rope base " + ropeBase + " and rms eps " + rmsEps + " must be > 0");
            }
        }

        /**
         * A {@value #CUSTOM} shape: head dim {@code dim / heads}, RMS eps 1e-5, no RoPE scaling.
         *
         * @throws IllegalArgumentException as the constructor
         */
        public static Shape custom(int dim, int layers, int heads, int kvHeads, int ffnDim, int vocabSize,
                                   int contextLength, boolean tiedEmbeddings, float ropeBase) {
            return new Shape(CUSTOM, dim, layers, heads, kvHeads, ffnDim, vocabSize, contextLength, tiedEmbeddings,
                    ropeBase, 1e-5f, null);
        }

        /** Query values per token: heads × head size. */
        public int qDim() {
            return heads * headDim;
        }

        /**
         * The config {@link ModelLoader} reads from a file of this shape (its family as the GGUF
         * name reads back: Mistral's {@code llama} is {@link Architecture#LLAMA}). Its RoPE scaling is
         * {@code null}: GGUF carries Llama 3 scaling as {@code rope_freqs.weight} factors, which
         * the loader folds into the weights' inverse frequencies.
         */
        public Config config() {
            return new Config(Architecture.ofGguf(family.ggufName()), dim, ffnDim, layers, heads, kvHeads, headDim,
                    vocabSize, contextLength, rmsEps, ropeBase, headDim, family.ggufRopeLayout(), null, slidingWindow);
        }

        private static void positive(String what, int v) {
            if (v <= 0) {
                throw new IllegalArgumentException(what + " must be positive, not " + v);
            }
        }
    }

    /** How a tensor's values are made. */
    public enum Init {
        /** normal(0, {@value #WEIGHT_STD}) from the tensor's generator */
        RANDOM_NORMAL,
        /** all 1 (the RMSNorm weights) */
        ONES,
        /** all 0 (the biases) */
        ZEROS,
        /** the Llama 3 RoPE frequency divisors ({@link #llama3RopeFactors}) */
        LLAMA3_ROPE_FACTORS
    }

    /**
     * One tensor of the file.
     *
     * @param ne the shape in ggml order ({@code ne[0]} values per row)
     */
    public record PlannedTensor(String name, GgmlType type, long[] ne, Init init) {
        public PlannedTensor {
            ne = ne.clone();
        }

        @Override
        public long[] ne() {
            return ne.clone();
        }

        public long elements() {
            return Arrays.stream(ne).reduce(1, Math::multiplyExact);
        }

        /** The bytes of its data, without the padding that aligns the next tensor. */
        public long bytes() {
            return type.bytesFor(elements());
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof PlannedTensor t && t.name.equals(name) && t.type == type && Arrays.equals(t.ne, ne)
                    && t.init == init;
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + Arrays.hashCode(ne);
        }

        @Override
        public String toString() {
            return name + " " + type + Arrays.toString(ne) + " " + init;
        }
    }

    /**
     * Everything a file of {@code shape} holds, in file order.
     *
     * @param fileType what the file says it is ({@code general.file_type}); the tensors carry their own types
     */
    public record Plan(Shape shape, FileType fileType, List<PlannedTensor> tensors) {
        public Plan {
            tensors = List.copyOf(tensors);
        }

        /** Weights in the file (RoPE factors included). */
        public long parameterCount() {
            return tensors.stream().mapToLong(PlannedTensor::elements).sum();
        }

        /** The size of the file's data section: every tensor, each padded to the GGUF alignment. */
        public long dataBytes() {
            return tensors.stream().mapToLong(t -> alignUp(t.bytes())).sum();
        }
    }

    /** Told how far a write has come. */
    @FunctionalInterface
    public interface Progress {
        /** Reports nothing. */
        Progress NONE = (written, total) -> { };

        /** {@code written} of the {@code total} bytes of tensor data are out ({@link Plan#dataBytes()}). */
        void update(long written, long total);
    }

    /**
     * The named shape.
     *
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static Shape shape(String name) {
        return SHAPES.stream().filter(s -> s.name.equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown shape '" + name + "' (known: "
                        + SHAPES.stream().map(Shape::name).collect(Collectors.joining(", ")) + ", " + CUSTOM + ")"));
    }

    /**
     * The plan {@code synth --type NAME} asks for: a weight type ({@code Q4_K}, {@code Q8_0}, …,
     * {@link #TYPES}) puts every matrix in it; a llama.cpp mix name that is not a weight type
     * ({@code Q4_K_M}, {@code Q5_K_S}, {@code Q3_K_L}, …) gives each tensor the type
     * llama-quantize would ({@link #plan(Shape, FileType, boolean)}).
     *
     * @throws IllegalArgumentException for an unknown or unsupported name, or rows that do not fit
     */
    public static Plan plan(Shape shape, String typeName) {
        for (GgmlType t : TYPES) {
            if (t.name().equalsIgnoreCase(typeName)) {
                return plan(shape, t);
            }
        }
        FileType mix;
        try {
            mix = QuantMix.fileType(typeName);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown type '" + typeName + "' (weight types: "
                    + TYPES.stream().map(GgmlType::name).collect(Collectors.joining(", ")) + "; llama.cpp mixes: "
                    + QuantMix.supportedLabels() + ")");
        }
        return plan(shape, mix, false);
    }

    /**
     * The tensors of a file of {@code shape} with every matrix of {@code type} (llama-quantize's
     * {@code --pure}), named as llama.cpp names them.
     *
     * @throws IllegalArgumentException if the type is not one of {@link #TYPES}, or if it is
     *     quantized and the rows (dim, ffn) are not whole blocks
     */
    public static Plan plan(Shape shape, GgmlType type) {
        if (!TYPES.contains(type)) {
            throw unsupported(type.name());
        }
        for (int cols : new int[] {shape.dim, shape.ffnDim}) {
            if (cols % type.blockSize != 0) {
                throw new IllegalArgumentException(type + " stores rows in blocks of " + type.blockSize
                        + " values: dim " + shape.dim + " and ffn " + shape.ffnDim + " must be multiples of it");
            }
        }
        return plan(shape, FileType.of(type), true);
    }

    /**
     * The tensors of a file of {@code shape} quantized to {@code fileType} as llama-quantize
     * would ({@link QuantMix}): e.g. {@code Q4_K_M} gives the output Q6_K and some layers'
     * {@code attn_v} and {@code ffn_down} Q6_K; rows that are not whole blocks fall back.
     *
     * @throws IllegalArgumentException if llama-simd cannot compute with the file type's tensors
     */
    public static Plan plan(Shape shape, FileType fileType, boolean pure) {
        QuantMix mix = QuantMix.of(fileType, pure, shape.layers, shape.heads, shape.kvHeads);
        boolean tied = shape.tiedEmbeddings;
        BiFunction<String, long[], GgmlType> type =
                (name, ne) -> mix.choose(name, ne, GgmlType.F32, tied).type();
        int dim = shape.dim;
        int kvDim = shape.kvHeads * shape.headDim;
        List<PlannedTensor> tensors = new ArrayList<>();
        if (shape.ropeScaling != null) {
            tensors.add(new PlannedTensor("rope_freqs.weight", GgmlType.F32, new long[] {shape.headDim / 2},
                    Init.LLAMA3_ROPE_FACTORS));
        }
        tensors.add(matrix("token_embd.weight", type, dim, shape.vocabSize));
        int qDim = shape.qDim();
        boolean fused = shape.family.has(Architecture.Trait.FUSED_PROJECTIONS);
        for (int l = 0; l < shape.layers; l++) {
            String b = "blk." + l + ".";
            tensors.add(new PlannedTensor(b + "attn_norm.weight", GgmlType.F32, new long[] {dim}, Init.ONES));
            if (fused) {
                tensors.add(matrix(b + "attn_qkv.weight", type, dim, qDim + 2 * kvDim));
            } else {
                tensors.add(matrix(b + "attn_q.weight", type, dim, qDim));
                tensors.add(matrix(b + "attn_k.weight", type, dim, kvDim));
                tensors.add(matrix(b + "attn_v.weight", type, dim, kvDim));
            }
            for (TensorRole role : shape.family.biases()) {
                int rows = role == TensorRole.Q ? qDim : kvDim;
                tensors.add(new PlannedTensor(role.gguf(l) + ".bias", GgmlType.F32, new long[] {rows}, Init.ZEROS));
            }
            tensors.add(matrix(b + "attn_output.weight", type, qDim, dim));
            tensors.add(new PlannedTensor(b + "ffn_norm.weight", GgmlType.F32, new long[] {dim}, Init.ONES));
            if (fused) {
                tensors.add(matrix(b + "ffn_up.weight", type, dim, 2 * shape.ffnDim));
            } else {
                tensors.add(matrix(b + "ffn_gate.weight", type, dim, shape.ffnDim));
                tensors.add(matrix(b + "ffn_up.weight", type, dim, shape.ffnDim));
            }
            tensors.add(matrix(b + "ffn_down.weight", type, shape.ffnDim, dim));
        }
        tensors.add(new PlannedTensor("output_norm.weight", GgmlType.F32, new long[] {dim}, Init.ONES));
        if (!shape.tiedEmbeddings) {
            tensors.add(matrix("output.weight", type, dim, shape.vocabSize));
        }
        return new Plan(shape, fileType, tensors);
    }

    /**
     * Writes a file of {@code shape} with matrices of {@code type} and weights drawn from
     * {@code seed}. The file appears at {@code out} only once complete.
     *
     * @param overwrite replace an existing file; otherwise it is refused
     * @throws java.nio.file.FileAlreadyExistsException if {@code out} exists and not {@code overwrite}
     * @throws NoSuchFileException if {@code out}'s directory does not exist
     * @throws IllegalArgumentException as {@link #plan}
     */
    public static void write(Shape shape, GgmlType type, long seed, Path out, boolean overwrite, Progress progress)
            throws IOException {
        write(plan(shape, type), seed, out, overwrite, progress);
    }

    /**
     * Writes the file {@code plan} describes, with weights drawn from {@code seed}; as
     * {@link #write(Shape, GgmlType, long, Path, boolean, Progress)}.
     */
    public static void write(Plan plan, long seed, Path out, boolean overwrite, Progress progress) throws IOException {
        Shape shape = plan.shape;
        Path dir = out.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "no such directory to write " + out.getFileName() + " in");
        }
        long total = plan.dataBytes();
        try (GgufWriter w = GgufWriter.create(out, overwrite)) {
            putMetadata(w, plan, seed);
            for (PlannedTensor t : plan.tensors) {
                w.addTensor(t.name, t.type, t.ne);
            }
            long written = 0;
            progress.update(0, total);
            for (PlannedTensor t : plan.tensors) {
                long before = written;
                long rowBytes = t.type.bytesFor(t.ne[0]);
                switch (t.init) {
                    case RANDOM_NORMAL -> {
                        SplittableRandom random = random(seed, t.name);
                        w.writeTensorRows(t.name, (row, r) -> {
                            progress.update(before + r * rowBytes, total);
                            for (int i = 0; i < row.length; i++) {
                                row[i] = (float) random.nextGaussian(0, WEIGHT_STD);
                            }
                        });
                    }
                    case ONES -> w.writeTensorRows(t.name, (row, r) -> Arrays.fill(row, 1f));
                    case ZEROS -> w.writeTensorRows(t.name, (row, r) -> Arrays.fill(row, 0f));
                    case LLAMA3_ROPE_FACTORS -> w.writeTensorData(t.name,
                            llama3RopeFactors(shape.headDim, shape.ropeBase, shape.ropeScaling));
                }
                written += alignUp(t.bytes());
                progress.update(written, total);
            }
        }
    }

    /**
     * The divisor of each rotating pair's frequency under Llama 3 scaling, computed in float32 as
     * llama.cpp's {@code convert_hf_to_gguf.py} does for {@code rope_freqs.weight}: 1 for short
     * wavelengths, {@code factor} for long ones, a smooth ramp between. Dividing the base
     * frequencies by them gives what {@link RopeScaling.Llama3#apply} gives.
     */
    public static float[] llama3RopeFactors(int headDim, float ropeBase, RopeScaling.Llama3 scaling) {
        float lowFreqWavelen = scaling.originalContext() / scaling.lowFreqFactor();
        float highFreqWavelen = scaling.originalContext() / scaling.highFreqFactor();
        float[] factors = new float[headDim / 2];
        for (int i = 0; i < factors.length; i++) {
            float freq = 1f / (float) Math.pow(ropeBase, (float) (2 * i) / headDim);
            float wavelen = (float) (2 * Math.PI) / freq;
            if (wavelen < highFreqWavelen) {
                factors[i] = 1f;
            } else if (wavelen > lowFreqWavelen) {
                factors[i] = scaling.factor();
            } else {
                float smooth = (scaling.originalContext() / wavelen - scaling.lowFreqFactor())
                        / (scaling.highFreqFactor() - scaling.lowFreqFactor());
                factors[i] = 1f / ((1 - smooth) / scaling.factor() + smooth);
            }
        }
        return factors;
    }

    /** The GPT-2 byte-to-unicode table: the character standing for each byte value. */
    static char[] byteChars() {
        char[] chars = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            chars[b] = (char) (printable ? b : next++);
        }
        return chars;
    }

    /**
     * The vocabulary: ids 0..255 are the byte characters in GPT-2's order (the printable bytes
     * first, as in GPT-2's and Llama 3's vocabularies), then {@code <|synth_ID|>} fillers, then
     * {@code <|begin_of_text|>} and {@code <|end_of_text|>}.
     */
    static String[] tokens(int vocabSize) {
        char[] chars = byteChars();
        String[] tokens = new String[vocabSize];
        int id = 0;
        for (int b = 0; b < 256; b++) {
            if (chars[b] == b) {
                tokens[id++] = String.valueOf(chars[b]);
            }
        }
        for (int b = 0; b < 256; b++) {
            if (chars[b] != b) {
                tokens[id++] = String.valueOf(chars[b]);
            }
        }
        for (; id < vocabSize - 2; id++) {
            tokens[id] = "<|synth_" + id + "|>";
        }
        tokens[vocabSize - 2] = "<|begin_of_text|>";
        tokens[vocabSize - 1] = "<|end_of_text|>";
        return tokens;
    }

    /**
     * Phi-3: the first fillers become the tokens llama.cpp's vocabulary loader looks up by text
     * in a model named Phi-3 ({@code <unk>}, {@code <s>}, {@code </s>}, {@code <|endoftext|>}).
     */
    private static String[] withFamilyTokens(String[] tokens, Architecture family) {
        if (family == Architecture.PHI3) {
            String[] named = {"<unk>", "<s>", "</s>", "<|endoftext|>"};
            System.arraycopy(named, 0, tokens, 256, named.length);
        }
        return tokens;
    }

    private static void putMetadata(GgufWriter w, Plan plan, long seed) {
        Shape s = plan.shape;
        int vocab = s.vocabSize;
        String a = s.family.ggufName();
        w.putString("general.architecture", a)
                .putString("general.name", String.format(Locale.ROOT, "synthetic %s %s seed %d", s.name, plan.fileType.label, seed))
                .putUint32("general.file_type", plan.fileType.id)
                .putUint32("general.quantization_version", QUANTIZATION_VERSION)
                .putUint32(a + ".vocab_size", vocab)
                .putUint32(a + ".context_length", s.contextLength)
                .putUint32(a + ".embedding_length", s.dim)
                .putUint32(a + ".block_count", s.layers)
                .putUint32(a + ".feed_forward_length", s.ffnDim)
                .putUint32(a + ".attention.head_count", s.heads)
                .putUint32(a + ".attention.head_count_kv", s.kvHeads)
                .putUint32(a + ".attention.key_length", s.headDim)
                .putUint32(a + ".attention.value_length", s.headDim)
                .putUint32(a + ".rope.dimension_count", s.headDim)
                .putFloat32(a + ".rope.freq_base", s.ropeBase)
                .putFloat32(a + ".attention.layer_norm_rms_epsilon", s.rmsEps);
        if (s.slidingWindow > 0) {
            w.putUint32(a + ".attention.sliding_window", s.slidingWindow);
        }
        int[] types = new int[vocab];
        Arrays.fill(types, TOKEN_NORMAL);
        types[vocab - 2] = TOKEN_CONTROL;
        types[vocab - 1] = TOKEN_CONTROL;
        w.putString("tokenizer.ggml.model", "gpt2")
                .putString("tokenizer.ggml.pre", "default")
                .putStringArray("tokenizer.ggml.tokens", withFamilyTokens(tokens(vocab), s.family))
                .putIntArray("tokenizer.ggml.token_type", types)
                .putStringArray("tokenizer.ggml.merges")
                .putUint32("tokenizer.ggml.bos_token_id", vocab - 2)
                .putUint32("tokenizer.ggml.eos_token_id", vocab - 1)
                .putBool("tokenizer.ggml.add_bos_token", true);
    }

    private static IllegalArgumentException unsupported(String type) {
        return new IllegalArgumentException("unsupported type '" + type + "' (supported: "
                + TYPES.stream().map(GgmlType::name).collect(Collectors.joining(", ")) + ")");
    }

    private static PlannedTensor matrix(String name, BiFunction<String, long[], GgmlType> type,
                                        int cols, int rows) {
        long[] ne = {cols, rows};
        return new PlannedTensor(name, type.apply(name, ne), ne, Init.RANDOM_NORMAL);
    }

    /** The tensor's own generator: seeded from a hash of the seed and its name. */
    private static SplittableRandom random(long seed, String name) {
        long h = seed;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        return new SplittableRandom(new SplittableRandom(h).nextLong());
    }

    private static long alignUp(long bytes) {
        return (bytes + GgufFile.DEFAULT_ALIGNMENT - 1) & -GgufFile.DEFAULT_ALIGNMENT;
    }
}
