package io.metalr.eval;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The scores of a part of an evaluated split, as a task returns them: per image its key (its index
 * in the split, which follows rid order), label and class probabilities. The driver puts the parts
 * together in key order and computes the metrics once, so the AUC is exact over the same floats a
 * single process scores ({@link #metrics}).
 */
public record ScoreRows(int[] keys, int[] labels, float[][] probabilities) implements Serializable {

    public ScoreRows {
        if (keys.length != labels.length || keys.length != probabilities.length) {
            throw new IllegalArgumentException(keys.length + " keys, " + labels.length + " labels and "
                    + probabilities.length + " score rows");
        }
    }

    public int size() {
        return keys.length;
    }

    /**
     * These rows with {@code by} added to every key: a split's scores placed after the images of
     * the splits evaluated before it, when several are evaluated as one set.
     */
    public ScoreRows shifted(int by) {
        int[] k = keys.clone();
        for (int i = 0; i < k.length; i++) {
            k[i] += by;
        }
        return new ScoreRows(k, labels, probabilities);
    }

    /**
     * The metrics of the parts' images in ascending key order, as {@link ClassificationMetrics#compute}
     * gives them for the whole split; null when no part holds an image.
     */
    public static ClassificationMetrics metrics(List<ScoreRows> parts, int numClasses) {
        List<int[]> at = new ArrayList<>(); // (part, row) per image
        for (int p = 0; p < parts.size(); p++) {
            for (int r = 0; r < parts.get(p).size(); r++) {
                at.add(new int[] {p, r});
            }
        }
        if (at.isEmpty()) {
            return null;
        }
        at.sort(Comparator.comparingInt(a -> parts.get(a[0]).keys[a[1]]));
        int[] labels = new int[at.size()];
        float[][] prob = new float[at.size()][];
        for (int i = 0; i < labels.length; i++) {
            int[] a = at.get(i);
            labels[i] = parts.get(a[0]).labels[a[1]];
            prob[i] = parts.get(a[0]).probabilities[a[1]];
            if (i > 0 && parts.get(a[0]).keys[a[1]] == parts.get(at.get(i - 1)[0]).keys[at.get(i - 1)[1]]) {
                throw new IllegalStateException("two scores for image " + parts.get(a[0]).keys[a[1]] + " of the split");
            }
        }
        return ClassificationMetrics.compute(labels, prob, numClasses);
    }

    @Override
    public String toString() {
        return "ScoreRows[" + keys.length + " images, keys " + (keys.length == 0 ? "-" : keys[0] + ".." + keys[keys.length - 1])
                + "]";
    }
}
