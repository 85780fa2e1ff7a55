package io.metalr.spark;

import io.metalr.data.ImageSet;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;

/**
 * One shard as its partition caches it: the shard's decoded training images and its part of the
 * meta source (the same images when meta batches come from the training set, else its stratified
 * share of the validation set), each with the mapping from the whole set's indices, which the
 * batch order speaks in, to positions here.
 */
public final class ShardData implements Serializable {

    private static final long serialVersionUID = 2L;

    final int index;
    final ImageSet train;
    final ImageSet meta;
    private final Members trainMembers;
    private final Members metaMembers;

    /** {@code meta} null: meta batches come from the shard's training images. */
    ShardData(int index, ImageSet train, int[] members, ImageSet meta, int[] metaMembers) {
        this.index = index;
        this.train = train;
        this.trainMembers = new Members(index, members);
        this.meta = meta == null ? train : meta;
        this.metaMembers = meta == null ? trainMembers : new Members(index, metaMembers);
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
