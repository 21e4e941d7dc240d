package dev.llamasimd.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.model.SyntheticModel.PlannedTensor;
import dev.llamasimd.tensor.FileType;
import dev.llamasimd.tensor.GgmlType;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The tensor types of llama.cpp's mixes, as llama-quantize (v0.5.0, no imatrix) chooses them. */
class QuantMixTest {

    private static Map<String, GgmlType> types(SyntheticModel.Shape shape, String type) {
        return SyntheticModel.plan(shape, type).tensors().stream()
                .collect(Collectors.toMap(PlannedTensor::name, PlannedTensor::type));
    }

    @Test
    void useMoreBitsPicksTheLayersLlamaCppPicks() {
        assertEquals(Set.of(0, 1, 4, 7, 10, 13, 14, 15), layers(16));
        assertEquals(Set.of(0, 1, 4, 7, 10, 13, 16, 19, 20, 21), layers(22));
        assertEquals(Set.of(0, 1, 2, 5, 8, 11, 14, 17, 20, 23, 24, 25, 26, 27), layers(28));
        assertEquals(Set.of(0, 3, 6, 7), layers(8));
    }

    private static Set<Integer> layers(int n) {
        return IntStream.range(0, n).filter(i -> QuantMix.useMoreBits(i, n)).boxed().collect(Collectors.toSet());
    }

    @Test
    void q4KMOfLlama32OneB() {
        Map<String, GgmlType> t = types(SyntheticModel.LLAMA_3_2_1B, "Q4_K_M");
        assertEquals(GgmlType.Q6_K, t.get("token_embd.weight"), "tied: the embedding is the output");
        assertEquals(GgmlType.F32, t.get("rope_freqs.weight"));
        Set<Integer> more = layers(16);
        for (int l = 0; l < 16; l++) {
            GgmlType raised = more.contains(l) ? GgmlType.Q6_K : GgmlType.Q4_K;
            assertEquals(raised, t.get("blk." + l + ".attn_v.weight"), "layer " + l);
            assertEquals(raised, t.get("blk." + l + ".ffn_down.weight"), "layer " + l);
            for (String m : List.of("attn_q", "attn_k", "attn_output", "ffn_gate", "ffn_up")) {
                assertEquals(GgmlType.Q4_K, t.get("blk." + l + "." + m + ".weight"), m + " layer " + l);
            }
            assertEquals(GgmlType.F32, t.get("blk." + l + ".attn_norm.weight"));
        }
    }

    @Test
    void phi3sFusedQkvIsRaisedAsAttnV() {
        Map<String, GgmlType> q4km = types(SyntheticModel.PHI_3_MINI, "Q4_K_M");
        Map<String, GgmlType> q3kl = types(SyntheticModel.PHI_3_MINI, "Q3_K_L");
        Set<Integer> more = layers(32);
        for (int l = 0; l < 32; l++) {
            assertEquals(more.contains(l) ? GgmlType.Q6_K : GgmlType.Q4_K, q4km.get("blk." + l + ".attn_qkv.weight"), "layer " + l);
            assertEquals(GgmlType.Q5_K, q3kl.get("blk." + l + ".attn_qkv.weight"));
        }
    }

    @Test
    void otherMixesOfTinyLlama() {
        SyntheticModel.Shape s = SyntheticModel.TINYLLAMA_1_1B; // 22 layers, untied, 32/4 heads
        Map<String, GgmlType> q3km = types(s, "Q3_K_M");
        assertEquals(GgmlType.Q6_K, q3km.get("output.weight"));
        assertEquals(GgmlType.Q3_K, q3km.get("token_embd.weight"));
        assertEquals(GgmlType.Q5_K, q3km.get("blk.1.attn_v.weight"));
        assertEquals(GgmlType.Q4_K, q3km.get("blk.2.attn_v.weight"));
        assertEquals(GgmlType.Q5_K, q3km.get("blk.0.ffn_down.weight"), "22/16 = 1 layer");
        assertEquals(GgmlType.Q4_K, q3km.get("blk.1.ffn_down.weight"));
        assertEquals(GgmlType.Q4_K, q3km.get("blk.5.attn_output.weight"));
        assertEquals(GgmlType.Q3_K, q3km.get("blk.5.ffn_up.weight"));
        Map<String, GgmlType> q4ks = types(s, "Q4_K_S");
        assertEquals(GgmlType.Q5_K, q4ks.get("blk.3.attn_v.weight"));
        assertEquals(GgmlType.Q4_K, q4ks.get("blk.4.attn_v.weight"));
        assertEquals(GgmlType.Q5_K, q4ks.get("blk.1.ffn_down.weight"), "22/8 = 2 layers");
        assertEquals(GgmlType.Q4_K, q4ks.get("blk.2.ffn_down.weight"));
        Map<String, GgmlType> q5ks = types(s, "q5_k_s");
        assertEquals(GgmlType.Q6_K, q5ks.get("output.weight"));
        assertEquals(Set.of(GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.F32), Set.copyOf(q5ks.values()));
        Map<String, GgmlType> q3kl = types(s, "Q3_K_L");
        assertEquals(GgmlType.Q5_K, q3kl.get("blk.9.attn_v.weight"));
        assertEquals(GgmlType.Q5_K, q3kl.get("blk.9.ffn_down.weight"));
        assertEquals(GgmlType.Q5_K, q3kl.get("blk.9.attn_output.weight"));
    }

    @Test
    void q4_0AndQ2_KMixesAsLlamaQuantizeWritesThem() {
        QuantMix q40 = QuantMix.of(FileType.MOSTLY_Q4_0, false, 16, 32, 8);
        assertEquals(GgmlType.Q6_K, q40.choose("output.weight", new long[] {2048, 32000}, GgmlType.F16, false).type());
        assertEquals(GgmlType.Q4_0, q40.choose("token_embd.weight", new long[] {2048, 32000}, GgmlType.F16, false).type());
        assertEquals(GgmlType.Q4_0, q40.choose("blk.0.attn_v.weight", new long[] {2048, 512}, GgmlType.F16, false).type());
        QuantMix pure = QuantMix.of(FileType.MOSTLY_Q4_0, true, 16, 32, 8);
        assertEquals(GgmlType.Q4_0, pure.choose("output.weight", new long[] {2048, 32000}, GgmlType.F16, false).type());
        QuantMix q2 = QuantMix.of(FileType.MOSTLY_Q2_K, false, 16, 32, 8);
        assertEquals(GgmlType.Q4_K, q2.choose("blk.3.attn_v.weight", new long[] {2048, 512}, GgmlType.F32, false).type(),
                "GQA 4");
        assertEquals(GgmlType.Q3_K, QuantMix.of(FileType.MOSTLY_Q2_K, false, 16, 32, 16)
                .choose("blk.3.attn_v.weight", new long[] {2048, 1024}, GgmlType.F32, false).type(), "GQA 2");
        assertEquals(GgmlType.Q3_K, q2.choose("blk.3.ffn_down.weight", new long[] {8192, 2048}, GgmlType.F32, false).type());
        assertEquals(GgmlType.Q3_K, q2.choose("blk.3.attn_output.weight", new long[] {2048, 2048}, GgmlType.F32, false).type());
        assertEquals(GgmlType.Q2_K, q2.choose("blk.3.ffn_up.weight", new long[] {2048, 8192}, GgmlType.F32, false).type());
        QuantMix q5km70b = QuantMix.of(FileType.MOSTLY_Q3_K_M, false, 80, 64, 8);
        assertEquals(GgmlType.Q5_K, q5km70b.choose("blk.50.attn_v.weight", new long[] {8192, 1024}, GgmlType.F32, false)
                .type(), "70B rule");
    }

    @Test
    void normsAndVectorsKeepTheirTypeAndUnfitRowsFallBack() {
        QuantMix m = QuantMix.of(FileType.MOSTLY_Q4_K_M, false, 2, 4, 2);
        assertEquals(GgmlType.F16, m.choose("blk.0.attn_norm.weight", new long[] {64}, GgmlType.F16, false).type());
        assertEquals(GgmlType.F32, m.choose("rope_freqs.weight", new long[] {32}, GgmlType.F32, false).type());
        QuantMix.Choice q = m.choose("blk.0.attn_q.weight", new long[] {64, 64}, GgmlType.F32, false);
        assertEquals(GgmlType.Q5_0, q.type());
        assertNotNull(q.fallback());
        assertTrue(q.fallback().contains("Q5_0"), q.fallback());
        assertEquals(GgmlType.Q8_0, m.choose("output.weight", new long[] {64, 300}, GgmlType.F32, false).type(),
                "the output of a row that is no super-block is Q8_0, without a fallback");
        assertNull(m.choose("output.weight", new long[] {64, 300}, GgmlType.F32, false).fallback());
        assertEquals(GgmlType.F16, m.choose("blk.0.ffn_down.weight", new long[] {172, 64}, GgmlType.F32, false).type(),
                "no 32-value block fits: F16");
        assertEquals(GgmlType.Q8_0, QuantMix.of(FileType.MOSTLY_Q6_K, true, 2, 4, 2)
                .choose("blk.0.attn_q.weight", new long[] {96, 96}, GgmlType.F32, false).type());
        assertEquals(GgmlType.BF16, QuantMix.of(FileType.MOSTLY_BF16, false, 2, 4, 2)
                .choose("output.weight", new long[] {64, 300}, GgmlType.F32, false).type(), "float file types: no mix");
    }

    @Test
    void fileTypeNamesAndAliases() {
        assertEquals(FileType.MOSTLY_Q4_K_M, QuantMix.fileType("q4_k"));
        assertEquals(FileType.MOSTLY_Q5_K_M, QuantMix.fileType("Q5_K"));
        assertEquals(FileType.MOSTLY_Q3_K_M, QuantMix.fileType("Q3_K"));
        assertEquals(FileType.MOSTLY_Q6_K, QuantMix.fileType("Q6_K"));
        assertEquals(FileType.ALL_F32, QuantMix.fileType("f32"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> QuantMix.fileType("IQ2_XXS")).getMessage()
                .contains("Q4_K_M"));
        Function<String, FileType> label = FileType::byLabel;
        assertEquals(FileType.MOSTLY_IQ4_XS, label.apply("IQ4_XS"));
    }
}
