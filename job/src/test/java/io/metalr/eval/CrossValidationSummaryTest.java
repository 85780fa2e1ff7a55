package io.metalr.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CrossValidationSummaryTest {

    private static final double EPS = 1e-12;

    // Fold A: both right, ranking perfect: accuracy 1, AUC 1, confusion [[1,0],[0,1]], loss -(ln .9 + ln .8)/2.
    static final ClassificationMetrics FOLD_A = ClassificationMetrics.compute(
            new int[] {0, 1}, new float[][] {{0.9f, 0.1f}, {0.2f, 0.8f}}, 2);
    // Fold B: both predicted 1, ranking still perfect: accuracy 0.5, AUC 1, confusion [[0,1],[0,1]].
    static final ClassificationMetrics FOLD_B = ClassificationMetrics.compute(
            new int[] {0, 1}, new float[][] {{0.4f, 0.6f}, {0.2f, 0.8f}}, 2);
    // Fold C: both wrong, ranking inverted: accuracy 0, AUC 0, confusion [[0,1],[1,0]].
    static final ClassificationMetrics FOLD_C = ClassificationMetrics.compute(
            new int[] {0, 1}, new float[][] {{0.3f, 0.7f}, {0.6f, 0.4f}}, 2);

    @Test
    void meanAndSampleStandardDeviation() {
        CrossValidationSummary s = CrossValidationSummary.of(List.of(FOLD_A, FOLD_B, FOLD_C));

        // Accuracy {1, 0.5, 0}: mean 0.5; squared deviations 0.25 + 0 + 0.25 = 0.5, / (3-1) = 0.25, sd 0.5.
        assertEquals(3, s.folds());
        assertEquals(0.5, s.accuracyMean(), EPS);
        assertEquals(0.5, s.accuracySd(), EPS);
        // AUC {1, 1, 0}: mean 2/3; deviations 1/3, 1/3, -2/3 -> squares 1/9 + 1/9 + 4/9 = 2/3, / 2 = 1/3,
        // sd sqrt(1/3) = 0.5773502691896257.
        assertEquals(2.0 / 3, s.aucMean(), EPS);
        assertEquals(Math.sqrt(1.0 / 3), s.aucSd(), EPS);
        assertEquals(3, s.aucFolds());
        // Loss per fold: A -(ln .9 + ln .8)/2 = 0.164252, B -(ln .4 + ln .8)/2 = 0.569717,
        // C -(ln .3 + ln .4)/2 = 1.060132; mean 0.598034, sd 0.448611 (python3 statistics.mean/stdev).
        assertEquals(0.598034, s.lossMean(), 1e-6);
        assertEquals(0.448611, s.lossSd(), 1e-6);
        // [[1,0],[0,1]] + [[0,1],[0,1]] + [[0,1],[1,0]] = [[1,2],[1,2]]
        assertArrayEquals(new long[][] {{1, 2}, {1, 2}}, s.confusionMatrixSum());
    }

    @Test
    void humanReadableString() {
        CrossValidationSummary s = CrossValidationSummary.of(List.of(FOLD_A, FOLD_B, FOLD_C));
        assertEquals("accuracy 0.500 ± 0.500, AUC 0.667 ± 0.577 over 3 folds", s.toString());
    }

    @Test
    void singleFoldHasZeroSpread() {
        CrossValidationSummary s = CrossValidationSummary.of(List.of(FOLD_B));
        assertEquals(1, s.folds());
        assertEquals(0.5, s.accuracyMean(), EPS);
        assertEquals(0.0, s.accuracySd());
        assertEquals(0.0, s.aucSd());
        assertEquals(0.0, s.lossSd());
        assertEquals("accuracy 0.500 ± 0.000, AUC 1.000 ± 0.000 over 1 fold", s.toString());
    }

    @Test
    void foldWithUndefinedAucIsLeftOutOfAucOnly() {
        // All labels 0: no class has both positives and negatives, so the fold's macro AUC is NaN.
        ClassificationMetrics undefined = ClassificationMetrics.compute(
                new int[] {0, 0}, new float[][] {{0.9f, 0.1f}, {0.8f, 0.2f}}, 2);
        CrossValidationSummary s = CrossValidationSummary.of(List.of(FOLD_A, undefined));
        assertEquals(2, s.folds());
        assertEquals(1, s.aucFolds());
        assertEquals(1.0, s.aucMean(), EPS);
        assertEquals(0.0, s.aucSd());
        assertEquals(1.0, s.accuracyMean(), EPS); // both folds fully right
    }

    @Test
    void toMapHasStableKeys() {
        Map<String, Object> map = CrossValidationSummary.of(List.of(FOLD_A, FOLD_B, FOLD_C)).toMap();
        assertEquals(List.of("folds", "accuracy_mean", "accuracy_sd", "auc_mean", "auc_sd", "confusion_matrix_sum",
                "auc_folds", "loss_mean", "loss_sd"), new ArrayList<>(map.keySet()));
        assertEquals(3, map.get("folds"));
        assertEquals(0.5, (Double) map.get("accuracy_mean"), EPS);
        assertEquals(List.of(List.of(1L, 2L), List.of(1L, 2L)), map.get("confusion_matrix_sum"));
    }

    @Test
    void rejectsEmptyAndMismatchedFolds() {
        assertThrows(IllegalArgumentException.class, () -> CrossValidationSummary.of(List.of()));
        assertThrows(IllegalArgumentException.class, () -> CrossValidationSummary.of(null));
        ClassificationMetrics threeClasses = ClassificationMetrics.compute(
                new int[] {0, 2}, new float[][] {{0.8f, 0.1f, 0.1f}, {0.1f, 0.1f, 0.8f}}, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CrossValidationSummary.of(List.of(FOLD_A, threeClasses)));
        assertTrue(e.getMessage().contains("fold 1"), e.getMessage());
    }
}
