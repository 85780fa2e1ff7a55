package io.metalr.data.load;

import io.metalr.data.read.OnBadRecord;
import io.metalr.udf.image.BadRecordException;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.apache.spark.api.java.JavaRDD;

/**
 * The stores a load built, as the driver knows them: one small handle per (split, shard), sorted
 * by split then shard, the records left out as bad, and (after a Spark load) the persisted RDD of
 * the handles, one partition per shard, whose cached blocks say which executor holds a shard.
 */
public record LoadedShards(String dataKey, List<StoreHandle> handles, List<BadRecord> bad, JavaRDD<StoreHandle> rdd) {

    /**
     * The handles, checked: under {@link OnBadRecord#FAIL} a bad record throws its
     * {@link BadRecordException} (the lowest rid's, naming its row); under skip the bad records
     * stay out of the stores and are counted.
     */
    static LoadedShards of(String dataKey, List<StoreHandle> handles, OnBadRecord onBad, JavaRDD<StoreHandle> rdd) {
        List<StoreHandle> sorted = new ArrayList<>(handles);
        sorted.sort(Comparator.comparingInt((StoreHandle h) -> h.key().split()).thenComparingInt(h -> h.key().shard()));
        List<BadRecord> bad = new ArrayList<>();
        sorted.forEach(h -> bad.addAll(h.bad()));
        bad.sort(Comparator.comparingLong(BadRecord::rid));
        if (!bad.isEmpty()) {
            BadRecordException first = new BadRecordException(bad.get(0).message()
                    + (bad.size() > 1 ? " (and " + (bad.size() - 1) + " more bad records)" : ""));
            onBad.handle(first);
        }
        return new LoadedShards(dataKey, List.copyOf(sorted), List.copyOf(bad), rdd);
    }

    /** The handle of a split's shard, or null. */
    public StoreHandle handle(int split, int shard) {
        return handles.stream().filter(h -> h.key().split() == split && h.key().shard() == shard).findFirst().orElse(null);
    }

    /** Images stored, over all handles. */
    public long images() {
        return handles.stream().mapToLong(StoreHandle::count).sum();
    }

    /** Store file bytes, over all handles. */
    public long bytes() {
        return handles.stream().mapToLong(StoreHandle::bytes).sum();
    }
}
