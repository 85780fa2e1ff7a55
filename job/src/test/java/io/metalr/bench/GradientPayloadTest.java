package io.metalr.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.train.RunSetup;

import org.junit.jupiter.api.Test;

/** The payload the per-MB part is fitted against: a shard's gradient, the trainable parameters in floats. */
class GradientPayloadTest {

    @Test
    void theReferenceCnnsTrainableParametersInBytes() {
        // conv1 4x1x3x3 (no bias) 36, bn1 8, conv2 8x4x3x3 + 8 = 296, bn2 16, fc 8x4 + 4 = 36: 392 floats;
        // the batch norms' running statistics are state, not gradient
        RunSetup setup = RunSetup.from(SparkBenchmark.config("reference_cnn"), 1, 4);
        assertEquals(392 * 4 / 1e6, SparkBenchmark.gradientMb(setup), 1e-12);
    }

    @Test
    void theCasesSpanClearlyDifferentPayloads() {
        double small = SparkBenchmark.gradientMb(RunSetup.from(SparkBenchmark.config("small_resnet"), 1, 4));
        double resnet18 = SparkBenchmark.gradientMb(RunSetup.from(SparkBenchmark.config("resnet18"), 3, 4));
        assertTrue(small > 0.2 && small < 0.5, "small_resnet " + small + " MB");
        assertTrue(resnet18 > 40 && resnet18 < 50, "resnet18 " + resnet18 + " MB");
    }
}
