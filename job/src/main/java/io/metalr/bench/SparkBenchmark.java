package io.metalr.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.typesafe.config.ConfigFactory;

import io.metalr.config.JobConfig;
import io.metalr.data.Batch;
import io.metalr.data.BatchOrder;
import io.metalr.data.ImageSet;
import io.metalr.data.SyntheticImages;
import io.metalr.nn.Weights;
import io.metalr.optim.Adam;
import io.metalr.spark.DistributedTrainer;
import io.metalr.spark.MetaMode;
import io.metalr.spark.SparkSessions;
import io.metalr.train.RunSetup;
import io.metalr.train.TrainStep;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code submit/bench.sh spark}: a MetaLR step in one process (the engine alone, global batch
 * 2 x 32) against the same step on Spark local[2] with 2 shards of 32 (global meta mode), for the
 * small network and ResNet-18 at 64 px. Reports the Spark step's overhead: wall time outside DJL
 * compute (the slowest shard per round plus the driver's update), in ms and as a share of the
 * step, and the bytes each step moves.
 */
public final class SparkBenchmark {

    public static void main(String[] args) throws Exception {
        List<String> argv = Arrays.asList(args);
        String only = argv.contains("--only") ? argv.get(argv.indexOf("--only") + 1) : null;
        SparkConf conf = new SparkConf().setMaster("local[2]").setAppName("metalr-bench-spark")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1");
        SparkSessions.tuning(conf).forEach(conf::set);
        JavaSparkContext sc = new JavaSparkContext(conf);
        ai.djl.engine.Engine.getInstance();
        Map<String, Object> summary = BenchOutput.summary("spark");
        summary.put("gc", java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(java.lang.management.GarbageCollectorMXBean::getName).toList().toString());
        try {
            for (String[] c : new String[][] {{"small", "small_resnet", "1"}, {"resnet18", "resnet18", "3"}}) {
                if (only != null && !only.equals(c[0])) {
                    continue;
                }
                Map<String, Object> r = measure(sc, c[0], c[1], Integer.parseInt(c[2]));
                BenchOutput.emit(r);
                summary.put("one_process_ms_" + c[0], r.get("one_process_ms"));
                summary.put("spark_ms_" + c[0], r.get("spark_ms"));
                summary.put("overhead_ms_" + c[0], r.get("overhead_ms"));
                summary.put("overhead_share_" + c[0], r.get("overhead_share"));
                summary.put("bytes_per_step_" + c[0], r.get("bytes_per_step"));
            }
        } finally {
            sc.stop();
        }
        BenchOutput.emit(summary);
    }

    private static Map<String, Object> measure(JavaSparkContext sc, String key, String model, int channels) {
        int shards = 2;
        int perShard = 32;
        int steps = 16;
        JobConfig cfg = JobConfig.of(ConfigFactory.parseString(String.join("\n",
                "model.name = " + model, "strategy = metalr", "train.epochs = 1", "train.batch_size = " + perShard,
                "train.log_every = 0", "train.select_metric = loss", "meta.hold_head_epochs = 0", "data.augment.enabled = false")));
        ImageSet train = SyntheticImages.generate("stripes", 4, shards * perShard * (steps + 2), channels, 64, 3);
        ImageSet val = SyntheticImages.generate("stripes", 4, 16, channels, 64, 4);
        RunSetup setup = RunSetup.from(cfg, channels, 4);

        int cores = Runtime.getRuntime().availableProcessors();
        ai.djl.pytorch.jni.JniUtils.setNumThreads(cores);
        double oneProcess = oneProcessMs(cfg, setup, train, shards * perShard, steps);
        // the two tasks share this JVM's cores, as SparkSessions arranges for local masters
        ai.djl.pytorch.jni.JniUtils.setNumThreads(Math.max(1, cores / shards));

        List<double[]> spark = new ArrayList<>();
        long[] bytes = {0};
        new DistributedTrainer(cfg, setup, MetaMode.GLOBAL, shards, s -> { }).fit(sc, train, val, null, step -> {
            spark.add(new double[] {step.seconds() * 1000, step.computeSeconds() * 1000});
            bytes[0] = step.bytesMoved();
        });
        // the first two steps warm up replicas and JIT
        List<double[]> timed = spark.subList(2, spark.size());
        double sparkMs = BenchOutput.median(timed.stream().mapToDouble(v -> v[0]).toArray());
        double overheadMs = BenchOutput.median(timed.stream().mapToDouble(v -> v[0] - v[1]).toArray());
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("bench", "spark");
        r.put("case", key);
        r.put("model", model);
        r.put("input", channels + "x64x64");
        r.put("shards", shards);
        r.put("batch_per_shard", perShard);
        r.put("steps_timed", timed.size());
        r.put("one_process_ms", BenchOutput.round(oneProcess));
        r.put("spark_ms", BenchOutput.round(sparkMs));
        r.put("overhead_ms", BenchOutput.round(overheadMs));
        r.put("overhead_share", BenchOutput.round(overheadMs / sparkMs));
        r.put("bytes_per_step", bytes[0]);
        return r;
    }

    /** The engine alone: MetaLR steps over the same global batch, median after two warm-up steps. */
    private static double oneProcessMs(JobConfig cfg, RunSetup setup, ImageSet train, int batch, int steps) {
        double[] ms = new double[steps - 2];
        try (Weights w = Weights.fromHost(setup.net(), setup.initial(), Device.cpu());
                Adam adam = new Adam(w.manager(), 0.9, 0.999, 1e-8, 1e-4, false);
                TrainStep step = new TrainStep(w, setup.groups(), adam, cfg.meta(), setup.plan(), false)) {
            for (int s = 0; s < steps; s++) {
                long t0 = System.nanoTime();
                try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
                    Batch b = train.batch(m, BatchOrder.metaBatch(train.size(), batch, 1, 0, s));
                    Batch mb = train.batch(m, BatchOrder.metaBatch(train.size(), batch, 2, 0, s));
                    step.run(b, mb, 0, s);
                }
                if (s >= 2) {
                    ms[s - 2] = (System.nanoTime() - t0) / 1e6;
                }
            }
        }
        return BenchOutput.median(ms);
    }



}
