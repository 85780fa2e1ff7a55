package io.metalr.spark;

import io.metalr.config.JobConfig;
import io.metalr.data.DataSets;
import io.metalr.data.Splits;
import io.metalr.data.load.LoadSpec;
import io.metalr.data.load.LoadedShards;
import io.metalr.data.load.LocalStores;
import io.metalr.data.load.SparkLoader;
import io.metalr.data.load.StoreHandle;
import io.metalr.data.read.DataPaths;
import io.metalr.data.read.OnBadRecord;
import io.metalr.data.read.SparkTables;
import io.metalr.data.records.Placement;
import io.metalr.data.records.RecordTable;
import io.metalr.data.records.TableRecords;
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

/**
 * A distributed run's data as the executors load it: the records on the driver (ids, labels,
 * patients, splits; no image), their {@link Placement} into splits and shards, the stores the
 * executors build ({@link SparkLoader}), and the preprocessing. The driver holds no pixels; what it
 * learns of the images are the stores' counts, sizes and SHA-256, and (when {@code data.image_size}
 * or {@code data.channels} is 0) their shapes. A format takes this path once it has a
 * {@link RecordTable} source ({@link #records}).
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

    /** Whether {@code data.format} has a record source, so a distributed run's executors load it. */
    public static boolean supports(String format) {
        return format.equals("table");
    }

    /** The records of the configured data, read on the driver without their images. */
    static RecordTable records(JobConfig cfg) throws IOException {
        String format = cfg.word("data.format");
        String path = cfg.string("data.path").trim();
        if (path.isEmpty()) {
            throw new IllegalArgumentException("data.path is empty, but data.format = " + format + " reads from it");
        }
        OnBadRecord onBad = OnBadRecord.parse(cfg.string("data.onBadRecord"));
        return switch (format) {
            case "table" -> TableRecords.read(path, onBad, null, DataPaths.configuration());
            default -> throw new IllegalArgumentException("data.format = " + format + " has no record source yet");
        };
    }

    /**
     * Reads the records, places them and has the executors build the stores of train, val and
     * (unless {@code eval.test = false}) test, {@code shards} shards each. A failed load releases
     * what it built.
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

    private static ExecutorData load(JobConfig cfg, JavaSparkContext sc, int shards, List<Integer> splits, boolean metaFromVal,
            Consumer<String> log) {
        long started = System.nanoTime();
        RecordTable records;
        try {
            records = records(cfg);
        } catch (IOException e) {
            throw new UncheckedIOException("data.path " + cfg.string("data.path") + ": " + e.getMessage(), e);
        }
        long seed = cfg.integer("train.seed");
        Splits.Assignment a = Splits.assign(records.labels(), records.patients(), records.givenSplits(), ratios(cfg), seed);
        Placement placement = Placement.of(records, a, seed, shards);
        if (splits.stream().allMatch(s -> placement.shardCount(s) == 0)) {
            throw new BadRecordException(records.name() + ": the " + splits.stream().map(Splits.NAMES::get).toList()
                    + " split(s) hold no images");
        }
        String cacheDir = cfg.string("data.cache.dir").trim();
        LoadSpec spec = new LoadSpec(splits, cfg.dataLimits().maxImagePixels(),
                OnBadRecord.parse(cfg.string("data.onBadRecord")), cacheDir);
        Set<String> before = LocalStores.dataKeys();
        long t0 = System.nanoTime();
        LoadedShards loaded;
        try {
            loaded = SparkLoader.load(SparkTables.session(), records, placement, spec);
        } catch (RuntimeException e) {
            LocalStores.releaseAllBut(sc, before);
            throw e;
        }
        ExecutorData out = null;
        try {
            if (!loaded.bad().isEmpty()) {
                // under skip: the records are out of their stores, but the split and the shards count them
                throw new BadRecordException(loaded.bad().size() + " records did not decode after the split (the first: "
                        + loaded.bad().get(0).message() + "); a distributed run of the table cannot skip them yet: "
                        + "remove them from the table or set data.onBadRecord = fail to see each");
            }
            double loadSeconds = (System.nanoTime() - t0) / 1e9;
            log.accept(String.format("stores: %d images, %.1f MB on the executors, built in %.1fs", loaded.images(),
                    loaded.bytes() / 1e6, loadSeconds));
            Preprocessor pre = preprocessor(cfg, records, loaded);
            int count = records.size();
            String description = records.name() + ": " + count + " images " + pre.channels() + "x" + pre.height() + "x"
                    + pre.width() + ", " + records.numClasses() + " classes " + records.classNames()
                    + (records.skipped() > 0 ? ", " + records.skipped() + " bad records skipped" : "")
                    + "\n" + a.describe(records.classNames(), RecordNames.of(cfg));
            ShardPartitions parts = ShardPartitions.fromStores(sc, loaded, placement, pre, records.numClasses(), shards, seed,
                    metaFromVal);
            out = new ExecutorData(records, placement, loaded, pre, description, parts, (t0 - started) / 1e9, loadSeconds);
            return out;
        } finally {
            if (out == null) {
                LocalStores.releaseEverywhere(sc, loaded.dataKey());
                loaded.rdd().unpersist(false);
            }
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

    /** The data set's name (its splits' are {@code name/train} etc., as a single process names them). */
    public String name() {
        return records.name();
    }

    /** Records read on the driver. */
    public int records() {
        return records.size();
    }

    /** Seconds reading the records and placing them, on the driver. */
    public double recordsSeconds() {
        return recordsSeconds;
    }

    /** Seconds of the executors' load (scan, shuffle, decode, stores written). */
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
     * The preprocessing: {@code data.image_size} and {@code data.channels}, or where one is 0 the
     * stores' most common shape (an image of another size fails, as a single process's load does).
     */
    private static Preprocessor preprocessor(JobConfig cfg, RecordTable records, LoadedShards loaded) {
        int size = cfg.integer("data.image_size");
        int channels = cfg.integer("data.channels");
        if (size < 0 || !(channels == 0 || channels == 1 || channels == 3)) {
            throw new IllegalArgumentException("data.image_size must be >= 0 and data.channels 0, 1 or 3; got "
                    + size + " and " + channels);
        }
        int c = channels;
        int h = size;
        int w = size;
        if (size == 0 || channels == 0) {
            Map<List<Integer>, long[]> shapes = shapes(loaded);
            List<Integer> typical = shapes.entrySet().stream()
                    .max(java.util.Comparator.comparingLong((Map.Entry<List<Integer>, long[]> e) -> e.getValue()[0])
                            .thenComparingLong(e -> -e.getValue()[1]))
                    .orElseThrow().getKey();
            if (size == 0) {
                for (Map.Entry<List<Integer>, long[]> e : shapes.entrySet()) {
                    if (!e.getKey().subList(1, 3).equals(typical.subList(1, 3))) {
                        throw new BadRecordException(records.where(e.getValue()[1]) + ": image is " + e.getKey().get(1) + "x"
                                + e.getKey().get(2) + " but the set's images are " + typical.get(1) + "x" + typical.get(2)
                                + " (set data.image_size to resize them all)");
                    }
                }
            }
            c = channels == 0 ? typical.get(0) : channels;
            h = size == 0 ? typical.get(1) : size;
            w = size == 0 ? typical.get(2) : size;
        }
        return new Preprocessor(h, w, c, perChannel(cfg, "data.mean", c), perChannel(cfg, "data.std", c));
    }

    /** (channels, height, width) of the stored images -> {count, lowest rid}, from the executors' stores. */
    private static Map<List<Integer>, long[]> shapes(LoadedShards loaded) {
        List<Map<List<Integer>, long[]>> parts = loaded.rdd().mapPartitions(it -> {
            Map<List<Integer>, long[]> m = new HashMap<>();
            while (it.hasNext()) {
                StoreHandle h = it.next();
                MappedStore s = LocalStores.get(h.key());
                if (s == null) {
                    throw new IllegalStateException(h.key() + ": the store is not in the JVM of its cached handle");
                }
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

    /** As the single-process load reads {@code data.mean} and {@code data.std}. */
    private static float[] perChannel(JobConfig cfg, String key, int channels) {
        List<Double> v = cfg.raw().getDoubleList(key);
        if (v.size() != 1 && v.size() != channels) {
            throw new IllegalArgumentException(key + " needs 1 or " + channels + " values, got " + v);
        }
        float[] out = new float[channels];
        for (int c = 0; c < channels; c++) {
            out[c] = v.get(v.size() == 1 ? 0 : c).floatValue();
        }
        if (key.equals("data.std")) {
            for (float s : out) {
                if (!(s > 0)) {
                    throw new IllegalArgumentException("data.std values must be > 0, got " + v);
                }
            }
        }
        return out;
    }

    private static Splits.Ratios ratios(JobConfig cfg) {
        try {
            return new Splits.Ratios(cfg.number("data.split.train"), cfg.number("data.split.val"), cfg.number("data.split.test"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("data.split: " + e.getMessage(), e);
        }
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
