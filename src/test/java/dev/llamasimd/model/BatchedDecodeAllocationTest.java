package dev.llamasimd.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A scheduler's decode step (a batch of decode rows of nine sequences, each row widened once
 * and multiplied with every sequence) allocates nothing once compiled. In a JVM of its own, as
 * {@link DecodeAllocationTest}.
 */
class BatchedDecodeAllocationTest {

    @Test
    void batchedDecodeStepOfNineSequencesAllocatesNothing() {
        assertEquals(Map.of(), DecodeAllocationTest.allocatingTypes(9),
                "bytes allocated by the batched decode steps of a context, by type");
    }
}
