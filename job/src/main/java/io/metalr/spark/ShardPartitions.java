package io.metalr.spark;

import io.metalr.data.ImageSet;
import io.metalr.data.Shards;
import io.metalr.data.Splits;
import io.metalr.data.load.LoadedShards;
import io.metalr.data.load.LocalStores;
import io.metalr.data.load.StoreHandle;
import io.metalr.data.load.StoreKey;
import io.metalr.data.records.Placement;
import io.metalr.udf.image.Preprocessor;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * The partitions a distributed run's rounds and evaluations compute on, one per shard, each
 * giving its task the shard's {@link ShardData}; the shards of every split; and their release.
 * Built here and nowhere else, from one of two sources:
 * <ul>
 *   <li>{@link #broadcast}: sets the driver loaded, each shard broadcast once and cached as a partition;
 *   <li>{@link #fromStores}: stores the executors built ({@link io.metalr.data.load.SparkLoader}); a
 *       partition is the shard's store handles, and its task makes the ShardData from the stores in
 *       its JVM ({@link StoreShards}). The driver holds no pixels.
 * </ul>
 */
public final class ShardPartitions implements AutoCloseable {

    /** What a shard's task computes on its data. */
    interface ShardTask<R> extends Serializable {
        R apply(ShardData shard) throws Exception;
    }

    /** How the partitions are made, run and released. */
    private interface Source {
        <R> JavaRDD<R> run(ShardTask<R> task, R missing);

        /** One barrier task per shard, all running at once; the task gets null when the shard's data is not in its JVM. */
        <R> JavaRDD<R> barrier(ShardTask<R> task);

        /** Rebuilds what some task found missing; false when this source cannot. */
        boolean refresh(Consumer<String> log);

        void close();
    }

    private final Source source;
    private final String name;
    private final Shards train;
    private final Shards meta;
    private final Shards val;
    private final Shards test;
    private final int channels;
    private boolean closed;

    private ShardPartitions(Source source, String name, Shards train, Shards meta, Shards val, Shards test, int channels) {
        this.source = source;
        this.name = name;
        this.train = train;
        this.meta = meta;
        this.val = val;
        this.test = test;
        this.channels = channels;
    }

    /**
     * Each shard reaches its executor once, by broadcast from the driver, and stays cached there
     * as a partition. Partitions made by parallelize(shards) would carry their data inside every
     * task of every round instead (a task ships its partition object even when it is cached).
     *
     * @param test null: not evaluated
     */
    public static ShardPartitions broadcast(JavaSparkContext sc, ImageSet train, ImageSet val, ImageSet test, int count,
            long seed, boolean metaFromVal) {
        Shards shards = Shards.of(train, count, seed);
        Shards valShards = cut(val, count, seed);
        Shards testShards = cut(test, count, seed);
        Shards metaShards = metaFromVal ? Shards.of(val, count, seed) : shards;
        List<Broadcast<ShardData>> parts = new ArrayList<>();
        for (int s = 0; s < count; s++) {
            int[] members = shards.indices(s);
            ImageSet metaPart = null;
            int[] metaMembers = null;
            if (metaFromVal) {
                metaMembers = metaShards.indices(s);
                metaPart = val.subset(val.name() + "/shard" + s, metaMembers);
            }
            parts.add(sc.broadcast(new ShardData(s, train.subset(train.name() + "/shard" + s, members), members, metaPart,
                    metaMembers, part(val, valShards, s), part(test, testShards, s))));
        }
        List<Integer> ids = IntStream.range(0, count).boxed().toList();
        JavaRDD<ShardData> data = sc.parallelize(ids, count).map(i -> parts.get(i).value())
                .setName("metalr shards of " + train.name()).persist(StorageLevel.MEMORY_ONLY());
        Source src = new Source() {
            @Override
            public <R> JavaRDD<R> run(ShardTask<R> task, R missing) {
                return data.mapPartitions(it -> {
                    List<R> out = new ArrayList<>();
                    while (it.hasNext()) {
                        out.add(task.apply(it.next()));
                    }
                    return out.iterator();
                });
            }

            @Override
            public <R> JavaRDD<R> barrier(ShardTask<R> task) {
                return barrierStage(data, it -> task.apply(it.next()));
            }

            @Override
            public boolean refresh(Consumer<String> log) {
                return false; // a lost partition comes back from its broadcast: never missing
            }

            @Override
            public void close() {
                data.unpersist(false);
                parts.forEach(b -> b.destroy(false));
            }
        };
        return new ShardPartitions(src, train.name(), shards, metaShards, valShards, testShards, train.channels());
    }

    /**
     * The shards of the stores a {@link io.metalr.data.load.SparkLoader} load built: split s's shard
     * k is {@code Shards.of(labels of s, count, seed)}'s shard k (as the {@link Placement} cut
     * them), its store holding those images in rid order, that is in ascending index in the split.
     * A task whose store is not in its JVM (it ran off-locality, or its executor was replaced)
     * answers "missing", and {@link #refresh} rebuilds the stores from the same lineage. Closing
     * releases the stores on the executors. A split the load did not build has no shards here (an
     * evaluation loads only the splits it scores).
     *
     * @param pre turns a stored image into a model input
     */
    public static ShardPartitions fromStores(JavaSparkContext sc, LoadedShards loaded, Placement placement, Preprocessor pre,
            int numClasses, int count, long seed, boolean metaFromVal) {
        if (loaded.rdd() == null) {
            throw new IllegalArgumentException("stores of an in-process load cannot feed a Spark run");
        }
        Shards train = loadedShards(loaded, placement, Splits.TRAIN, count, seed);
        Shards val = loadedShards(loaded, placement, Splits.VAL, count, seed);
        Shards test = loadedShards(loaded, placement, Splits.TEST, count, seed);
        if (metaFromVal && (val == null || val.count() < count)) {
            throw new IllegalArgumentException("meta.source = val: the validation set's " + (val == null ? 0 : val.total())
                    + " images cannot give each of distributed.shards = " + count + " shards one");
        }
        Map<StoreKey, String> sha = new HashMap<>();
        loaded.handles().forEach(h -> sha.put(h.key(), h.sha256()));
        StoreShards view = new StoreShards(loaded.dataKey(), StoreShards.Pre.of(pre), numClasses, train, metaFromVal, val, test, sha);
        Source src = new StoreSource(sc, loaded, view);
        return new ShardPartitions(src, loaded.dataKey(), train, metaFromVal ? val : train, val, test, pre.channels());
    }

    /** The shards of a split the load built stores of; null when it built none (not asked, or empty). */
    private static Shards loadedShards(LoadedShards loaded, Placement p, int split, int count, long seed) {
        return loaded.handle(split, 0) == null ? null : shardsOf(p, split, count, seed);
    }

    /** The shards of a split's images, in its index order; null for an empty split. */
    private static Shards shardsOf(Placement p, int split, int count, long seed) {
        int n = 0;
        for (int i = 0; i < p.size(); i++) {
            if (p.split(i) == split) {
                n++;
            }
        }
        if (n == 0) {
            return null;
        }
        int[] labels = new int[n];
        for (int i = 0; i < p.size(); i++) {
            if (p.split(i) == split) {
                labels[p.position(i)] = p.label(i);
            }
        }
        return Shards.of(labels, Math.min(count, n), seed);
    }

    private static Shards cut(ImageSet set, int count, long seed) {
        return set == null || set.size() == 0 ? null : Shards.of(set, Math.min(count, set.size()), seed);
    }

    private static ShardData.Part part(ImageSet set, Shards shards, int s) {
        return shards == null || s >= shards.count() ? null
                : ShardData.part(set, shards.indices(s), set.name() + "/shard" + s);
    }

    /** What a barrier task computes from its partition. */
    private interface PartitionTask<T, R> extends Serializable {
        R apply(java.util.Iterator<T> partition) throws Exception;
    }

    /** One barrier task per partition of {@code rdd}, one result each (Spark's barrier mode has no Java API). */
    private static <T, R> JavaRDD<R> barrierStage(JavaRDD<T> rdd, PartitionTask<T, R> task) {
        scala.Function1<scala.collection.Iterator<T>, scala.collection.Iterator<R>> f =
                (scala.Function1<scala.collection.Iterator<T>, scala.collection.Iterator<R>> & Serializable) it -> {
                    try {
                        R r = task.apply(scala.jdk.javaapi.CollectionConverters.asJava(it));
                        return scala.jdk.javaapi.CollectionConverters.asScala(java.util.Collections.singletonList(r).iterator());
                    } catch (RuntimeException e) {
                        throw e;
                    } catch (Exception e) {
                        throw new IllegalStateException(e.getMessage(), e);
                    }
                };
        scala.reflect.ClassTag<R> tag = scala.reflect.ClassTag$.MODULE$.apply(Object.class);
        return new JavaRDD<>(rdd.rdd().barrier().mapPartitions(f, false, tag), tag);
    }

    /** The stores' partitions: the load's persisted handles, a partition per shard. */
    private static final class StoreSource implements Source {
        private final JavaSparkContext sc;
        private final String dataKey;
        private final Map<StoreKey, String> sha;
        private final StoreShards view;
        private JavaRDD<StoreHandle> handles;

        StoreSource(JavaSparkContext sc, LoadedShards loaded, StoreShards view) {
            this.sc = sc;
            this.dataKey = loaded.dataKey();
            this.handles = loaded.rdd();
            this.view = view;
            this.sha = new HashMap<>();
            loaded.handles().forEach(h -> sha.put(h.key(), h.sha256()));
        }

        @Override
        public <R> JavaRDD<R> run(ShardTask<R> task, R missing) {
            StoreShards v = view;
            return handles.mapPartitions(it -> {
                List<StoreHandle> hs = new ArrayList<>();
                it.forEachRemaining(hs::add);
                if (hs.isEmpty()) {
                    return java.util.Collections.emptyIterator();
                }
                ShardData d = v.shard(hs);
                return java.util.Collections.singletonList(d == null ? missing : task.apply(d)).iterator();
            });
        }

        @Override
        public <R> JavaRDD<R> barrier(ShardTask<R> task) {
            StoreShards v = view;
            return barrierStage(handles, it -> {
                List<StoreHandle> hs = new ArrayList<>();
                it.forEachRemaining(hs::add);
                return task.apply(hs.isEmpty() ? null : v.shard(hs));
            });
        }

        /**
         * Rebuilds the stores from the load's lineage (the shuffle's output when it is still there,
         * else the table): every shard is built anew and lands where Spark runs it; a store whose
         * content differs from the first build's (its SHA-256) fails the run.
         */
        @Override
        public boolean refresh(Consumer<String> log) {
            log.accept(dataKey + ": a shard's store is not where its task ran; rebuilding the stores");
            releaseOnEveryExecutor();
            handles.unpersist(true);
            handles.persist(StorageLevel.MEMORY_ONLY());
            for (StoreHandle h : handles.collect()) {
                String was = sha.get(h.key());
                if (!h.sha256().equals(was)) {
                    throw new IllegalStateException(h.key() + ": the rebuilt store's SHA-256 " + h.sha256()
                            + " is not the first build's " + was + ": the data changed during the run");
                }
            }
            return true;
        }

        /**
         * Releases the stores on every executor, not over the handles: a handle whose block was
         * lost would be rebuilt (its store decoded again) only to be released.
         */
        @Override
        public void close() {
            try {
                releaseOnEveryExecutor();
            } finally {
                handles.unpersist(false);
            }
        }

        /** The stores and the shard views made over them, on every executor of the application. */
        private void releaseOnEveryExecutor() {
            String key = dataKey;
            EveryExecutor.run(sc, () -> {
                LocalStores.release(key);
                StoreShards.forget(key);
            });
        }
    }

    <R> JavaRDD<R> run(ShardTask<R> task, R missing) {
        return source.run(task, missing);
    }

    /**
     * Runs {@code task} as one Spark barrier stage, a task per shard, all at once (the training
     * stage, {@link ResidentStage}); a task whose shard's data is not in its JVM gets null.
     */
    <R> JavaRDD<R> barrier(ShardTask<R> task) {
        return source.barrier(task);
    }

    boolean refresh(Consumer<String> log) {
        return source.refresh(log);
    }

    /** The training set's shards (the batch order); null when the load built no training stores. */
    Shards train() {
        return train;
    }

    /** The meta source's shards: the training set's, or the validation set's. */
    Shards meta() {
        return meta;
    }

    /** The validation set's shards; null when it is empty or not loaded. */
    Shards val() {
        return val;
    }

    /** The test set's shards; null when it is empty or not evaluated. */
    Shards test() {
        return test;
    }

    /** The shards of {@link Splits#TRAIN}, VAL or TEST; null when that split has none here. */
    Shards of(int split) {
        return switch (split) {
            case Splits.TRAIN -> train;
            case Splits.VAL -> val;
            case Splits.TEST -> test;
            default -> throw new IllegalArgumentException("no split " + split);
        };
    }

    int channels() {
        return channels;
    }

    String name() {
        return name;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            source.close();
        }
    }
}
