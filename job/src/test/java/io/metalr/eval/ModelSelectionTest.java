package io.metalr.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ModelSelectionTest {

    // accuracy 1.0, AUC 1, loss 0.1643
    private static final ClassificationMetrics BEST = CrossValidationSummaryTest.FOLD_A;
    // accuracy 0.5, AUC 1, loss 0.5697
    private static final ClassificationMetrics HALF = CrossValidationSummaryTest.FOLD_B;
    // accuracy 0.0, AUC 0, loss 1.0601
    private static final ClassificationMetrics WORST = CrossValidationSummaryTest.FOLD_C;
    // a second result with exactly HALF's numbers
    private static final ClassificationMetrics HALF_AGAIN = ClassificationMetrics.compute(
            new int[] {0, 1}, new float[][] {{0.4f, 0.6f}, {0.2f, 0.8f}}, 2);

    @Test
    void higherAccuracyWinsAndTiesKeepTheEarlierEpoch() {
        ModelSelection selection = ModelSelection.forMetric("accuracy");
        assertFalse(selection.hasBest());

        assertTrue(selection.offer(1, 100, HALF));
        assertFalse(selection.offer(2, 200, HALF_AGAIN)); // tie: epoch 1 stays
        assertEquals(1, selection.bestEpoch());
        assertEquals(100, selection.bestStep());
        assertSame(HALF, selection.bestMetrics());

        assertFalse(selection.offer(3, 300, WORST));
        assertTrue(selection.offer(4, 400, BEST));
        assertFalse(selection.offer(5, 500, BEST)); // tie again
        assertEquals(4, selection.bestEpoch());
        assertEquals(400, selection.bestStep());
        assertEquals(1.0, selection.bestValue());
    }

    @Test
    void aucTieAcrossDifferentAccuracyKeepsEarlier() {
        ModelSelection selection = new ModelSelection(ModelSelection.Metric.AUC);
        assertTrue(selection.offer(1, 10, HALF)); // AUC 1
        assertFalse(selection.offer(2, 20, BEST)); // AUC 1 as well, despite better accuracy
        assertEquals(1, selection.bestEpoch());
        assertEquals(1.0, selection.bestValue());
    }

    @Test
    void lowerLossWins() {
        ModelSelection selection = ModelSelection.forMetric("loss");
        assertTrue(selection.offer(1, 10, WORST));
        assertTrue(selection.offer(2, 20, HALF));
        assertFalse(selection.offer(3, 30, WORST));
        assertTrue(selection.offer(4, 40, BEST));
        assertFalse(selection.offer(5, 50, HALF));
        assertEquals(4, selection.bestEpoch());
        assertEquals(BEST.loss(), selection.bestValue());
    }

    @Test
    void undefinedValueIsNeverBest() {
        ClassificationMetrics noAuc = ClassificationMetrics.compute(
                new int[] {0, 0}, new float[][] {{0.9f, 0.1f}, {0.8f, 0.2f}}, 2);
        ModelSelection selection = ModelSelection.forMetric("auc");
        assertFalse(selection.offer(1, 10, noAuc));
        assertFalse(selection.hasBest());
        assertTrue(selection.offer(2, 20, WORST)); // AUC 0 is still a value
        assertFalse(selection.offer(3, 30, noAuc));
        assertEquals(2, selection.bestEpoch());
    }

    @Test
    void gettersBeforeAnyOfferFail() {
        ModelSelection selection = ModelSelection.forMetric("auc");
        assertThrows(IllegalStateException.class, selection::bestEpoch);
        assertThrows(IllegalStateException.class, selection::bestStep);
        assertThrows(IllegalStateException.class, selection::bestValue);
        assertThrows(IllegalStateException.class, selection::bestMetrics);
    }

    @Test
    void parsesNamesIgnoringCaseAndBlanks() {
        assertEquals(ModelSelection.Metric.AUC, ModelSelection.Metric.parse(" AUC "));
        assertEquals(ModelSelection.Metric.ACCURACY, ModelSelection.Metric.parse("Accuracy"));
        assertEquals(ModelSelection.Metric.LOSS, ModelSelection.Metric.parse("loss"));
        assertFalse(ModelSelection.Metric.LOSS.higherIsBetter());
        assertTrue(ModelSelection.Metric.AUC.higherIsBetter());
    }

    @Test
    void unknownNameListsTheAllowedOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelSelection.forMetric("f1"));
        assertTrue(e.getMessage().contains("'f1'"), e.getMessage());
        assertTrue(e.getMessage().contains("accuracy, auc, loss"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ModelSelection.Metric.parse(null));
    }

    @Test
    void rejectsNullMetricsAndNullMetric() {
        ModelSelection selection = ModelSelection.forMetric("accuracy");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> selection.offer(7, 70, null));
        assertTrue(e.getMessage().contains("epoch 7"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ModelSelection(null));
    }
}
