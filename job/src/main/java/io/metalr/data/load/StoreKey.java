package io.metalr.data.load;

import io.metalr.data.Splits;

import java.io.Serializable;

/** Which store: a data set's key (the same for the same records and placement), a split, a shard of it. */
public record StoreKey(String dataKey, int split, int shard) implements Serializable {

    /** {@code train-0}, {@code val-1}: the store's file name without its suffix. */
    public String fileStem() {
        return Splits.NAMES.get(split) + "-" + shard;
    }

    @Override
    public String toString() {
        return dataKey + "/" + fileStem();
    }
}
