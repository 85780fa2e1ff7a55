package io.metalr.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Stratified k-fold assignment: each class's images are shuffled with the seed and dealt round
 * robin over the folds, so every fold holds each class within one image of its share.
 */
public final class Folds {

    private Folds() {}

    /** The fold of each image. */
    public static int[] assign(ImageSet data, int k, long seed) {
        if (k < 2 || k > data.size()) {
            throw new IllegalArgumentException("data.folds must be in 2.." + data.size() + ", got " + k);
        }
        int[] fold = new int[data.size()];
        int next = 0;
        for (int c = 0; c < data.numClasses(); c++) {
            List<Integer> members = new ArrayList<>();
            for (int i = 0; i < data.size(); i++) {
                if (data.label(i) == c) {
                    members.add(i);
                }
            }
            int[] order = BatchOrder.permutation(members.size(), new SplittableRandom(BatchOrder.mix(seed, c, 0xF01D)));
            for (int j : order) {
                fold[members.get(j)] = next++ % k;
            }
        }
        return fold;
    }

    /** The indices whose fold is (or is not) f. */
    public static int[] select(int[] fold, int f, boolean in) {
        return java.util.stream.IntStream.range(0, fold.length).filter(i -> (fold[i] == f) == in).toArray();
    }
}
