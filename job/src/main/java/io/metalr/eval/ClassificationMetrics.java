package io.metalr.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Metrics of one evaluated split (a validation epoch, a test set, a cross-validation fold), computed from the
 * model's softmax probabilities and the true labels.
 *
 * <p>Immutable, so it can be kept as the best epoch's result, summed over folds or handed to a writer without
 * copying. Undefined values stay {@link Double#NaN} instead of being guessed: a class's AUC with no positive or
 * no negative sample, and its recall with no true sample. Build with {@link #compute} or a
 * {@link MetricsAccumulator}.
 */
public final class ClassificationMetrics {

    /** Probabilities are clamped here before the log, so one confident mistake gives a large, finite loss. */
    public static final double MIN_PROBABILITY = 1e-12;

    private final int numClasses;
    private final long sampleCount;
    private final double accuracy;
    private final double macroAuc;
    private final int aucClassCount;
    private final double macroF1;
    private final double loss;
    private final double[] auc;
    private final double[] precision;
    private final double[] recall;
    private final double[] f1;
    private final long[] support;
    private final long[][] confusion;

    private ClassificationMetrics(int numClasses, long sampleCount, double loss, double[] auc, long[][] confusion) {
        this.numClasses = numClasses;
        this.sampleCount = sampleCount;
        this.loss = loss;
        this.auc = auc;
        this.confusion = confusion;
        this.precision = new double[numClasses];
        this.recall = new double[numClasses];
        this.f1 = new double[numClasses];
        this.support = new long[numClasses];

        long correct = 0;
        long[] predicted = new long[numClasses];
        for (int t = 0; t < numClasses; t++) {
            correct += confusion[t][t];
            for (int p = 0; p < numClasses; p++) {
                support[t] += confusion[t][p];
                predicted[p] += confusion[t][p];
            }
        }
        this.accuracy = (double) correct / sampleCount;

        double f1Sum = 0;
        int f1Count = 0;
        for (int c = 0; c < numClasses; c++) {
            long tp = confusion[c][c];
            precision[c] = predicted[c] == 0 ? 0.0 : (double) tp / predicted[c];
            recall[c] = support[c] == 0 ? Double.NaN : (double) tp / support[c];
            if (support[c] == 0) {
                f1[c] = Double.NaN;
            } else {
                double sum = precision[c] + recall[c];
                f1[c] = sum == 0 ? 0.0 : 2 * precision[c] * recall[c] / sum;
                f1Sum += f1[c];
                f1Count++;
            }
        }
        this.macroF1 = f1Count == 0 ? Double.NaN : f1Sum / f1Count;

        double aucSum = 0;
        int aucCount = 0;
        for (double a : auc) {
            if (!Double.isNaN(a)) {
                aucSum += a;
                aucCount++;
            }
        }
        this.aucClassCount = aucCount;
        this.macroAuc = aucCount == 0 ? Double.NaN : aucSum / aucCount;
    }

    /**
     * Computes all metrics of one split.
     *
     * @param labels the true class of each sample, in {@code [0, numClasses)}
     * @param probabilities one row of {@code numClasses} softmax probabilities per sample; the predicted class is
     *     the row's argmax, ties going to the lowest class index
     * @param numClasses the number of classes, which fixes the confusion matrix even if a class never occurs
     * @throws IllegalArgumentException on empty input, mismatched lengths, an out-of-range label, a row of the wrong
     *     length or a non-finite probability; the message names the offending row
     */
    public static ClassificationMetrics compute(int[] labels, float[][] probabilities, int numClasses) {
        Inputs.checkNumClasses(numClasses);
        Inputs.checkBatch(labels, probabilities, numClasses, 0);
        int n = labels.length;
        if (n == 0) {
            throw new IllegalArgumentException("no samples: labels and probabilities are empty");
        }

        long[][] confusion = new long[numClasses][numClasses];
        double lossSum = 0;
        for (int i = 0; i < n; i++) {
            float[] row = probabilities[i];
            confusion[labels[i]][argmax(row)]++;
            lossSum -= Math.log(Math.max(row[labels[i]], MIN_PROBABILITY));
        }

        double[] auc = new double[numClasses];
        float[] column = new float[n];
        boolean[] positive = new boolean[n];
        for (int c = 0; c < numClasses; c++) {
            for (int i = 0; i < n; i++) {
                column[i] = probabilities[i][c];
                positive[i] = labels[i] == c;
            }
            auc[c] = RocAuc.of(column, positive);
        }
        return new ClassificationMetrics(numClasses, n, lossSum / n, auc, confusion);
    }

    /**
     * The metrics again from what {@link #toMap()} writes ({@code n}, {@code loss}, each class's {@code auc} and
     * the confusion matrix): equal to the original. A checkpoint keeps past epochs' validation results this way.
     */
    public static ClassificationMetrics restore(long sampleCount, double loss, double[] auc, long[][] confusion) {
        Inputs.checkNumClasses(auc.length);
        if (confusion.length != auc.length) {
            throw new IllegalArgumentException(auc.length + " class AUCs but a confusion matrix of " + confusion.length + " rows");
        }
        return new ClassificationMetrics(auc.length, sampleCount, loss, auc.clone(), confusion);
    }

    private static int argmax(float[] row) {
        int best = 0;
        for (int c = 1; c < row.length; c++) {
            if (row[c] > row[best]) { // strict, so ties keep the lowest index
                best = c;
            }
        }
        return best;
    }

    public int numClasses() {
        return numClasses;
    }

    public long sampleCount() {
        return sampleCount;
    }

    /** Fraction of samples whose argmax equals the label. */
    public double accuracy() {
        return accuracy;
    }

    /** Mean one-vs-rest AUC over the classes whose AUC is defined; NaN if none is. */
    public double macroAuc() {
        return macroAuc;
    }

    /** How many classes {@link #macroAuc()} averages (those with both positive and negative samples). */
    public int aucClassCount() {
        return aucClassCount;
    }

    /** Mean F1 over the classes present in the labels; a class with zero precision and recall counts 0. */
    public double macroF1() {
        return macroF1;
    }

    /** Mean cross-entropy {@code -ln p[label]}, with {@code p} clamped at {@link #MIN_PROBABILITY}. */
    public double loss() {
        return loss;
    }

    /** One-vs-rest AUC of class {@code c}; NaN if it has no positive or no negative sample. */
    public double auc(int c) {
        return auc[c];
    }

    /** Fraction of samples predicted as {@code c} that are {@code c}; 0 if nothing was predicted as {@code c}. */
    public double precision(int c) {
        return precision[c];
    }

    /** Fraction of samples of class {@code c} predicted as {@code c}; NaN if {@code c} has no sample. */
    public double recall(int c) {
        return recall[c];
    }

    /** F1 of class {@code c}; NaN if {@code c} has no sample. */
    public double f1(int c) {
        return f1[c];
    }

    /** Number of samples whose true label is {@code c}. */
    public long support(int c) {
        return support[c];
    }

    public double[] perClassAuc() {
        return auc.clone();
    }

    public double[] perClassPrecision() {
        return precision.clone();
    }

    public double[] perClassRecall() {
        return recall.clone();
    }

    /** A copy of the confusion matrix: rows are true labels, columns predicted labels. */
    public long[][] confusionMatrix() {
        long[][] copy = new long[numClasses][];
        for (int t = 0; t < numClasses; t++) {
            copy[t] = confusion[t].clone();
        }
        return copy;
    }

    /**
     * The metrics as nested maps and lists with stable key order, ready for a JSON writer. Keys: {@code accuracy},
     * {@code auc}, {@code loss}, {@code n}, {@code per_class} (maps with {@code class}, {@code precision},
     * {@code recall}, {@code auc}, {@code support}, {@code f1}), {@code confusion_matrix}, then {@code auc_classes}
     * and {@code macro_f1}. NaN stays {@link Double#NaN}; how to write it is the caller's choice.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("accuracy", accuracy);
        map.put("auc", macroAuc);
        map.put("loss", loss);
        map.put("n", sampleCount);
        List<Map<String, Object>> perClass = new ArrayList<>(numClasses);
        for (int c = 0; c < numClasses; c++) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("class", c);
            entry.put("precision", precision[c]);
            entry.put("recall", recall[c]);
            entry.put("auc", auc[c]);
            entry.put("support", support[c]);
            entry.put("f1", f1[c]);
            perClass.add(entry);
        }
        map.put("per_class", perClass);
        map.put("confusion_matrix", matrixToLists(confusion));
        map.put("auc_classes", aucClassCount);
        map.put("macro_f1", macroF1);
        return map;
    }

    static List<List<Long>> matrixToLists(long[][] matrix) {
        List<List<Long>> rows = new ArrayList<>(matrix.length);
        for (long[] row : matrix) {
            List<Long> cells = new ArrayList<>(row.length);
            for (long cell : row) {
                cells.add(cell);
            }
            rows.add(cells);
        }
        return rows;
    }

    /** Equal when every number matches; NaN equals NaN here, so an undefined AUC does not break equality. */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ClassificationMetrics other)) {
            return false;
        }
        return numClasses == other.numClasses
                && sampleCount == other.sampleCount
                && Double.compare(loss, other.loss) == 0
                && Arrays.equals(auc, other.auc)
                && Arrays.deepEquals(confusion, other.confusion);
    }

    @Override
    public int hashCode() {
        return Arrays.deepHashCode(new Object[] {numClasses, sampleCount, loss, auc, confusion});
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "ClassificationMetrics[n=%d, accuracy=%.4f, auc=%.4f (%d of %d"
                + " classes), loss=%.4f]", sampleCount, accuracy, macroAuc, aucClassCount, numClasses, loss);
    }
}
