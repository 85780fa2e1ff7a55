package io.metalr.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class RocAucTest {

    private static final double EPS = 1e-12;

    @Test
    void perfectRankingIsOne() {
        float[] scores = {0.1f, 0.2f, 0.8f, 0.9f};
        boolean[] positive = {false, false, true, true};
        assertEquals(1.0, RocAuc.of(scores, positive), EPS);
    }

    @Test
    void invertedRankingIsZero() {
        float[] scores = {0.9f, 0.8f, 0.2f, 0.1f};
        boolean[] positive = {false, false, true, true};
        assertEquals(0.0, RocAuc.of(scores, positive), EPS);
    }

    @Test
    void allScoresEqualIsOneHalf() {
        // One tie group, mid-rank (1+4)/2 = 2.5 for all; R_pos = 5, U = 5 - 2*3/2 = 2, AUC = 2/(2*2) = 0.5.
        float[] scores = {0.3f, 0.3f, 0.3f, 0.3f};
        boolean[] positive = {true, false, true, false};
        assertEquals(0.5, RocAuc.of(scores, positive), EPS);
    }

    @Test
    void partialTiesUseMidRanks() {
        // Sorted: 0.2(neg) rank 1; 0.5,0.5,0.5 (pos,pos,neg) ranks 2..4, mid-rank 3.
        // R_pos = 3 + 3 = 6, U = 6 - 2*3/2 = 3, AUC = 3 / (2*2) = 0.75.
        // Pairwise: each positive beats 0.2 (1) and ties the negative 0.5 (0.5) -> 2 * 1.5 = 3 of 4.
        float[] scores = {0.5f, 0.2f, 0.5f, 0.5f};
        boolean[] positive = {true, false, true, false};
        assertEquals(0.75, RocAuc.of(scores, positive), EPS);
    }

    @Test
    void negativeZeroTiesWithZero() {
        // -0.0 and 0.0 are the same score: a tie, 0.5.
        float[] scores = {-0.0f, 0.0f};
        boolean[] positive = {true, false};
        assertEquals(0.5, RocAuc.of(scores, positive), EPS);
    }

    @Test
    void orderingOfNegativeScoresIsNumeric() {
        // Not produced by softmax, but the sort must still be numeric: positives -0.5, 2 above negatives -3, -1.
        float[] scores = {-3f, -0.5f, -1f, 2f};
        boolean[] positive = {false, true, false, true};
        assertEquals(1.0, RocAuc.of(scores, positive), EPS);
    }

    @Test
    void undefinedWithoutPositivesOrNegatives() {
        float[] scores = {0.1f, 0.2f};
        assertTrue(Double.isNaN(RocAuc.of(scores, new boolean[] {false, false})));
        assertTrue(Double.isNaN(RocAuc.of(scores, new boolean[] {true, true})));
    }

    @Test
    void matchesPairwiseCountOnRandomTiedScores() {
        Random random = new Random(7);
        for (int trial = 0; trial < 50; trial++) {
            int n = 2 + random.nextInt(60);
            float[] scores = new float[n];
            boolean[] positive = new boolean[n];
            for (int i = 0; i < n; i++) {
                scores[i] = random.nextInt(6) / 5f; // few distinct values, so many ties
                positive[i] = random.nextBoolean();
            }
            positive[0] = true;
            positive[1] = false;
            assertEquals(pairwiseAuc(scores, positive), RocAuc.of(scores, positive), 1e-12, "trial " + trial);
        }
    }

    /** The definition: P(score_pos > score_neg) + 0.5 P(tie), by brute force over all pairs. */
    private static double pairwiseAuc(float[] scores, boolean[] positive) {
        double wins = 0;
        long pairs = 0;
        for (int i = 0; i < scores.length; i++) {
            for (int j = 0; j < scores.length; j++) {
                if (positive[i] && !positive[j]) {
                    pairs++;
                    wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
                }
            }
        }
        return wins / pairs;
    }
}
