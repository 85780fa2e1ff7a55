package io.metalr.spark;

import io.metalr.data.ImageSet;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;

/**
 * One shard as its partition caches it: the shard's decoded training images (and its part of the
 * meta source), with the mapping from the data set's indices, which the batch order speaks in, to
 * positions in this shard.
 */
public final class ShardData implements Serializable {

    private static final long serialVersionUID = 1L;

    final int index;
    final ImageSet train;
    final int[] members;
    private transient Map<Integer, Integer> local;

    ShardData(int index, ImageSet train, int[] members) {
        this.index = index;
        this.train = train;
        this.members = members;
    }

    /** Positions in {@link #train} of data-set indices. */
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
                throw new IllegalStateException("index " + global[i] + " is not in shard " + index);
            }
            out[i] = k;
        }
        return out;
    }
}
