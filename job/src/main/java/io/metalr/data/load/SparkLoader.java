package io.metalr.data.load;

import io.metalr.data.records.PartedSource;
import io.metalr.data.records.Placement;
import io.metalr.data.records.RecordImage;
import io.metalr.data.records.RecordSource;
import io.metalr.data.records.RecordTable;
import io.metalr.data.records.TableSource;
import io.metalr.data.read.SparkTables;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

import scala.Tuple2;

/**
 * Builds the stores on the executors: every task reads its part of the source straight from
 * storage (a slice of a Parquet table, or one {@link PartedSource} part: a chunk of a file list,
 * a row range of an array), keeps the records of the wanted splits (looked up by rid in the
 * broadcast {@link Placement}), and sends each (PNG/JPEG still encoded, arrays as codes) to the
 * task of its shard; that task decodes its records in (split, rid) order and writes one store per
 * split into its executor's local dir ({@link LocalStores}). The driver gets back only the
 * {@link StoreHandle}s: counts, sizes, SHA-256, executor ids and the bad records (as markers, so a
 * bad image costs no retry).
 */
public final class SparkLoader {

    private SparkLoader() {}

    public static LoadedShards load(SparkSession spark, RecordTable records, Placement placement, LoadSpec spec) {
        RecordSource source = records.source();
        String dataKey = DataKeys.of(source, placement, spec);
        int shards = 0;
        boolean[] wanted = new boolean[3];
        for (int s : spec.splits()) {
            wanted[s] = true;
            shards = Math.max(shards, placement.shardCount(s));
        }
        if (shards == 0) {
            throw new IllegalArgumentException("no records in splits " + spec.splits());
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<Placement> where = jsc.broadcast(placement);
        JavaPairRDD<ShardKey, RecordContent> keyed;
        if (source instanceof TableSource table) {
            keyed = table.content().javaRDD().flatMapToPair(row -> routed(where.value(), wanted, table.image(row)));
        } else {
            keyed = parted((PartedSource<?>) source, jsc, where, wanted);
        }
        JavaRDD<StoreHandle> handles = keyed
                .repartitionAndSortWithinPartitions(new ShardKey.ByShard(shards), new ShardKey.Order())
                .mapPartitionsWithIndex((shard, it) -> build(dataKey, shard, it, where.value(), spec, source), true);
        handles.persist(StorageLevel.MEMORY_ONLY());
        try {
            List<StoreHandle> all = SparkTables.guarded(handles::collect, records.name());
            return LoadedShards.of(dataKey, all, spec.onBad(), handles);
        } catch (RuntimeException e) {
            // nothing will train on them; the executors remove the store files when they exit
            handles.unpersist(false);
            throw e;
        }
    }

    /** One task per part; a task reads only the records of its part the placement wants. */
    private static <P extends Serializable> JavaPairRDD<ShardKey, RecordContent> parted(PartedSource<P> source,
            JavaSparkContext jsc, Broadcast<Placement> where, boolean[] wanted) {
        List<P> parts = source.parts();
        return jsc.parallelize(parts, Math.max(1, parts.size())).flatMapToPair(part -> {
            Placement p = where.value();
            Iterator<RecordImage> read = source.read(part, rid -> isWanted(p, wanted, rid));
            return new Iterator<Tuple2<ShardKey, RecordContent>>() {
                @Override
                public boolean hasNext() {
                    return read.hasNext();
                }

                @Override
                public Tuple2<ShardKey, RecordContent> next() {
                    return routed(p, wanted, read.next()).next();
                }
            };
        });
    }

    static boolean isWanted(Placement p, boolean[] wanted, long rid) {
        int i = p.indexOf(rid);
        return i >= 0 && p.split(i) >= 0 && wanted[p.split(i)];
    }

    private static Iterator<Tuple2<ShardKey, RecordContent>> routed(Placement p, boolean[] wanted, RecordImage img) {
        if (!isWanted(p, wanted, img.rid())) {
            return Collections.emptyIterator();
        }
        int i = p.indexOf(img.rid());
        ShardKey k = new ShardKey(p.shard(i), p.split(i), p.rid(i));
        return List.of(new Tuple2<>(k, new RecordContent(img.rid(), p.label(i), img))).iterator();
    }

    /** One shard's task: a store per wanted split (empty when the split has no records in this shard). */
    private static Iterator<StoreHandle> build(String dataKey, int shard, Iterator<Tuple2<ShardKey, RecordContent>> it,
            Placement placement, LoadSpec spec, RecordSource source) {
        String executor = SparkEnv.get() == null ? "driver" : SparkEnv.get().executorId();
        StoreBuild[] builds = StoreBuild.forShard(dataKey, shard, placement, spec, source,
                executor + "-" + ProcessHandle.current().pid());
        while (it.hasNext()) {
            RecordContent r = it.next()._2();
            builds[placement.split(placement.indexOf(r.rid()))].add(r);
        }
        List<StoreHandle> out = new ArrayList<>();
        for (StoreBuild b : builds) {
            if (b != null) {
                out.add(b.finish(executor));
            }
        }
        return out.iterator();
    }
}
