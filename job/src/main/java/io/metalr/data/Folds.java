package io.metalr.data;

/**
 * Stratified k-fold assignment, by {@link Splits#folds}: every fold holds each class within one
 * image of its share; with patient ids, all images of a patient share a fold.
 */
public final class Folds {

    private Folds() {}

    /** The fold of each image (no patient ids: every image is its own group). */
    public static int[] assign(ImageSet data, int k, long seed) {
        return assign(data, null, k, seed);
    }

    /** The fold of each image, keeping each patient's images in one fold; patientIds may be null. */
    public static int[] assign(ImageSet data, String[] patientIds, int k, long seed) {
        if (k < 2 || k > data.size()) {
            throw new IllegalArgumentException("data.folds must be in 2.." + data.size() + ", got " + k);
        }
        int[] labels = new int[data.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = data.label(i);
        }
        return Splits.folds(labels, patientIds, k, seed);
    }

    /** The indices whose fold is (or is not) f. */
    public static int[] select(int[] fold, int f, boolean in) {
        return java.util.stream.IntStream.range(0, fold.length).filter(i -> (fold[i] == f) == in).toArray();
    }
}
