package io.metalr.spark;

import io.metalr.data.ImageSet;
import io.metalr.data.Shards;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The cached partitions a distributed run's rounds compute on, one {@link ShardData} per shard,
 * and their release. Built here and nowhere else, so another source of the shards' data (built on
 * the executors) can take this one's place.
 */
final class ShardPartitions implements AutoCloseable {

    private final JavaRDD<ShardData> data;
    private final List<Broadcast<ShardData>> parts;

    private ShardPartitions(JavaRDD<ShardData> data, List<Broadcast<ShardData>> parts) {
        this.data = data;
        this.parts = parts;
    }

    /**
     * Each shard reaches its executor once, by broadcast from the driver, and stays cached there
     * as a partition. Partitions made by parallelize(shards) would carry their data inside every
     * task of every round instead (a task ships its partition object even when it is cached).
     *
     * @param meta the meta source when it is not the training set (then cut by {@code metaShards}), else null
     */
    static ShardPartitions broadcast(JavaSparkContext sc, ImageSet train, Shards shards, ImageSet meta, Shards metaShards) {
        List<Broadcast<ShardData>> parts = new ArrayList<>();
        for (int s = 0; s < shards.count(); s++) {
            int[] members = shards.indices(s);
            ImageSet metaPart = null;
            int[] metaMembers = null;
            if (meta != null) {
                metaMembers = metaShards.indices(s);
                metaPart = meta.subset(meta.name() + "/shard" + s, metaMembers);
            }
            parts.add(sc.broadcast(new ShardData(s, train.subset(train.name() + "/shard" + s, members), members,
                    metaPart, metaMembers)));
        }
        List<Integer> ids = IntStream.range(0, shards.count()).boxed().toList();
        JavaRDD<ShardData> data = sc.parallelize(ids, shards.count()).map(i -> parts.get(i).value())
                .setName("metalr shards of " + train.name()).persist(StorageLevel.MEMORY_ONLY());
        return new ShardPartitions(data, parts);
    }

    JavaRDD<ShardData> rdd() {
        return data;
    }

    @Override
    public void close() {
        data.unpersist(false);
        parts.forEach(b -> b.destroy(false));
    }
}
