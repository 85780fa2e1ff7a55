package io.metalr.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MetricsAccumulatorTest {

    @Test
    void batchesGiveTheSameResultAsOneShotCompute() {
        Random random = new Random(42);
        int n = 203;
        int numClasses = 4;
        int[] labels = new int[n];
        float[][] probs = new float[n][];
        for (int i = 0; i < n; i++) {
            labels[i] = random.nextInt(numClasses);
            probs[i] = roundedSoftmax(random, numClasses);
        }

        MetricsAccumulator acc = new MetricsAccumulator(numClasses);
        int[] batchSizes = {1, 32, 0, 64, 17, 89}; // includes an empty batch; sums to 203
        int start = 0;
        for (int size : batchSizes) {
            acc.add(Arrays.copyOfRange(labels, start, start + size), Arrays.copyOfRange(probs, start, start + size));
            start += size;
        }
        assertEquals(n, start);
        assertEquals(n, acc.count());

        ClassificationMetrics streamed = acc.result();
        ClassificationMetrics oneShot = ClassificationMetrics.compute(labels, probs, numClasses);
        assertEquals(oneShot, streamed);
        assertEquals(oneShot.accuracy(), streamed.accuracy());
        assertEquals(oneShot.macroAuc(), streamed.macroAuc());
        assertEquals(oneShot.loss(), streamed.loss());
        assertArrayEquals(oneShot.perClassAuc(), streamed.perClassAuc());
        assertArrayEquals(oneShot.confusionMatrix(), streamed.confusionMatrix());
        assertEquals(oneShot.toMap().toString(), streamed.toMap().toString());
    }

    @Test
    void copiesRowsSoCallerMayReuseBuffers() {
        MetricsAccumulator acc = new MetricsAccumulator(2);
        int[] labels = {0, 1};
        float[][] buffer = {{0.9f, 0.1f}, {0.2f, 0.8f}};
        acc.add(labels, buffer);
        // The caller overwrites its buffer with the next batch.
        labels[0] = 1;
        buffer[0][0] = 0.1f;
        buffer[0][1] = 0.9f;
        acc.add(labels, buffer);

        ClassificationMetrics expected = ClassificationMetrics.compute(new int[] {0, 1, 1, 1},
                new float[][] {{0.9f, 0.1f}, {0.2f, 0.8f}, {0.1f, 0.9f}, {0.2f, 0.8f}}, 2);
        assertEquals(expected, acc.result());
    }

    @Test
    void resultCanBeTakenMoreThanOnce() {
        MetricsAccumulator acc = new MetricsAccumulator(2);
        acc.add(new int[] {0, 1}, new float[][] {{0.9f, 0.1f}, {0.2f, 0.8f}});
        ClassificationMetrics first = acc.result();
        acc.add(new int[] {0}, new float[][] {{0.3f, 0.7f}});
        ClassificationMetrics second = acc.result();
        assertEquals(2, first.sampleCount());
        assertEquals(3, second.sampleCount());
        assertEquals(1.0, first.accuracy());
        assertEquals(2.0 / 3, second.accuracy(), 1e-12);
    }

    @Test
    void errorsNameTheRowCountedAcrossBatches() {
        MetricsAccumulator acc = new MetricsAccumulator(3);
        acc.add(new int[] {0, 1, 2, 0, 1}, new float[][] {
            {1f, 0f, 0f}, {0f, 1f, 0f}, {0f, 0f, 1f}, {1f, 0f, 0f}, {0f, 1f, 0f}});

        // Second element of the second batch is sample 6 overall.
        IllegalArgumentException label = assertThrows(IllegalArgumentException.class,
                () -> acc.add(new int[] {0, 3}, new float[][] {{1f, 0f, 0f}, {0f, 0f, 1f}}));
        assertTrue(label.getMessage().contains("row 6"), label.getMessage());
        assertTrue(label.getMessage().contains("label 3"), label.getMessage());

        IllegalArgumentException width = assertThrows(IllegalArgumentException.class,
                () -> acc.add(new int[] {0}, new float[][] {{1f, 0f}}));
        assertTrue(width.getMessage().contains("row 5"), width.getMessage());

        IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                () -> acc.add(new int[] {0, 0, 0}, new float[][] {{1f, 0f, 0f}, {1f, 0f, 0f}, {Float.NaN, 0f, 0f}}));
        assertTrue(nan.getMessage().contains("row 7"), nan.getMessage());

        // Rejected batches added nothing.
        assertEquals(5, acc.count());
    }

    @Test
    void emptyAccumulatorHasNoResult() {
        MetricsAccumulator acc = new MetricsAccumulator(2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, acc::result);
        assertTrue(e.getMessage().contains("no samples"), e.getMessage());
    }

    @Test
    void rejectsBadClassCount() {
        assertThrows(IllegalArgumentException.class, () -> new MetricsAccumulator(0));
    }

    /** A softmax row rounded to 0.05 steps, so that scores tie often; ties are what the AUC must get right. */
    private static float[] roundedSoftmax(Random random, int numClasses) {
        double[] e = new double[numClasses];
        double sum = 0;
        for (int c = 0; c < numClasses; c++) {
            e[c] = Math.exp(random.nextGaussian() * 2);
            sum += e[c];
        }
        float[] row = new float[numClasses];
        for (int c = 0; c < numClasses; c++) {
            row[c] = Math.round(e[c] / sum * 20) / 20f;
        }
        return row;
    }
}
