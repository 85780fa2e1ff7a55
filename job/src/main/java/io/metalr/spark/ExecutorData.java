package io.metalr.spark;

import io.metalr.config.JobConfig;
import io.metalr.data.DataSets;
import io.metalr.data.Splits;
import io.metalr.data.load.BadRecord;
import io.metalr.data.load.LoadSpec;
import io.metalr.data.load.LoadedShards;
import io.metalr.data.load.LocalStores;
import io.metalr.data.load.SparkLoader;
import io.metalr.data.load.StoreHandle;
import io.metalr.data.read.OnBadRecord;
import io.metalr.data.read.SparkTables;
import io.metalr.data.records.Placement;
import io.metalr.data.records.RecordSources;
import io.metalr.data.records.RecordTable;
import io.metalr.data.store.MappedStore;
import io.metalr.report.RecordNames;
import io.metalr.udf.image.BadRecordException;
import io.metalr.udf.image.Preprocessor;

import org.apache.spark.api.java.JavaSparkContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.LongStream;

/**
 * A distributed run's data as the executors load it: the records on the driver (ids, labels,
 * patients, splits; no image), their {@link Placement} into splits and shards, the stores the
 * executors build ({@link SparkLoader}), and the preprocessing. The driver holds no pixels; what it
 * learns of the images are the stores' counts, sizes and SHA-256, and (when {@code data.image_size}
 * or {@code data.channels} is 0) their shapes. A format takes this path once it has a
 * {@link RecordTable} source ({@link RecordSources}).
 */
public final class ExecutorData implements AutoCloseable {

    private final RecordTable records;
    private final Placement placement;
    private final LoadedShards loaded;
    private final Preprocessor pre;
    private final String description;
    private final ShardPartitions partitions;
    private final double recordsSeconds;
    private final double loadSeconds;

    private ExecutorData(RecordTable records, Placement placement, LoadedShards loaded, Preprocessor pre, String description,
            ShardPartitions partitions, double recordsSeconds, double loadSeconds) {
        this.recordsSeconds = recordsSeconds;
        this.loadSeconds = loadSeconds;
        this.records = records;
        this.placement = placement;
        this.loaded = loaded;
        this.pre = pre;
        this.description = description;
        this.partitions = partitions;
    }

    /** Whether the configured data has a record source ({@link RecordSources}), so a distributed run's executors load it. */
    public static boolean supports(JobConfig cfg) {
        return RecordSources.has(cfg.word("data.format"));
    }

    /**
     * Reads the records, places them and has the executors build the stores of train, val and
     * (unless {@code eval.test = false}) test, {@code shards} shards each. A failed load releases
     * what it built. Under {@code data.onBadRecord = skip}, every split is loaded (test too), and
     * records whose images did not decode, or (with {@code data.image_size = 0}) are not of the
     * set's size, are dropped and the rest split, placed and loaded again: the single-process load
     * drops them before its split too, and the two runs must be one.
     */
    public static ExecutorData load(JobConfig cfg, JavaSparkContext sc, int shards, Consumer<String> log) {
        List<Integer> splits = cfg.bool("eval.test") ? List.of(Splits.TRAIN, Splits.VAL, Splits.TEST)
                : List.of(Splits.TRAIN, Splits.VAL);
        return load(cfg, sc, shards, splits, cfg.word("meta.source").equals("val"), log);
    }

    /**
     * As {@link #load(JobConfig, JavaSparkContext, int, Consumer)}, only the stores of {@code splits}
     * ({@link Splits#TRAIN}, VAL, TEST), to evaluate them: no meta source. None of them holding a
     * record is bad data.
     */
    public static ExecutorData load(JobConfig cfg, JavaSparkContext sc, int shards, List<Integer> splits, Consumer<String> log) {
        return load(cfg, sc, shards, splits, false, log);
    }

    private static ExecutorData load(JobConfig cfg, JavaSparkContext sc, int shards, List<Integer> wanted, boolean metaFromVal,
            Consumer<String> log) {
        long started = System.nanoTime();
        RecordTable records;
        try {
            records = RecordSources.of(cfg);
        } catch (IOException e) {
            throw new UncheckedIOException("data.path " + cfg.string("data.path") + ": " + e.getMessage(), e);
        }
        if (records == null) {
            throw new IllegalArgumentException("data.format = " + cfg.word("data.format") + " has no record source yet");
        }
        double recordsSeconds = (System.nanoTime() - started) / 1e9;
        boolean skip = OnBadRecord.parse(cfg.string("data.onBadRecord")) == OnBadRecord.SKIP;
        // under skip every split is decoded (even those not wanted), so that all bad records drop out before the split
        List<Integer> splits = skip ? List.of(Splits.TRAIN, Splits.VAL, Splits.TEST) : wanted;
        Load load = Load.of(cfg, sc, records, shards, splits, wanted);
        double loadSeconds = load.seconds;
        long[] bad = skip ? load.skipped(cfg) : new long[0];
        if (bad.length > 0) {
            // the split and the shards counted these records: drop them and place the others anew
            load.release(sc);
            log.accept(bad.length + " bad records (skipped); splitting and loading the others again");
            records = records.without(bad);
            recordsSeconds += load.placeSeconds;
            load = Load.of(cfg, sc, records, shards, splits, wanted);
            loadSeconds += load.seconds;
            if (!load.loaded.bad().isEmpty()) {
                load.release(sc);
                throw new BadRecordException(load.loaded.bad().get(0).message() + ": decoded in the first load of "
                        + records.name() + " but not in the second (did the data change during the run?)");
            }
        }
        ExecutorData out = null;
        try {
            LoadedShards loaded = load.loaded;
            log.accept(String.format("stores: %d images, %.1f MB on the executors, built in %.1fs", loaded.images(),
                    loaded.bytes() / 1e6, load.seconds));
            RecordTable recs = records;
            Preprocessor pre = DataSets.preprocessor(cfg, () -> typicalShape(cfg, recs, loaded));
            int count = records.size();
            String description = records.name() + ": " + count + " images " + pre.channels() + "x" + pre.height() + "x"
                    + pre.width() + ", " + records.numClasses() + " classes " + records.classNames()
                    + (records.skipped() > 0 ? ", " + records.skipped() + " bad records skipped" : "")
                    + "\n" + load.split.describe(records.classNames(), RecordNames.of(cfg));
            ShardPartitions parts = ShardPartitions.fromStores(sc, loaded, load.placement, pre, records.numClasses(), shards,
                    cfg.integer("train.seed"), metaFromVal);
            out = new ExecutorData(records, load.placement, loaded, pre, description, parts,
                    recordsSeconds + load.placeSeconds, loadSeconds);
            return out;
        } finally {
            if (out == null) {
                load.release(sc);
            }
        }
    }

    /** One placement of the records and the stores the executors built for it. */
    private record Load(Splits.Assignment split, Placement placement, LoadedShards loaded, double placeSeconds,
            double seconds) {

        static Load of(JobConfig cfg, JavaSparkContext sc, RecordTable records, int shards, List<Integer> splits,
                List<Integer> wanted) {
            long started = System.nanoTime();
            long seed = cfg.integer("train.seed");
            Splits.Assignment a = Splits.assign(records.labels(), records.patients(), records.givenSplits(),
                    DataSets.ratios(cfg), seed);
            Placement placement = Placement.of(records, a, seed, shards);
            if (wanted.stream().allMatch(s -> placement.shardCount(s) == 0)) {
                throw new BadRecordException(records.name() + ": the " + wanted.stream().map(Splits.NAMES::get).toList()
                        + " split(s) hold no images");
            }
            LoadSpec spec = new LoadSpec(splits, cfg.dataLimits().maxImagePixels(),
                    OnBadRecord.parse(cfg.string("data.onBadRecord")), cfg.string("data.cache.dir").trim());
            Set<String> before = LocalStores.dataKeys();
            long t0 = System.nanoTime();
            try {
                LoadedShards loaded = SparkLoader.load(SparkTables.session(), records, placement, spec);
                return new Load(a, placement, loaded, (t0 - started) / 1e9, (System.nanoTime() - t0) / 1e9);
            } catch (RuntimeException e) {
                LocalStores.releaseAllBut(sc, before);
                throw e;
            }
        }

        /**
         * The rids of the records a single-process load skips before its split (under skip): those
         * that did not decode and, with {@code data.image_size = 0}, those not of the most common size.
         */
        long[] skipped(JobConfig cfg) {
            LongStream bad = loaded.bad().stream().mapToLong(BadRecord::rid);
            if (cfg.integer("data.image_size") == 0) {
                List<Integer> typical = typical(shapes(loaded));
                bad = LongStream.concat(bad, LongStream.of(otherSizes(loaded, typical.get(1), typical.get(2))));
            }
            return bad.toArray();
        }

        /** Its stores, released on every executor, and their handles unpersisted. */
        void release(JavaSparkContext sc) {
            LocalStores.releaseEverywhere(sc, loaded.dataKey());
            loaded.rdd().unpersist(false);
        }
    }

    /** The partitions the run computes on; the engine that takes them closes them. */
    public ShardPartitions partitions() {
        return partitions;
    }

    public int channels() {
        return pre.channels();
    }

    public int numClasses() {
        return records.numClasses();
    }

    public LoadedShards loaded() {
        return loaded;
    }

    /** The data set's name (the table, folder or file). */
    public String name() {
        return records.name();
    }

    /** Records read on the driver. */
    public int records() {
        return records.size();
    }

    /** Seconds reading the records and placing them (twice after skipped bad records), on the driver. */
    public double recordsSeconds() {
        return recordsSeconds;
    }

    /** Seconds of the executors' load (scan, shuffle, decode, stores written; both loads after skipped bad records). */
    public double loadSeconds() {
        return loadSeconds;
    }

    /** What the run's outputs say of the data: classes, skipped records, description, preprocessing; no image sets. */
    public DataSets.Loaded outputs() {
        return new DataSets.Loaded(null, null, null, records.classNames(), records.skipped(), description, pre);
    }

    /**
     * The run's fingerprint: config and model as {@link RunFingerprint#of}, the data as the
     * placement's digest and, per split, its image count and the SHA-256 of its stores' SHA-256 in
     * shard order (the stores hash their content as they are written: nothing is read again).
     */
    public RunFingerprint fingerprint(JobConfig cfg, MetaMode mode, Map<String, float[]> initial) {
        Map<String, String> data = new HashMap<>();
        data.put("data.placement_sha256", java.util.HexFormat.of().formatHex(placement.digest()));
        for (int s = 0; s < 3; s++) {
            List<String> shas = new ArrayList<>();
            long images = 0;
            for (StoreHandle h : loaded.handles()) {
                if (h.key().split() == s) {
                    shas.add(h.sha256());
                    images += h.count();
                }
            }
            if (!shas.isEmpty()) {
                data.put("data.images." + Splits.NAMES.get(s), Long.toString(images));
                data.put("data.sha256." + Splits.NAMES.get(s), sha256(String.join(",", shas)));
            }
        }
        return RunFingerprint.of(cfg, partitions.train().count(), mode, initial, data);
    }

    @Override
    public void close() {
        partitions.close();
    }

    /**
     * The stores' most common shape (channels, height, width; of equally common ones the lowest
     * rid's, as the single-process load picks). With {@code data.image_size = 0}, an image of
     * another size fails, naming it (under skip {@link #load} dropped them).
     */
    private static int[] typicalShape(JobConfig cfg, RecordTable records, LoadedShards loaded) {
        Map<List<Integer>, long[]> shapes = shapes(loaded);
        List<Integer> typical = typical(shapes);
        if (cfg.integer("data.image_size") == 0) {
            for (Map.Entry<List<Integer>, long[]> e : shapes.entrySet()) {
                if (!e.getKey().subList(1, 3).equals(typical.subList(1, 3))) {
                    throw new BadRecordException(records.where(e.getValue()[1]) + ": image is " + e.getKey().get(1) + "x"
                            + e.getKey().get(2) + " but the set's images are " + typical.get(1) + "x" + typical.get(2)
                            + " (set data.image_size to resize them all)");
                }
            }
        }
        return typical.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The most common of {@link #shapes}; of equally common ones, the lowest rid's. */
    private static List<Integer> typical(Map<List<Integer>, long[]> shapes) {
        return shapes.entrySet().stream()
                .max(java.util.Comparator.comparingLong((Map.Entry<List<Integer>, long[]> e) -> e.getValue()[0])
                        .thenComparingLong(e -> -e.getValue()[1]))
                .orElseThrow().getKey();
    }

    /** The rids of the stored images not {@code height} x {@code width}. */
    private static long[] otherSizes(LoadedShards loaded, int height, int width) {
        return loaded.rdd().mapPartitions(it -> {
            List<Long> rids = new ArrayList<>();
            while (it.hasNext()) {
                MappedStore s = store(it.next());
                for (int i = 0; i < s.size(); i++) {
                    if (s.height(i) != height || s.width(i) != width) {
                        rids.add(s.rid(i));
                    }
                }
            }
            return rids.iterator();
        }).collect().stream().mapToLong(Long::longValue).toArray();
    }

    /** The store of a cached handle, in this executor. */
    private static MappedStore store(StoreHandle h) {
        MappedStore s = LocalStores.get(h.key());
        if (s == null) {
            throw new IllegalStateException(h.key() + ": the store is not in the JVM of its cached handle");
        }
        return s;
    }

    /** (channels, height, width) of the stored images -> {count, lowest rid}, from the executors' stores. */
    private static Map<List<Integer>, long[]> shapes(LoadedShards loaded) {
        List<Map<List<Integer>, long[]>> parts = loaded.rdd().mapPartitions(it -> {
            Map<List<Integer>, long[]> m = new HashMap<>();
            while (it.hasNext()) {
                MappedStore s = store(it.next());
                for (int i = 0; i < s.size(); i++) {
                    long rid = s.rid(i);
                    m.merge(List.of(s.channels(i), s.height(i), s.width(i)), new long[] {1, rid},
                            (x, y) -> new long[] {x[0] + y[0], Math.min(x[1], y[1])});
                }
            }
            return List.of(m).iterator();
        }).collect();
        Map<List<Integer>, long[]> all = new HashMap<>();
        parts.forEach(m -> m.forEach((k, v) -> all.merge(k, v, (x, y) -> new long[] {x[0] + y[0], Math.min(x[1], y[1])})));
        return all;
    }

    private static String sha256(String text) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
