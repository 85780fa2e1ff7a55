package io.metalr.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Mean and spread of the per-fold test metrics of a k-fold cross-validation, the form in which results are
 * reported ("accuracy 0.842 ± 0.013 over 5 folds"), plus the confusion matrix summed over folds.
 *
 * <p>The spread is the sample standard deviation (divisor {@code n - 1}) because the folds are a sample of
 * possible splits; it is 0 for a single fold. A fold whose macro AUC is undefined (NaN) is left out of the AUC
 * mean and spread, and {@link #aucFolds()} says how many folds were used.
 */
public final class CrossValidationSummary {

    private final int folds;
    private final int aucFolds;
    private final double accuracyMean;
    private final double accuracySd;
    private final double aucMean;
    private final double aucSd;
    private final double lossMean;
    private final double lossSd;
    private final long[][] confusionSum;

    private CrossValidationSummary(List<ClassificationMetrics> perFold) {
        this.folds = perFold.size();
        List<Double> accuracies = new ArrayList<>();
        List<Double> aucs = new ArrayList<>();
        List<Double> losses = new ArrayList<>();
        int numClasses = perFold.get(0).numClasses();
        this.confusionSum = new long[numClasses][numClasses];
        for (ClassificationMetrics fold : perFold) {
            accuracies.add(fold.accuracy());
            losses.add(fold.loss());
            if (!Double.isNaN(fold.macroAuc())) {
                aucs.add(fold.macroAuc());
            }
            long[][] confusion = fold.confusionMatrix();
            for (int t = 0; t < numClasses; t++) {
                for (int p = 0; p < numClasses; p++) {
                    confusionSum[t][p] += confusion[t][p];
                }
            }
        }
        this.aucFolds = aucs.size();
        Stats accuracy = Stats.of(accuracies);
        Stats auc = Stats.of(aucs);
        Stats loss = Stats.of(losses);
        this.accuracyMean = accuracy.mean();
        this.accuracySd = accuracy.sd();
        this.aucMean = auc.mean();
        this.aucSd = auc.sd();
        this.lossMean = loss.mean();
        this.lossSd = loss.sd();
    }

    /**
     * Summarises the folds' metrics.
     *
     * @throws IllegalArgumentException if the list is empty or the folds disagree on the number of classes
     */
    public static CrossValidationSummary of(List<ClassificationMetrics> perFold) {
        if (perFold == null || perFold.isEmpty()) {
            throw new IllegalArgumentException("no folds to summarise");
        }
        int numClasses = perFold.get(0).numClasses();
        for (int i = 0; i < perFold.size(); i++) {
            if (perFold.get(i) == null) {
                throw new IllegalArgumentException("fold " + i + " has no metrics");
            }
            if (perFold.get(i).numClasses() != numClasses) {
                throw new IllegalArgumentException("fold " + i + " has " + perFold.get(i).numClasses()
                        + " classes but fold 0 has " + numClasses);
            }
        }
        return new CrossValidationSummary(perFold);
    }

    public int folds() {
        return folds;
    }

    /** Number of folds with a defined macro AUC, the ones {@link #aucMean()} and {@link #aucSd()} use. */
    public int aucFolds() {
        return aucFolds;
    }

    public double accuracyMean() {
        return accuracyMean;
    }

    public double accuracySd() {
        return accuracySd;
    }

    /** Mean macro AUC over the folds where it is defined; NaN if it is defined in none. */
    public double aucMean() {
        return aucMean;
    }

    public double aucSd() {
        return aucSd;
    }

    public double lossMean() {
        return lossMean;
    }

    public double lossSd() {
        return lossSd;
    }

    /** A copy of the element-wise sum of the folds' confusion matrices (rows true, columns predicted). */
    public long[][] confusionMatrixSum() {
        long[][] copy = new long[confusionSum.length][];
        for (int t = 0; t < confusionSum.length; t++) {
            copy[t] = confusionSum[t].clone();
        }
        return copy;
    }

    /**
     * The summary with stable key order: {@code folds}, {@code accuracy_mean}, {@code accuracy_sd},
     * {@code auc_mean}, {@code auc_sd}, {@code confusion_matrix_sum}, then {@code auc_folds}, {@code loss_mean},
     * {@code loss_sd}. NaN stays {@link Double#NaN}.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("folds", folds);
        map.put("accuracy_mean", accuracyMean);
        map.put("accuracy_sd", accuracySd);
        map.put("auc_mean", aucMean);
        map.put("auc_sd", aucSd);
        map.put("confusion_matrix_sum", ClassificationMetrics.matrixToLists(confusionSum));
        map.put("auc_folds", aucFolds);
        map.put("loss_mean", lossMean);
        map.put("loss_sd", lossSd);
        return map;
    }

    /** For logs and reports, e.g. {@code accuracy 0.842 ± 0.013, AUC 0.975 ± 0.004 over 5 folds}. */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "accuracy %.3f ± %.3f, AUC %.3f ± %.3f over %d fold%s",
                accuracyMean, accuracySd, aucMean, aucSd, folds, folds == 1 ? "" : "s");
    }
}
