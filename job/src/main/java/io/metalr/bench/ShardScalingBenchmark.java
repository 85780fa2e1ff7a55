package io.metalr.bench;

import io.metalr.config.JobConfig;
import io.metalr.data.ImageSet;
import io.metalr.spark.SparkSessions;
import io.metalr.train.RunSetup;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code submit/bench.sh spark --shards 1,2,4}: how the distributed step grows with the shards.
 * Per shard count N, a standalone cluster on this machine ({@link LocalCluster}) with exactly N
 * executor JVMs of 1 core (libtorch on 1 thread each), the small network, {@value SparkBenchmark#PER_SHARD}
 * images a shard (so the work grows with N). Reports the median bytes through the driver per step,
 * the busiest executor's bytes per step, the Spark step and its overhead, and the growth from 2 to 4
 * shards against the targets (driver bytes within 10%, overhead within 20%).
 *
 * <p>Two readings of the overhead, since this machine has few cores (more executors than cores
 * share them):
 * <ul>
 *   <li>{@code overhead_ms}: the Spark step minus the same global batch (N x 32) stepped in this
 *       driver JVM, alone, on min(N, cores) libtorch threads: the same work on the same cores.</li>
 *   <li>{@code overhead_over_floor_ms}: the Spark step minus {@code compute_floor_ms}, the one-shard
 *       step in one process (batch 32, 1 thread) times ceil(N / cores), the least N shards of 32
 *       can take when each executor computes on one core as it does here.</li>
 * </ul>
 */
final class ShardScalingBenchmark {

    private static final String NETWORK = "small_resnet";
    private static final int CHANNELS = 1;
    private static final int CLASSES = 4;
    private static final int EXECUTOR_MEMORY_GB = 2;
    private static final double DRIVER_BYTES_RATIO_MAX = 1.10;
    private static final double OVERHEAD_GROWTH_MAX = 1.20;

    private ShardScalingBenchmark() {}

    static void run(SparkBenchOptions opt) throws Exception {
        int steps = opt.stepsOr(SparkBenchmark.DEFAULT_STEPS);
        int cores = Runtime.getRuntime().availableProcessors();
        JobConfig cfg = SparkBenchmark.config(NETWORK);
        RunSetup setup = RunSetup.from(cfg, CHANNELS, CLASSES);
        ImageSet val = SparkBenchmark.valSet(CHANNELS);
        ai.djl.engine.Engine.getInstance();

        Map<String, Object> summary = BenchOutput.summary("spark");
        summary.put("mode", "standalone, one executor JVM of 1 core per shard");
        summary.put("model", NETWORK);
        summary.put("batch_per_shard", SparkBenchmark.PER_SHARD);
        // the floor's unit: one shard's step on one core, with no cluster running
        ai.djl.pytorch.jni.JniUtils.setNumThreads(1);
        double oneShardMs = OneProcessStep.medianMs(cfg, setup, SparkBenchmark.trainSet(1, CHANNELS, steps),
                SparkBenchmark.PER_SHARD, steps, SparkBenchmark.WARM_UP);
        summary.put("one_shard_one_process_ms", BenchOutput.round(oneShardMs));

        Map<Integer, Map<String, Object>> rows = new LinkedHashMap<>();
        for (int n : opt.shards()) {
            ImageSet train = SparkBenchmark.trainSet(n, CHANNELS, steps);
            int threads = Math.min(n, cores);
            ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
            double oneProcess = n == 1 ? oneShardMs
                    : OneProcessStep.medianMs(cfg, setup, train, n * SparkBenchmark.PER_SHARD, steps, SparkBenchmark.WARM_UP);
            SparkSteps spark;
            int executors;
            try (LocalCluster cluster = LocalCluster.start(settings(n))) {
                Map<String, String> extra = new LinkedHashMap<>(SparkSessions.tuning(new SparkConf()));
                extra.put("spark.executor.instances", String.valueOf(n));
                JavaSparkContext sc = JavaSparkContext.fromSparkContext(
                        cluster.session("metalr-bench-spark-" + n + "-shards", extra).sparkContext());
                executors = cluster.registeredExecutors().size();
                spark = SparkSteps.of(SparkBenchmark.sparkRun(sc, cfg, setup, train, val, n), SparkBenchmark.WARM_UP);
                cluster.stopSession();
            }
            Overhead o = Overhead.of(spark, oneProcess);
            double floorMs = oneShardMs * Math.ceil(n / (double) cores);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("bench", "spark");
            r.put("shards", n);
            r.put("executors", executors);
            r.put("model", NETWORK);
            r.put("global_batch", n * SparkBenchmark.PER_SHARD);
            r.put("steps_timed", spark.timed());
            r.put("one_process_threads", threads);
            r.put("one_process_ms", BenchOutput.round(oneProcess));
            r.put("spark_ms", BenchOutput.round(spark.ms()));
            r.put("overhead_ms", BenchOutput.round(o.ms()));
            r.put("overhead_share", BenchOutput.round(o.share()));
            r.put("compute_floor_ms", BenchOutput.round(floorMs));
            r.put("overhead_over_floor_ms", BenchOutput.round(spark.ms() - floorMs));
            r.put("driver_bytes_per_step", Math.round(spark.driverBytes()));
            r.put("executor_bytes_per_step", Math.round(spark.executorBytes()));
            r.put("engine_compute_ms", BenchOutput.round(spark.computeMs()));
            BenchOutput.emit(r);
            rows.put(n, r);
            for (String k : List.of("spark_ms", "overhead_ms", "overhead_over_floor_ms", "driver_bytes_per_step",
                    "executor_bytes_per_step")) {
                summary.put(k + "_" + n, r.get(k));
            }
        }
        summary.put("overhead_definition", "overhead_ms_N = spark_ms_N - the same global batch (N x "
                + SparkBenchmark.PER_SHARD + ") stepped alone in the driver JVM on min(N, " + cores
                + ") threads (same work, same cores); overhead_over_floor_ms_N = spark_ms_N - one_shard_one_process_ms"
                + " x ceil(N / " + cores + "), the least N one-core shards take on " + cores + " cores");
        if (rows.containsKey(2) && rows.containsKey(4)) {
            double bytesRatio = growth(rows, "driver_bytes_per_step");
            double overheadGrowth = growth(rows, "overhead_ms");
            summary.put("driver_bytes_ratio_4_over_2", BenchOutput.round(bytesRatio));
            summary.put("overhead_growth_4_over_2", BenchOutput.round(overheadGrowth));
            summary.put("overhead_over_floor_growth_4_over_2", BenchOutput.round(growth(rows, "overhead_over_floor_ms")));
            summary.put("target_driver_bytes_ratio_max", DRIVER_BYTES_RATIO_MAX);
            summary.put("target_overhead_growth_max", OVERHEAD_GROWTH_MAX);
            summary.put("targets_met", bytesRatio <= DRIVER_BYTES_RATIO_MAX && overheadGrowth <= OVERHEAD_GROWTH_MAX);
        }
        BenchOutput.emit(summary);
    }

    private static double growth(Map<Integer, Map<String, Object>> rows, String key) {
        return Overhead.growth(((Number) rows.get(4).get(key)).doubleValue(), ((Number) rows.get(2).get(key)).doubleValue());
    }

    /** A Worker offering N cores (more than the machine has, when N is larger) for N executors of 1 core. */
    private static LocalCluster.Settings settings(int n) throws java.io.IOException {
        List<String> flags = new ArrayList<>(LocalCluster.DJL_FLAGS);
        flags.add("-Dai.djl.pytorch.num_threads=1"); // one core per executor
        return new LocalCluster.Settings(LocalCluster.jvmClasspath(), n, (n * EXECUTOR_MEMORY_GB + 1) + "g", n,
                EXECUTOR_MEMORY_GB + "g", flags, MallocEnv.read());
    }
}
