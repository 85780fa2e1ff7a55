package io.metalr.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.metalr.data.Batch;
import io.metalr.data.ImageSet;
import io.metalr.eval.ClassificationMetrics;
import io.metalr.eval.MetricsAccumulator;
import io.metalr.nn.Weights;

/** Scores an image set with the model in evaluation mode (batch-norm running statistics). */
public final class Evaluator {

    private Evaluator() {}

    public static ClassificationMetrics evaluate(Weights weights, ImageSet data, int batchSize) {
        int classes = weights.network().numClasses();
        MetricsAccumulator acc = new MetricsAccumulator(classes);
        for (int start = 0; start < data.size(); start += batchSize) {
            int len = Math.min(batchSize, data.size() - start);
            int[] idx = new int[len];
            int[] labels = new int[len];
            for (int k = 0; k < len; k++) {
                idx[k] = start + k;
                labels[k] = data.label(start + k);
            }
            try (NDManager scratch = weights.manager().newSubManager()) {
                Batch b = data.batch(scratch, idx);
                NDArray prob = weights.network().forward(weights.lookup(), b.x(), false).softmax(1);
                float[] flat = prob.toFloatArray();
                float[][] rows = new float[len][classes];
                for (int k = 0; k < len; k++) {
                    System.arraycopy(flat, k * classes, rows[k], 0, classes);
                }
                acc.add(labels, rows);
            }
        }
        return acc.result();
    }
}
