package io.metalr.eval;

import java.util.Arrays;

/**
 * Exact binary ROC AUC through the Mann-Whitney U statistic, with mid-ranks for tied scores.
 *
 * <p>Exact rather than a thresholded curve, so small validation sets give the same number as scikit-learn's
 * {@code roc_auc_score}; a tie between a positive and a negative counts one half.
 */
final class RocAuc {

    private RocAuc() {
    }

    /**
     * AUC of {@code scores[i]} for separating {@code positive[i]} from the rest, or NaN when either side is empty
     * (the ranking is then undefined, not 0.5).
     */
    static double of(float[] scores, boolean[] positive) {
        int n = scores.length;
        long positives = 0;
        for (boolean p : positive) {
            if (p) {
                positives++;
            }
        }
        long negatives = n - positives;
        if (positives == 0 || negatives == 0) {
            return Double.NaN;
        }
        int[] order = ascendingOrder(scores);
        // Ranks are doubled so that mid-ranks stay integers and the rank sum is exact in a long.
        long doubledRankSum = 0;
        int start = 0;
        while (start < n) {
            int end = start;
            while (end + 1 < n && scores[order[end + 1]] == scores[order[start]]) {
                end++;
            }
            long doubledMidRank = (start + 1) + (end + 1); // mean of 1-based ranks start+1..end+1, times two
            for (int k = start; k <= end; k++) {
                if (positive[order[k]]) {
                    doubledRankSum += doubledMidRank;
                }
            }
            start = end + 1;
        }
        long doubledU = doubledRankSum - positives * (positives + 1);
        return doubledU / (2.0 * positives * negatives);
    }

    /** Indices of {@code scores} in ascending score order; sorts primitive longs to avoid boxing every index. */
    private static int[] ascendingOrder(float[] scores) {
        long[] keys = new long[scores.length];
        for (int i = 0; i < scores.length; i++) {
            keys[i] = ((long) sortableBits(scores[i]) << 32) | i;
        }
        Arrays.sort(keys);
        int[] order = new int[scores.length];
        for (int i = 0; i < keys.length; i++) {
            order[i] = (int) keys[i]; // low 32 bits: the index (always non-negative)
        }
        return order;
    }

    /** An int that orders like the float; negative floats have their magnitude bits flipped. */
    private static int sortableBits(float value) {
        int bits = Float.floatToIntBits(value + 0.0f); // + 0.0f folds -0.0 into 0.0, which must tie
        return bits ^ ((bits >> 31) & 0x7fffffff);
    }
}
