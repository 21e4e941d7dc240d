package dev.llamasimd.model;

/**
 * The tensors of a decoder, with their names in each source: llama.cpp's GGUF names and
 * transformers' state-dict names (the same for every family llama-simd runs). A name here is a
 * stem: {@code .weight} or {@code .bias} follows it.
 */
public enum TensorRole {
    TOKEN_EMBEDDING("token_embd", "model.embed_tokens"),
    OUTPUT_NORM("output_norm", "model.norm"),
    OUTPUT("output", "lm_head"),
    ATTN_NORM("attn_norm", "input_layernorm"),
    Q("attn_q", "self_attn.q_proj"),
    K("attn_k", "self_attn.k_proj"),
    V("attn_v", "self_attn.v_proj"),
    /** Q, K and V in one matrix ({@link Architecture.Trait#FUSED_PROJECTIONS}). */
    QKV("attn_qkv", "self_attn.qkv_proj"),
    O("attn_output", "self_attn.o_proj"),
    FFN_NORM("ffn_norm", "post_attention_layernorm"),
    GATE("ffn_gate", "mlp.gate_proj"),
    UP("ffn_up", "mlp.up_proj"),
    /** Gate, then up, in one matrix: llama.cpp names it {@code ffn_up} too, with twice the rows. */
    GATE_UP("ffn_up", "mlp.gate_up_proj"),
    DOWN("ffn_down", "mlp.down_proj");

    private final String gguf;
    private final String hf;

    TensorRole(String gguf, String hf) {
        this.gguf = gguf;
        this.hf = hf;
    }

    /** The projections that may carry a bias, in layer order. */
    public static final java.util.List<TensorRole> BIASED = java.util.List.of(Q, K, V, O, GATE, UP, DOWN);

    /** Whether the tensor is one per layer (else one per model). */
    public boolean perLayer() {
        return ordinal() >= ATTN_NORM.ordinal();
    }

    /** The GGUF stem: {@code blk.L.attn_q}, {@code token_embd}. */
    public String gguf(int layer) {
        return perLayer() ? "blk." + layer + "." + gguf : gguf;
    }

    /** The transformers stem: {@code model.layers.L.self_attn.q_proj}, {@code model.embed_tokens}. */
    public String hf(int layer) {
        return perLayer() ? "model.layers." + layer + "." + hf : hf;
    }

    /** The stem within a layer, without the layer prefix: {@code attn_q}. */
    public String ggufInLayer() {
        return gguf;
    }

    /** The transformers stem within a layer: {@code self_attn.q_proj}. */
    public String hfInLayer() {
        return hf;
    }
}
