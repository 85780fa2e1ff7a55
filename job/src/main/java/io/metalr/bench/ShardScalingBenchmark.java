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
 * {@code submit/bench.sh spark --shards 1,2,4}: how the distributed step's overhead grows with the
 * shards. Per shard count N, a standalone cluster on this machine ({@link LocalCluster}) with exactly
 * N executor JVMs of 1 core (libtorch on 1 thread each), the small network (or {@code --only}'s), and the same global
 * batch of {@value #GLOBAL_BATCH} images cut into N shards: the work stays the same, so what grows
 * with N is the distribution's own cost. Each Spark step is timed side by side with the same
 * {@value #GLOBAL_BATCH} images stepped in this driver JVM on min(N, cores) threads ({@link SideBySide});
 * the overhead is their difference. Reports the median bytes through the driver per step, the
 * busiest executor's bytes per step, the Spark step and its overhead, and the growth from 2 to 4
 * shards against the targets (driver bytes within 10%, overhead within 20%). With more
 * executors than cores (4 on 2 here) the executors also share cores, which this overhead includes.
 */
final class ShardScalingBenchmark {

    static final int GLOBAL_BATCH = 64;
    private static final int CLASSES = 4;
    private static final int EXECUTOR_MEMORY_GB = 2;
    private static final double DRIVER_BYTES_RATIO_MAX = 1.10;
    private static final double OVERHEAD_GROWTH_MAX = 1.20;

    private ShardScalingBenchmark() {}

    static void run(SparkBenchOptions opt) throws Exception {
        int steps = opt.stepsOr(SparkBenchmark.DEFAULT_STEPS);
        int cores = Runtime.getRuntime().availableProcessors();
        SparkBenchmark.Case net = SparkBenchmark.caseOf(opt.only() == null ? "small" : opt.only());
        ImageSet val = SparkBenchmark.valSet(net.channels());
        ai.djl.engine.Engine.getInstance();

        Map<String, Object> summary = BenchOutput.summary("spark");
        summary.put("mode", "standalone, one executor JVM of 1 core per shard");
        summary.put("model", net.model());
        summary.put("global_batch", GLOBAL_BATCH);

        Map<Integer, Map<String, Object>> rows = new LinkedHashMap<>();
        for (int n : opt.shards()) {
            int perShard = GLOBAL_BATCH / n;
            JobConfig cfg = SideBySide.with(SparkBenchmark.config(net.model()), "train.batch_size", perShard);
            RunSetup setup = RunSetup.from(cfg, net.channels(), CLASSES);
            ImageSet train = SparkBenchmark.trainImages(GLOBAL_BATCH * steps, net.channels());
            int threads = Math.min(n, cores);
            SideBySide run;
            int executors;
            try (LocalCluster cluster = LocalCluster.start(settings(n))) {
                Map<String, String> extra = new LinkedHashMap<>(SparkSessions.tuning(new SparkConf()));
                extra.put("spark.executor.instances", String.valueOf(n));
                JavaSparkContext sc = JavaSparkContext.fromSparkContext(
                        cluster.session("metalr-bench-spark-" + n + "-shards", extra).sparkContext());
                executors = cluster.registeredExecutors().size();
                run = SideBySide.run(sc, cfg, setup, train, val, n, steps, SparkBenchmark.WARM_UP, 1, threads);
                cluster.stopSession();
            }
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("bench", "spark");
            r.put("shards", n);
            r.put("executors", executors);
            r.put("model", net.model());
            r.put("batch_per_shard", perShard);
            r.put("global_batch", GLOBAL_BATCH);
            r.put("one_process_threads", threads);
            run.putFigures(r);
            BenchOutput.emit(r);
            rows.put(n, r);
            for (String k : List.of("one_process_ms", "spark_ms", "overhead_ms", "driver_bytes_per_step", "executor_bytes_per_step")) {
                summary.put(k + "_" + n, r.get(k));
            }
        }
        summary.put("overhead_definition", "overhead_ms_N = spark_ms_N - the same " + GLOBAL_BATCH + " images stepped in the"
                + " driver JVM on min(N, " + cores + ") threads, side by side, step by step; overhead_growth_4_over_2 ="
                + " (spark_ms_4 / one_process_ms_4) / (spark_ms_2 / one_process_ms_2), the Spark step against the same work"
                + " in one process, 4 shards over 2 (a ratio of overheads in ms is undefined when one is near zero)");
        if (rows.containsKey(2) && rows.containsKey(4)) {
            double bytesRatio = growth(rows, "driver_bytes_per_step");
            double overheadGrowth = Overhead.growth(relative(rows.get(4)), relative(rows.get(2)));
            summary.put("overhead_ms_4_minus_2", BenchOutput.round(((Number) rows.get(4).get("overhead_ms")).doubleValue()
                    - ((Number) rows.get(2).get("overhead_ms")).doubleValue()));
            summary.put("driver_bytes_ratio_4_over_2", BenchOutput.round(bytesRatio));
            summary.put("overhead_growth_4_over_2", BenchOutput.round(overheadGrowth));
            summary.put("target_driver_bytes_ratio_max", DRIVER_BYTES_RATIO_MAX);
            summary.put("target_overhead_growth_max", OVERHEAD_GROWTH_MAX);
            summary.put("targets_met", bytesRatio <= DRIVER_BYTES_RATIO_MAX && overheadGrowth <= OVERHEAD_GROWTH_MAX);
        }
        BenchOutput.emit(summary);
    }

    /** A row's Spark step over its one-process step. */
    private static double relative(Map<String, Object> row) {
        return ((Number) row.get("spark_ms")).doubleValue() / ((Number) row.get("one_process_ms")).doubleValue();
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
