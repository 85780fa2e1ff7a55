package io.metalr.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClassificationMetricsTest {

    private static final double EPS = 1e-12;

    /*
     * Binary case by hand.
     *   row  label  probs        predicted
     *   0    0      [0.9, 0.1]   0
     *   1    1      [0.2, 0.8]   1
     *   2    1      [0.6, 0.4]   0
     *   3    0      [0.65,0.35]  0
     *   4    0      [0.4, 0.6]   1
     * Confusion (rows true): [[2, 1], [1, 1]]; accuracy = 3/5 = 0.6.
     * Class 1 AUC: positives {0.8, 0.4}, negatives {0.1, 0.35, 0.6}; sorted ranks 0.1:1 0.35:2 0.4:3 0.6:4 0.8:5,
     *   R_pos = 3 + 5 = 8, U = 8 - 2*3/2 = 5, AUC = 5 / (2*3) = 5/6.
     * Class 0 AUC: positives {0.9, 0.65, 0.4}, negatives {0.2, 0.6}; pairs won 2 + 2 + 1 = 5 of 6 -> 5/6.
     * Macro AUC = 5/6.
     * Precision: class 0 = 2/(2+1) = 2/3, class 1 = 1/(1+1) = 1/2; recall: class 0 = 2/3, class 1 = 1/2.
     * F1: class 0 = 2/3, class 1 = 1/2; macro F1 = (2/3 + 1/2)/2 = 7/12.
     * Loss = -(ln 0.9 + ln 0.8 + ln 0.4 + ln 0.65 + ln 0.4)/5, with the float values widened to double.
     */
    private static final int[] BINARY_LABELS = {0, 1, 1, 0, 0};
    private static final float[][] BINARY_PROBS = {
        {0.9f, 0.1f}, {0.2f, 0.8f}, {0.6f, 0.4f}, {0.65f, 0.35f}, {0.4f, 0.6f}};

    @Test
    void binaryCaseByHand() {
        ClassificationMetrics m = ClassificationMetrics.compute(BINARY_LABELS, BINARY_PROBS, 2);

        assertEquals(5, m.sampleCount());
        assertEquals(2, m.numClasses());
        assertEquals(0.6, m.accuracy(), EPS);
        assertArrayEquals(new long[][] {{2, 1}, {1, 1}}, m.confusionMatrix());
        assertEquals(5.0 / 6, m.auc(0), EPS);
        assertEquals(5.0 / 6, m.auc(1), EPS);
        assertEquals(5.0 / 6, m.macroAuc(), EPS);
        assertEquals(2, m.aucClassCount());
        assertEquals(2.0 / 3, m.precision(0), EPS);
        assertEquals(0.5, m.precision(1), EPS);
        assertEquals(2.0 / 3, m.recall(0), EPS);
        assertEquals(0.5, m.recall(1), EPS);
        assertEquals(7.0 / 12, m.macroF1(), EPS);
        assertEquals(3, m.support(0));
        assertEquals(2, m.support(1));
        double expectedLoss = -(Math.log(0.9f) + Math.log(0.8f) + Math.log(0.4f) + Math.log(0.65f)
                + Math.log(0.4f)) / 5;
        assertEquals(expectedLoss, m.loss(), EPS);
        assertEquals(0.5184, m.loss(), 1e-4); // sanity: (0.1054 + 0.2231 + 0.9163 + 0.4308 + 0.9163) / 5
    }

    /*
     * Three classes with ties, checked independently with numpy (/tmp/evalpkg/py/three_class.py):
     *
     *   import numpy as np
     *   def auc(scores, pos):
     *       order = np.argsort(scores, kind="stable"); s = scores[order]; ranks = np.empty(len(s)); i = 0
     *       while i < len(s):
     *           j = i
     *           while j + 1 < len(s) and s[j + 1] == s[i]: j += 1
     *           ranks[order[i:j + 1]] = (i + 1 + j + 1) / 2.0; i = j + 1
     *       n_pos = pos.sum(); n_neg = len(pos) - n_pos
     *       return (ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
     *   y = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2, 2])
     *   p = np.array(<THREE_PROBS below>, dtype=np.float32)
     *   aucs = [auc(p[:, c], y == c) for c in range(3)]
     *   loss = -np.log(np.maximum(p[np.arange(len(y)), y].astype(np.float64), 1e-12)).mean()
     *   # plus a brute-force pair count: for s_pos, s_neg: u += 1 if a > b else 0.5 if a == b else 0
     *
     * Output:
     *   per-class AUC 0.7857142857142857 (U 16.5 of 21), 0.7083333333333334 (U 17 of 24), 0.8333333333333334
     *   (U 17.5 of 21); macro AUC 0.7757936507936508; accuracy 0.6; loss 0.8748116775361169;
     *   confusion [[2, 1, 0], [1, 2, 1], [0, 1, 2]]
     */
    private static final int[] THREE_LABELS = {0, 0, 0, 1, 1, 1, 1, 2, 2, 2};
    private static final float[][] THREE_PROBS = {
        {0.7f, 0.2f, 0.1f},
        {0.5f, 0.3f, 0.2f},
        {0.2f, 0.5f, 0.3f},
        {0.2f, 0.6f, 0.2f},
        {0.1f, 0.5f, 0.4f},
        {0.5f, 0.3f, 0.2f},
        {0.3f, 0.3f, 0.4f},
        {0.1f, 0.2f, 0.7f},
        {0.3f, 0.3f, 0.4f},
        {0.2f, 0.5f, 0.3f}};

    @Test
    void threeClassCaseMatchesNumpy() {
        ClassificationMetrics m = ClassificationMetrics.compute(THREE_LABELS, THREE_PROBS, 3);

        assertEquals(0.7857142857142857, m.auc(0), EPS); // 16.5 / 21
        assertEquals(0.7083333333333334, m.auc(1), EPS); // 17 / 24
        assertEquals(0.8333333333333334, m.auc(2), EPS); // 17.5 / 21
        assertEquals(0.7757936507936508, m.macroAuc(), EPS);
        assertEquals(3, m.aucClassCount());
        assertEquals(0.6, m.accuracy(), EPS);
        assertEquals(0.8748116775361169, m.loss(), 1e-12);
        assertArrayEquals(new long[][] {{2, 1, 0}, {1, 2, 1}, {0, 1, 2}}, m.confusionMatrix());
        // Column sums 3, 4, 3; diagonal 2, 2, 2.
        assertArrayEquals(new double[] {2.0 / 3, 0.5, 2.0 / 3}, m.perClassPrecision(), EPS);
        assertArrayEquals(new double[] {2.0 / 3, 0.5, 2.0 / 3}, m.perClassRecall(), EPS);
    }

    @Test
    void classAbsentFromLabelsIsLeftOutOfMacroAuc() {
        // Labels use classes 0 and 1 only; row 2 is predicted as class 2.
        int[] labels = {0, 1, 0, 1};
        float[][] probs = {{0.8f, 0.1f, 0.1f}, {0.2f, 0.7f, 0.1f}, {0.2f, 0.2f, 0.6f}, {0.1f, 0.6f, 0.3f}};
        ClassificationMetrics m = ClassificationMetrics.compute(labels, probs, 3);

        // Class 0: positives {0.8, 0.2}, negatives {0.2, 0.1}: pairs 1 + 1 + 0.5 + 1 = 3.5 of 4 -> 0.875.
        // Class 1: positives {0.7, 0.6}, negatives {0.1, 0.2}: all 4 pairs won -> 1.
        // Class 2: no positive -> NaN, excluded; macro = (0.875 + 1) / 2 = 0.9375 over 2 classes.
        assertEquals(0.875, m.auc(0), EPS);
        assertEquals(1.0, m.auc(1), EPS);
        assertTrue(Double.isNaN(m.auc(2)));
        assertEquals(2, m.aucClassCount());
        assertEquals(0.9375, m.macroAuc(), EPS);

        // Class 2 was predicted once (wrongly): precision 0/1 = 0; it has no true sample: recall NaN.
        assertEquals(0.0, m.precision(2), EPS);
        assertTrue(Double.isNaN(m.recall(2)));
        assertTrue(Double.isNaN(m.f1(2)));
        assertEquals(0, m.support(2));
        // Accuracy 3/4; F1 class 0 = 2*1*0.5/1.5 = 2/3, class 1 = 1; macro F1 over present classes = 5/6.
        assertEquals(0.75, m.accuracy(), EPS);
        assertEquals(5.0 / 6, m.macroF1(), EPS);
        assertArrayEquals(new long[][] {{1, 0, 1}, {0, 2, 0}, {0, 0, 0}}, m.confusionMatrix());
    }

    @Test
    void precisionIsZeroForAClassNeverPredicted() {
        // Both samples predicted as class 0, so class 1 has no predictions: precision 0, recall 0/1 = 0.
        int[] labels = {0, 1};
        float[][] probs = {{0.9f, 0.1f}, {0.6f, 0.4f}};
        ClassificationMetrics m = ClassificationMetrics.compute(labels, probs, 2);
        assertEquals(0.0, m.precision(1), EPS);
        assertEquals(0.0, m.recall(1), EPS);
        assertEquals(0.0, m.f1(1), EPS);
    }

    @Test
    void singleClassPresentLeavesMacroAucUndefined() {
        // Class 0 has no negatives, class 1 no positives: no class has a defined AUC.
        int[] labels = {0, 0};
        float[][] probs = {{0.9f, 0.1f}, {0.3f, 0.7f}};
        ClassificationMetrics m = ClassificationMetrics.compute(labels, probs, 2);
        assertTrue(Double.isNaN(m.macroAuc()));
        assertEquals(0, m.aucClassCount());
        assertEquals(0.5, m.accuracy(), EPS);
    }

    @Test
    void perfectAndInvertedRankings() {
        int[] labels = {0, 0, 1, 1};
        float[][] perfect = {{0.9f, 0.1f}, {0.7f, 0.3f}, {0.4f, 0.6f}, {0.2f, 0.8f}};
        float[][] inverted = {{0.1f, 0.9f}, {0.3f, 0.7f}, {0.6f, 0.4f}, {0.8f, 0.2f}};
        ClassificationMetrics good = ClassificationMetrics.compute(labels, perfect, 2);
        ClassificationMetrics bad = ClassificationMetrics.compute(labels, inverted, 2);
        assertEquals(1.0, good.macroAuc(), EPS);
        assertEquals(1.0, good.accuracy(), EPS);
        assertEquals(0.0, bad.macroAuc(), EPS);
        assertEquals(0.0, bad.accuracy(), EPS);
    }

    @Test
    void allScoresEqualGiveAucOneHalf() {
        int[] labels = {0, 1, 2, 0, 1, 2};
        float[] uniform = {1f / 3, 1f / 3, 1f / 3};
        float[][] probs = {uniform, uniform, uniform, uniform, uniform, uniform};
        ClassificationMetrics m = ClassificationMetrics.compute(labels, probs, 3);
        assertArrayEquals(new double[] {0.5, 0.5, 0.5}, m.perClassAuc(), EPS);
        assertEquals(0.5, m.macroAuc(), EPS);
        // Argmax ties go to class 0, so only the two class-0 samples are right: 2/6.
        assertEquals(1.0 / 3, m.accuracy(), EPS);
        assertArrayEquals(new long[][] {{2, 0, 0}, {2, 0, 0}, {2, 0, 0}}, m.confusionMatrix());
        assertEquals(Math.log(3), m.loss(), 1e-6);
    }

    @Test
    void argmaxTiesGoToLowestIndex() {
        int[] labels = {1, 2};
        float[][] probs = {{0.2f, 0.4f, 0.4f}, {0.1f, 0.45f, 0.45f}};
        ClassificationMetrics m = ClassificationMetrics.compute(labels, probs, 3);
        // Both rows are predicted as class 1.
        assertArrayEquals(new long[][] {{0, 0, 0}, {0, 1, 0}, {0, 1, 0}}, m.confusionMatrix());
    }

    @Test
    void lossClampsZeroProbability() {
        // p[label] = 0 -> clamped to 1e-12 -> loss -ln(1e-12) = 27.631021115928547; the other row is ln(1) = 0.
        int[] labels = {0, 1};
        float[][] probs = {{0f, 1f}, {0f, 1f}};
        ClassificationMetrics m = ClassificationMetrics.compute(labels, probs, 2);
        assertEquals(27.631021115928547 / 2, m.loss(), 1e-9);
    }

    @Test
    void toMapHasStableKeysAndKeepsNaN() {
        int[] labels = {0, 1, 0, 1};
        float[][] probs = {{0.8f, 0.1f, 0.1f}, {0.2f, 0.7f, 0.1f}, {0.2f, 0.2f, 0.6f}, {0.1f, 0.6f, 0.3f}};
        Map<String, Object> map = ClassificationMetrics.compute(labels, probs, 3).toMap();

        assertEquals(List.of("accuracy", "auc", "loss", "n", "per_class", "confusion_matrix", "auc_classes",
                "macro_f1"), List.copyOf(map.keySet()));
        assertEquals(0.75, (Double) map.get("accuracy"), EPS);
        assertEquals(0.9375, (Double) map.get("auc"), EPS);
        assertEquals(4L, map.get("n"));
        assertEquals(2, map.get("auc_classes"));
        assertEquals(List.of(List.of(1L, 0L, 1L), List.of(0L, 2L, 0L), List.of(0L, 0L, 0L)),
                map.get("confusion_matrix"));

        @SuppressWarnings("unchecked")
        List<Map<String, Object>> perClass = (List<Map<String, Object>>) map.get("per_class");
        assertEquals(3, perClass.size());
        Map<String, Object> absent = perClass.get(2);
        assertEquals(List.of("class", "precision", "recall", "auc", "support", "f1"),
                List.copyOf(absent.keySet()));
        assertEquals(2, absent.get("class"));
        assertEquals(0.0, (Double) absent.get("precision"), EPS);
        assertTrue(((Double) absent.get("recall")).isNaN());
        assertTrue(((Double) absent.get("auc")).isNaN());
        assertEquals(0L, absent.get("support"));
        assertEquals(1.0, (Double) perClass.get(1).get("auc"), EPS);
    }

    @Test
    void isImmutable() {
        int[] labels = BINARY_LABELS.clone();
        float[][] probs = {BINARY_PROBS[0].clone(), BINARY_PROBS[1].clone(), BINARY_PROBS[2].clone(),
            BINARY_PROBS[3].clone(), BINARY_PROBS[4].clone()};
        ClassificationMetrics m = ClassificationMetrics.compute(labels, probs, 2);
        labels[0] = 1;
        probs[0][0] = 0f;
        m.confusionMatrix()[0][0] = 99;
        m.perClassAuc()[0] = 99;
        assertEquals(ClassificationMetrics.compute(BINARY_LABELS, BINARY_PROBS, 2), m);
        assertEquals(2, m.confusionMatrix()[0][0]);
        assertEquals(5.0 / 6, m.auc(0), EPS);
    }

    // ---- validation: every message names the offending row ----

    @Test
    void rejectsLabelAboveRange() {
        int[] labels = {0, 1, 5};
        float[][] probs = {{0.5f, 0.5f}, {0.5f, 0.5f}, {0.5f, 0.5f}};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.compute(labels, probs, 2));
        assertTrue(e.getMessage().contains("row 2"), e.getMessage());
        assertTrue(e.getMessage().contains("label 5"), e.getMessage());
    }

    @Test
    void rejectsNegativeLabel() {
        int[] labels = {-1, 0};
        float[][] probs = {{0.5f, 0.5f}, {0.5f, 0.5f}};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.compute(labels, probs, 2));
        assertTrue(e.getMessage().contains("row 0"), e.getMessage());
        assertTrue(e.getMessage().contains("label -1"), e.getMessage());
    }

    @Test
    void rejectsRowOfWrongLength() {
        int[] labels = {0, 1};
        float[][] probs = {{0.5f, 0.5f}, {0.2f, 0.3f, 0.5f}};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.compute(labels, probs, 2));
        assertTrue(e.getMessage().contains("row 1"), e.getMessage());
        assertTrue(e.getMessage().contains("expected 2 probabilities, got 3"), e.getMessage());
    }

    @Test
    void rejectsNullRow() {
        int[] labels = {0, 1};
        float[][] probs = {{0.5f, 0.5f}, null};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.compute(labels, probs, 2));
        assertTrue(e.getMessage().contains("row 1"), e.getMessage());
    }

    @Test
    void rejectsNaNProbability() {
        int[] labels = {0, 1, 1, 0};
        float[][] probs = {{0.5f, 0.5f}, {0.5f, 0.5f}, {0.5f, 0.5f}, {0.5f, Float.NaN}};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.compute(labels, probs, 2));
        assertTrue(e.getMessage().contains("row 3"), e.getMessage());
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    }

    @Test
    void rejectsInfiniteProbability() {
        int[] labels = {0, 1};
        float[][] probs = {{Float.POSITIVE_INFINITY, 0f}, {0.5f, 0.5f}};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.compute(labels, probs, 2));
        assertTrue(e.getMessage().contains("row 0"), e.getMessage());
        assertTrue(e.getMessage().contains("Infinity"), e.getMessage());
    }

    @Test
    void rejectsEmptyInput() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.compute(new int[0], new float[0][], 2));
        assertTrue(e.getMessage().contains("no samples"), e.getMessage());
    }

    @Test
    void rejectsMismatchedLengths() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.compute(new int[] {0, 1}, new float[][] {{1f, 0f}}, 2));
        assertTrue(e.getMessage().contains("labels has 2 rows but probabilities has 1"), e.getMessage());
    }

    @Test
    void rejectsNullArraysAndBadClassCount() {
        assertThrows(IllegalArgumentException.class, () -> ClassificationMetrics.compute(null, BINARY_PROBS, 2));
        assertThrows(IllegalArgumentException.class, () -> ClassificationMetrics.compute(BINARY_LABELS, null, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.compute(BINARY_LABELS, BINARY_PROBS, 0));
        assertTrue(e.getMessage().contains("numClasses"), e.getMessage());
    }
}
