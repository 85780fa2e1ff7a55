package io.metalr.bench;

import com.typesafe.config.ConfigFactory;

import io.metalr.cli.ExitCodes;
import io.metalr.config.JobConfig;
import io.metalr.data.ImageSet;
import io.metalr.data.SyntheticImages;
import io.metalr.spark.SparkSessions;
import io.metalr.train.RunSetup;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code submit/bench.sh spark}: the overhead a user pays to run a MetaLR step on Spark. Per case,
 * the step in one process (the engine alone, global batch 2 x 32, all cores) and then the same step
 * on Spark local[2] with 2 shards of 32 (global meta mode, the cores split between the two tasks),
 * at 64 px, in this one JVM: {@link Overhead} from the two medians, and the bytes each step moves.
 * Three networks of clearly different payload (the gradient of reference_cnn is ~2 kB, small_resnet's
 * ~0.3 MB, ResNet-18's ~45 MB) split the overhead into a fixed part per step and a part per MB of
 * gradient ({@link Overhead.Line}).
 *
 * <p>{@code --shards 1,2,4} runs {@link ShardScalingBenchmark} instead: a standalone cluster per
 * shard count. {@code --steps N} (default {@value #DEFAULT_STEPS}, the first {@value #WARM_UP} not
 * timed) and {@code --only CASE} make short runs.
 */
public final class SparkBenchmark {

    static final int WARM_UP = 2;
    static final int DEFAULT_STEPS = 18;
    static final int PER_SHARD = 32;
    static final int IMAGE_SIZE = 64;
    private static final int SHARDS = 2;
    private static final int CLASSES = 4;
    /** The targets for the local[2] cases. */
    private static final double RESNET18_SHARE_MAX = 0.10;
    private static final double SMALL_OVERHEAD_MS_MAX = 20;

    /** A network measured locally: the name in the output, the model, its input channels. */
    /** A benchmark case: its key for {@code --only}, the network and the images' channels. */
    record Case(String key, String model, int channels) {}

    private static final List<Case> CASES = List.of(new Case("tiny", "reference_cnn", 1),
            new Case("small", "small_resnet", 1), new Case("resnet18", "resnet18", 3));

    private SparkBenchmark() {}

    /** The local cases' names, in order of payload. */
    /** The case of {@code --only}'s key. */
    static Case caseOf(String key) {
        return CASES.stream().filter(c -> c.key().equals(key)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no case " + key));
    }

    static List<String> caseKeys() {
        return CASES.stream().map(Case::key).toList();
    }

    public static void main(String[] args) throws Exception {
        SparkBenchOptions opt;
        try {
            opt = SparkBenchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(ExitCodes.BAD_CONFIG);
            return;
        }
        if (opt.shards().isEmpty()) {
            local(opt);
        } else {
            ShardScalingBenchmark.run(opt);
        }
    }

    private static void local(SparkBenchOptions opt) throws Exception {
        SparkConf conf = new SparkConf().setMaster("local[" + SHARDS + "]").setAppName("metalr-bench-spark")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1");
        SparkSessions.tuning(conf).forEach(conf::set);
        JavaSparkContext sc = new JavaSparkContext(conf);
        ai.djl.engine.Engine.getInstance();
        Map<String, Object> summary = BenchOutput.summary("spark");
        summary.put("mode", "local[" + SHARDS + "]");
        summary.put("transport", opt.transport());
        summary.put("gc", java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(java.lang.management.GarbageCollectorMXBean::getName).toList().toString());
        List<String> fitted = new ArrayList<>();
        List<double[]> points = new ArrayList<>();
        try {
            for (Case c : CASES) {
                if (opt.only() != null && !opt.only().equals(c.key())) {
                    continue;
                }
                Map<String, Object> r = measure(sc, c, opt.stepsOr(DEFAULT_STEPS), opt.transport());
                BenchOutput.emit(r);
                for (String k : List.of("one_process_ms", "spark_ms", "overhead_ms", "overhead_share", "gradient_mb",
                        "driver_mb_per_step", "executor_bytes_per_step")) {
                    summary.put(k + "_" + c.key(), r.get(k));
                }
                fitted.add(c.key());
                points.add(new double[] {(double) r.get("gradient_mb"), (double) r.get("overhead_ms")});
            }
        } finally {
            sc.stop();
        }
        summary.put("overhead_definition", "overhead_ms = spark_ms - one_process_ms, medians of the same step on the same"
                + " global batch and cores; overhead_share = overhead_ms / spark_ms");
        if (summary.containsKey("overhead_ms_tiny")) {
            summary.put("fixed_ms_near_zero_payload", summary.get("overhead_ms_tiny"));
        }
        if (points.size() >= 2) {
            Overhead.Line line = Overhead.Line.fit(points.stream().mapToDouble(p -> p[0]).toArray(),
                    points.stream().mapToDouble(p -> p[1]).toArray());
            summary.put("fixed_ms_per_step", BenchOutput.round(line.fixedMs()));
            summary.put("ms_per_mb", BenchOutput.round(line.msPerMb()));
            summary.put("fit", "least squares of overhead_ms on gradient_mb (a shard's gradient: the trainable"
                    + " parameters x 4 bytes, MB = 10^6 bytes) over " + fitted);
        }
        if (summary.containsKey("overhead_share_resnet18") && summary.containsKey("overhead_ms_small")) {
            summary.put("target_overhead_share_resnet18_max", RESNET18_SHARE_MAX);
            summary.put("target_overhead_ms_small_max", SMALL_OVERHEAD_MS_MAX);
            summary.put("targets_met", (double) summary.get("overhead_share_resnet18") <= RESNET18_SHARE_MAX
                    && (double) summary.get("overhead_ms_small") <= SMALL_OVERHEAD_MS_MAX);
        }
        BenchOutput.emit(summary);
    }

    /** The case's Spark step and one-process step, side by side ({@link SideBySide}). */
    private static Map<String, Object> measure(JavaSparkContext sc, Case c, int steps, String transport) {
        JobConfig cfg = SideBySide.with(config(c.model()), "distributed.transport", transport);
        ImageSet train = trainSet(SHARDS, c.channels(), steps);
        RunSetup setup = RunSetup.from(cfg, c.channels(), CLASSES);
        int cores = Runtime.getRuntime().availableProcessors();
        // the two tasks share the cores, as SparkSessions arranges for local masters
        SideBySide run = SideBySide.run(sc, cfg, setup, train, valSet(c.channels()), SHARDS, steps, WARM_UP,
                Math.max(1, cores / SHARDS), cores);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("bench", "spark");
        r.put("case", c.key());
        r.put("model", c.model());
        r.put("input", c.channels() + "x" + IMAGE_SIZE + "x" + IMAGE_SIZE);
        r.put("shards", SHARDS);
        r.put("batch_per_shard", PER_SHARD);
        r.put("global_batch", SHARDS * PER_SHARD);
        r.put("transport", transport);
        r.put("gradient_mb", BenchOutput.round(gradientMb(setup)));
        run.putFigures(r);
        r.put("driver_mb_per_step", BenchOutput.round(run.spark().driverMb()));
        return r;
    }

    /**
     * The payload of one shard's gradient in MB (10^6 bytes): what grows with the network whatever
     * the engine does with it (the bytes through the driver may not, once executors reduce among
     * themselves), so the per-MB part is fitted against it.
     */
    static double gradientMb(RunSetup setup) {
        return setup.groups().all().stream().mapToLong(g -> g.size()).sum() * 4 / 1e6;
    }

    /** A MetaLR run of one epoch, {@value #PER_SHARD} images a shard, no augmentation, the loss selects. */
    static JobConfig config(String model) {
        return JobConfig.of(ConfigFactory.parseString(String.join("\n", "device = cpu",
                "model.name = " + model, "strategy = metalr", "train.epochs = 1", "train.batch_size = " + PER_SHARD,
                "train.log_every = 0", "train.select_metric = loss", "meta.hold_head_epochs = 0",
                "data.augment.enabled = false")));
    }

    /** Exactly {@code steps} steps of {@code shards} x {@value #PER_SHARD} images in one epoch. */
    static ImageSet trainSet(int shards, int channels, int steps) {
        return trainImages(shards * PER_SHARD * steps, channels);
    }

    /** {@code count} training images of the benchmark's kind. */
    static ImageSet trainImages(int count, int channels) {
        return SyntheticImages.generate("stripes", CLASSES, count, channels, IMAGE_SIZE, 3);
    }

    static ImageSet valSet(int channels) {
        return SyntheticImages.generate("stripes", CLASSES, 16, channels, IMAGE_SIZE, 4);
    }
}
