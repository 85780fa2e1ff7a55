package io.metalr.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.metalr.data.Batch;
import io.metalr.data.ImageSet;
import io.metalr.eval.ClassificationMetrics;
import io.metalr.nn.Weights;

/** Scores an image set with the model in evaluation mode (batch-norm running statistics). */
public final class Evaluator {

    private Evaluator() {}

    public static ClassificationMetrics evaluate(Weights weights, ImageSet data, int batchSize) {
        int[] labels = new int[data.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = data.label(i);
        }
        return ClassificationMetrics.compute(labels, probabilities(weights, data, batchSize), weights.network().numClasses());
    }

    /**
     * The class probabilities of every image, in order, scored in batches of {@code batchSize}
     * images from the first: the one scoring code of a process and of Spark's executors, so equal
     * batches give bitwise equal scores.
     */
    public static float[][] probabilities(Weights weights, ImageSet data, int batchSize) {
        int classes = weights.network().numClasses();
        float[][] rows = new float[data.size()][];
        for (int start = 0; start < data.size(); start += batchSize) {
            int len = Math.min(batchSize, data.size() - start);
            int[] idx = new int[len];
            for (int k = 0; k < len; k++) {
                idx[k] = start + k;
            }
            try (NDManager scratch = weights.manager().newSubManager()) {
                Batch b = data.batch(scratch, idx);
                NDArray prob = weights.network().forward(weights.lookup(), b.x(), false).softmax(1);
                float[] flat = prob.toFloatArray();
                for (int k = 0; k < len; k++) {
                    rows[start + k] = java.util.Arrays.copyOfRange(flat, k * classes, (k + 1) * classes);
                }
            }
        }
        return rows;
    }
}
