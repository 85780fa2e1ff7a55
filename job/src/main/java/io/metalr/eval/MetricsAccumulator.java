package io.metalr.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Collects an evaluation set batch by batch and turns it into {@link ClassificationMetrics}, so the evaluator can
 * stream a test set through the model without building one big array itself.
 *
 * <p>The probabilities are kept (copied) because the exact AUC needs every score at the end; that is
 * {@code numClasses} floats per sample, small next to the images. Not thread-safe.
 */
public final class MetricsAccumulator {

    private final int numClasses;
    private int[] labels = new int[64];
    private final List<float[]> probabilities = new ArrayList<>();

    public MetricsAccumulator(int numClasses) {
        Inputs.checkNumClasses(numClasses);
        this.numClasses = numClasses;
    }

    /**
     * Adds one batch. The rows are copied, so the caller may reuse its buffers.
     *
     * @throws IllegalArgumentException as {@link ClassificationMetrics#compute}, with row indices counted from the
     *     first sample ever added; a rejected batch adds nothing
     */
    public void add(int[] batchLabels, float[][] batchProbabilities) {
        int count = probabilities.size();
        Inputs.checkBatch(batchLabels, batchProbabilities, numClasses, count);
        if (count + batchLabels.length > labels.length) {
            labels = Arrays.copyOf(labels, Math.max(labels.length * 2, count + batchLabels.length));
        }
        System.arraycopy(batchLabels, 0, labels, count, batchLabels.length);
        for (float[] row : batchProbabilities) {
            probabilities.add(row.clone());
        }
    }

    /** Number of samples added so far. */
    public int count() {
        return probabilities.size();
    }

    public int numClasses() {
        return numClasses;
    }

    /**
     * Metrics over every sample added so far; the same as one {@link ClassificationMetrics#compute} call over the
     * concatenated batches.
     *
     * @throws IllegalArgumentException if nothing was added
     */
    public ClassificationMetrics result() {
        int count = count();
        return ClassificationMetrics.compute(Arrays.copyOf(labels, count),
                probabilities.toArray(new float[count][]), numClasses);
    }
}
