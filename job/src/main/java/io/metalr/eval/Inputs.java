package io.metalr.eval;

/**
 * Shared input checks for {@link ClassificationMetrics} and {@link MetricsAccumulator}, so both report bad rows
 * with the same messages.
 */
final class Inputs {

    private Inputs() {
    }

    static void checkNumClasses(int numClasses) {
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be at least 1, got " + numClasses);
        }
    }

    /**
     * Checks one batch of samples.
     *
     * @param firstRow index of the batch's first sample in the whole data set, so a streamed batch reports the
     *     row number a user can find, not its position inside the batch
     */
    static void checkBatch(int[] labels, float[][] probabilities, int numClasses, long firstRow) {
        if (labels == null || probabilities == null) {
            throw new IllegalArgumentException("labels and probabilities must not be null");
        }
        if (labels.length != probabilities.length) {
            throw new IllegalArgumentException("labels has " + labels.length + " rows but probabilities has "
                    + probabilities.length);
        }
        for (int i = 0; i < labels.length; i++) {
            long row = firstRow + i;
            int label = labels[i];
            if (label < 0 || label >= numClasses) {
                throw new IllegalArgumentException("row " + row + ": label " + label + " is out of range [0, "
                        + numClasses + ")");
            }
            float[] p = probabilities[i];
            if (p == null) {
                throw new IllegalArgumentException("row " + row + ": probabilities are null");
            }
            if (p.length != numClasses) {
                throw new IllegalArgumentException("row " + row + ": expected " + numClasses
                        + " probabilities, got " + p.length);
            }
            for (int c = 0; c < numClasses; c++) {
                if (!Float.isFinite(p[c])) {
                    throw new IllegalArgumentException("row " + row + ": probability of class " + c + " is "
                            + p[c]);
                }
            }
        }
    }
}
