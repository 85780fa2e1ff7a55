package io.metalr.data.load;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.metalr.data.records.Placement;
import io.metalr.data.records.RecordTable;
import io.metalr.data.store.MappedStore;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongFunction;

import org.apache.spark.sql.SparkSession;

/**
 * Loads records both ways and checks them: every in-process store holds its placement's records in
 * rid order with their labels, and images bitwise equal to an independent reference; a Spark
 * load (local[2]) writes stores with the same SHA-256.
 */
public final class RecordLoads {

    private RecordLoads() {}

    /** Loads in-process and on Spark, checks both; returns the Spark load (release it). */
    public static LoadedShards checkBothWays(SparkSession spark, RecordTable rec, Placement p, LoadSpec spec,
            LongFunction<float[]> reference) {
        LoadedShards local = InProcessLoader.load(rec, p, spec);
        checkStores(rec, p, local, reference);
        List<String> localSha = new ArrayList<>();
        local.handles().forEach(h -> localSha.add(h.key() + " " + h.count() + " " + h.bytes() + " " + h.sha256()));
        LoadedShards sparked = SparkLoader.load(spark, rec, p, spec);
        List<String> sparkSha = new ArrayList<>();
        sparked.handles().forEach(h -> sparkSha.add(h.key() + " " + h.count() + " " + h.bytes() + " " + h.sha256()));
        assertEquals(localSha, sparkSha, "Spark stores equal the in-process stores");
        assertEquals(local.bad(), sparked.bad());
        return sparked;
    }

    /** Every store against the placement and the reference images. */
    public static void checkStores(RecordTable rec, Placement p, LoadedShards loaded, LongFunction<float[]> reference) {
        long[] rids = rec.rids();
        List<Long> bad = new ArrayList<>();
        loaded.bad().forEach(b -> bad.add(b.rid()));
        for (StoreHandle h : loaded.handles()) {
            MappedStore s = LocalStores.get(h.key());
            assertNotNull(s, h.key().toString());
            List<Long> expected = new ArrayList<>();
            for (int i = 0; i < p.size(); i++) {
                if (p.split(i) == h.key().split() && p.shard(i) == h.key().shard() && !bad.contains(p.rid(i))) {
                    expected.add(p.rid(i));
                }
            }
            assertEquals(expected.size(), s.size(), h.key() + " holds its placement's records");
            for (int k = 0; k < s.size(); k++) {
                long rid = s.rid(k);
                assertEquals(expected.get(k), rid);
                assertEquals(rec.labels()[Arrays.binarySearch(rids, rid)], s.label(k));
                assertArrayEquals(reference.apply(rid), s.image(k).data(), "image of " + rec.where(rid));
            }
        }
    }
}
