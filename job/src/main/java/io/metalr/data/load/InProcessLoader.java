package io.metalr.data.load;

import io.metalr.data.read.SparkTables;
import io.metalr.data.records.Placement;
import io.metalr.data.records.RecordTable;
import io.metalr.data.records.TableSource;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import org.apache.spark.sql.Row;

/**
 * Builds the same stores as {@link SparkLoader}, in this JVM: the table's rows stream here in rid
 * order (a partition at a time), each goes to the store of its (split, shard), through the same
 * {@link StoreBuild}; so the files are bitwise those a Spark load writes. For in-process runs and
 * for checking the Spark load.
 */
public final class InProcessLoader {

    private InProcessLoader() {}

    public static LoadedShards load(RecordTable records, Placement placement, LoadSpec spec) {
        TableSource source = records.source();
        String dataKey = DataKeys.of(source, placement, spec);
        int shards = 0;
        for (int s : spec.splits()) {
            shards = Math.max(shards, placement.shardCount(s));
        }
        String owner = "driver-" + ProcessHandle.current().pid();
        List<StoreBuild[]> builds = new ArrayList<>();
        for (int k = 0; k < shards; k++) {
            builds.add(StoreBuild.forShard(dataKey, k, placement, spec, source, owner));
        }
        Iterator<Row> rows = SparkTables.localRows(source.content().orderBy(TableSource.RID), source.path());
        while (rows.hasNext()) {
            Row row = rows.next();
            int i = placement.indexOf(row.getLong(0));
            if (i < 0 || placement.split(i) < 0) {
                continue;
            }
            StoreBuild b = builds.get(placement.shard(i))[placement.split(i)];
            if (b != null) {
                b.add(RecordContent.of(row, placement.label(i), source));
            }
        }
        List<StoreHandle> handles = new ArrayList<>();
        for (StoreBuild[] shard : builds) {
            for (StoreBuild b : shard) {
                if (b != null) {
                    handles.add(b.finish("driver"));
                }
            }
        }
        try {
            return LoadedShards.of(dataKey, handles, spec.onBad(), null);
        } catch (RuntimeException e) {
            LocalStores.release(dataKey); // nothing will train on them
            throw e;
        }
    }
}
