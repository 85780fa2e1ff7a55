package io.metalr.data.load;

import io.metalr.data.read.SparkTables;
import io.metalr.data.records.PartedSource;
import io.metalr.data.records.Placement;
import io.metalr.data.records.RecordImage;
import io.metalr.data.records.RecordSource;
import io.metalr.data.records.RecordTable;
import io.metalr.data.records.TableSource;
import io.metalr.udf.image.BadRecordException;
import io.metalr.udf.image.RawImage;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongPredicate;

import org.apache.spark.sql.Row;

/**
 * Builds the same stores as {@link SparkLoader}, in this JVM: the records stream here in rid order
 * (a table partition, or a source part, at a time), each goes to the store of its (split, shard),
 * through the same {@link StoreBuild}; so the files are bitwise those a Spark load writes. For
 * in-process runs and for checking the Spark load.
 */
public final class InProcessLoader {

    private InProcessLoader() {}

    public static LoadedShards load(RecordTable records, Placement placement, LoadSpec spec) {
        RecordSource source = records.source();
        String dataKey = DataKeys.of(source, placement, spec);
        int shards = 0;
        boolean[] wanted = new boolean[3];
        for (int s : spec.splits()) {
            wanted[s] = true;
            shards = Math.max(shards, placement.shardCount(s));
        }
        String owner = "driver-" + ProcessHandle.current().pid();
        List<StoreBuild[]> builds = new ArrayList<>();
        for (int k = 0; k < shards; k++) {
            builds.add(StoreBuild.forShard(dataKey, k, placement, spec, source, owner));
        }
        eachRecord(source, rid -> SparkLoader.isWanted(placement, wanted, rid), img -> {
            int i = placement.indexOf(img.rid());
            StoreBuild b = builds.get(placement.shard(i))[placement.split(i)];
            if (b != null) {
                b.add(new RecordContent(img.rid(), placement.label(i), img));
            }
        });
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

    /** What {@link #eachDecoded} hands on: a record's index, its image or why it is bad. */
    public interface Decoded {
        /**
         * @param index the record's place in the table
         * @param name what today's readers call the record (its file, else where it is)
         * @param image its image at source depth, or null when {@code bad} is set
         */
        void accept(int index, String name, RawImage image, BadRecordException bad);
    }

    /**
     * Every record of {@code records}, in rid order, fetched and decoded here, one at a time: for
     * an in-process load that holds no more than one image besides what {@code sink} keeps.
     */
    public static void eachDecoded(RecordTable records, long maxPixels, Decoded sink) {
        long[] rids = records.rids();
        RecordSource source = records.source();
        eachRecord(source, rid -> Arrays.binarySearch(rids, rid) >= 0, img -> {
            int i = Arrays.binarySearch(rids, img.rid());
            String name = img.file() != null ? img.file() : img.where();
            try {
                sink.accept(i, name, source.decode(img, maxPixels), null);
            } catch (BadRecordException e) {
                sink.accept(i, name, null, e);
            }
        });
    }

    /** Every record {@code wanted} accepts, in rid order, fetched (not decoded) as a task would fetch it. */
    static void eachRecord(RecordSource source, LongPredicate wanted, Consumer<RecordImage> sink) {
        if (source instanceof TableSource table) {
            Iterator<Row> rows = SparkTables.localRows(table.content().orderBy(TableSource.RID), table.path());
            while (rows.hasNext()) {
                Row row = rows.next();
                if (wanted.test(row.getLong(0))) {
                    sink.accept(table.image(row));
                }
            }
        } else {
            eachPart((PartedSource<?>) source, wanted, sink);
        }
    }

    private static <P extends Serializable> void eachPart(PartedSource<P> source,
            LongPredicate wanted, Consumer<RecordImage> sink) {
        for (P part : source.parts()) {
            try {
                source.read(part, wanted).forEachRemaining(sink);
            } catch (IOException e) {
                throw new UncheckedIOException(source.name() + ": " + e.getMessage(), e);
            }
        }
    }
}
