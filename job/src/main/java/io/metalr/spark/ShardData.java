package io.metalr.spark;

import io.metalr.data.ImageSet;
import io.metalr.data.Splits;

import java.io.Serializable;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * One shard's data as its rounds see it: the shard's training images and its part of the meta
 * source (the same images when meta batches come from the training set, else its stratified share
 * of the validation set), each with the mapping from the whole split's indices, which the batch
 * order speaks in, to positions here; and its shares of the validation and test sets, in ascending
 * split index (rid order), which the executors' evaluation scores. Either broadcast from the
 * driver or made on the executor over its stores ({@link ShardPartitions}).
 */
public final class ShardData implements Serializable {

    private static final long serialVersionUID = 3L;

    final int index;
    final ImageSet train;
    final ImageSet meta;
    private final Members trainMembers;
    private final Members metaMembers;
    /** The shard's share of a held-out split with each image's index in that split, ascending; null: none. */
    final Part val;
    final Part test;

    /** A held-out split's images of one shard, and their indices in the split (the sort key of the scores). */
    record Part(ImageSet images, int[] keys) implements Serializable {}

    /**
     * {@code meta} null: meta batches come from the shard's training images. {@code train} null:
     * an evaluation's data, without the training split.
     */
    ShardData(int index, ImageSet train, int[] members, ImageSet meta, int[] metaMembers, Part val, Part test) {
        this.index = index;
        this.train = train;
        this.trainMembers = new Members(index, members);
        this.meta = meta == null ? train : meta;
        this.metaMembers = meta == null ? trainMembers : new Members(index, metaMembers);
        this.val = val;
        this.test = test;
    }

    /** The images of {@code set} at {@code members} (its indices), sorted ascending: a part to evaluate. */
    static Part part(ImageSet set, int[] members, String name) {
        int[] keys = members.clone();
        Arrays.sort(keys);
        return new Part(set.subset(name, keys), keys);
    }

    /**
     * The shard's images of a split ({@link Splits#TRAIN}, VAL or TEST) with their indices in the
     * split, to score; null when it holds none of that split (or it was not loaded).
     */
    Part part(int split) {
        return switch (split) {
            case Splits.TRAIN -> train == null ? null : new Part(train, trainMembers.members);
            case Splits.VAL -> val;
            case Splits.TEST -> test;
            default -> throw new IllegalArgumentException("no split " + split);
        };
    }

    /** Positions in {@link #train} of training-set indices. */
    int[] local(int[] global) {
        return trainMembers.local(global);
    }

    /** Positions in {@link #meta} of meta-source indices. */
    int[] metaLocal(int[] global) {
        return metaMembers.local(global);
    }

    /** A shard's indices into a whole set, and their positions in the shard. */
    private static final class Members implements Serializable {
        private static final long serialVersionUID = 1L;
        private final int shard;
        private final int[] members;
        private transient Map<Integer, Integer> local;

        Members(int shard, int[] members) {
            this.shard = shard;
            this.members = members;
        }

        int[] local(int[] global) {
            if (local == null) {
                Map<Integer, Integer> m = new HashMap<>();
                for (int k = 0; k < members.length; k++) {
                    m.put(members[k], k);
                }
                local = m;
            }
            int[] out = new int[global.length];
            for (int i = 0; i < global.length; i++) {
                Integer k = local.get(global[i]);
                if (k == null) {
                    throw new IllegalStateException("index " + global[i] + " is not in shard " + shard);
                }
                out[i] = k;
            }
            return out;
        }
    }
}
