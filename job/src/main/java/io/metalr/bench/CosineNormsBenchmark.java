package io.metalr.bench;

import com.typesafe.config.ConfigFactory;

import io.metalr.config.JobConfig;
import io.metalr.data.ImageSet;
import io.metalr.data.SyntheticImages;
import io.metalr.meta.GroupSums;
import io.metalr.meta.MetaLrRule;
import io.metalr.spark.MetaMode;
import io.metalr.spark.SparkEngine;
import io.metalr.spark.SparkSessions;
import io.metalr.train.RunSetup;
import io.metalr.train.fit.StepEngine;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code submit/bench.sh cosine}: what the exact cosine rule costs against the shard_mean estimator
 * ({@code distributed.cosine_norms}), on Spark local[4] with 2 shards of 32 each (global meta mode,
 * optimizer direction, as conf/medmnist.conf), for the small network and ResNet-18 at 64 px. The
 * two engines step side by side from the same start and commit the same rates (the exact rule's),
 * so they hold the same state every step: per step, ms and bytes of each, and how far the
 * estimator's validation norm and cosine hypergradient are from the exact ones. The bytes are the
 * busiest executor's (the exact rule's extra reduce runs among the executors, not through the driver).
 */
public final class CosineNormsBenchmark {

    public static void main(String[] args) throws Exception {
        List<String> argv = Arrays.asList(args);
        String only = argv.contains("--only") ? argv.get(argv.indexOf("--only") + 1) : null;
        int steps = argv.contains("--steps") ? Integer.parseInt(argv.get(argv.indexOf("--steps") + 1)) : 8;
        // each engine's training stage holds a task slot per shard for the whole run: two engines, four slots
        SparkConf conf = new SparkConf().setMaster("local[4]").setAppName("metalr-bench-cosine")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1");
        SparkSessions.tuning(conf).forEach(conf::set);
        JavaSparkContext sc = new JavaSparkContext(conf);
        ai.djl.engine.Engine.getInstance();
        ai.djl.pytorch.jni.JniUtils.setNumThreads(Math.max(1, Runtime.getRuntime().availableProcessors() / 2));
        Map<String, Object> summary = BenchOutput.summary("cosine");
        try {
            for (String[] c : new String[][] {{"small", "small_resnet", "1"}, {"resnet18", "resnet18", "3"}}) {
                if (only != null && !only.equals(c[0])) {
                    continue;
                }
                Map<String, Object> r = measure(sc, c[0], c[1], Integer.parseInt(c[2]), steps);
                BenchOutput.emit(r);
                for (String k : List.of("exact_ms", "shard_mean_ms", "exact_bytes_per_step", "shard_mean_bytes_per_step",
                        "norm_ratio_median", "cosine_h_ratio_median")) {
                    summary.put(k + "_" + c[0], r.get(k));
                }
            }
        } finally {
            sc.stop();
        }
        BenchOutput.emit(summary);
    }

    private static Map<String, Object> measure(JavaSparkContext sc, String key, String model, int channels, int steps) {
        int shards = 2;
        int perShard = 32;
        String base = String.join("\n", "model.name = " + model, "strategy = metalr", "train.epochs = 1",
                "train.batch_size = " + perShard, "train.log_every = 0", "train.select_metric = loss",
                "meta.hold_head_epochs = 0", "data.augment.enabled = false", "meta.direction = optimizer",
                "meta.normalize = cosine", "meta.hyper_lr = 0.01");
        JobConfig exact = JobConfig.of(ConfigFactory.parseString(base + "\ndistributed.cosine_norms = exact"));
        JobConfig estimator = JobConfig.of(ConfigFactory.parseString(base + "\ndistributed.cosine_norms = shard_mean"));
        ImageSet train = SyntheticImages.generate("stripes", 4, shards * perShard * (steps + 2), channels, 64, 3);
        ImageSet val = SyntheticImages.generate("stripes", 4, 16, channels, 64, 4);
        RunSetup setup = RunSetup.from(exact, channels, 4);
        MetaLrRule rule = new MetaLrRule(exact.meta());
        boolean[] all = new boolean[setup.groups().size()];
        Arrays.fill(all, true);
        double[] lr = setup.plan().initialLr().clone();
        List<double[]> ms = new ArrayList<>();
        List<Double> normRatios = new ArrayList<>();
        List<Double> hRatios = new ArrayList<>();
        long[] bytes = new long[2];
        try (SparkEngine a = new SparkEngine(exact, setup, MetaMode.GLOBAL, shards, sc, train, val, null, s -> { });
                SparkEngine b = new SparkEngine(estimator, setup, MetaMode.GLOBAL, shards, sc, train, val, null, s -> { })) {
            for (int step = 0; step < steps; step++) {
                StepEngine.StepRequest q = new StepEngine.StepRequest(0, step, step, lr.clone(), true);
                // alternate which engine goes first, so neither always meets a warmer JVM
                StepEngine.StepSums sa, sb;
                long ta, tb;
                long t = System.nanoTime();
                if (step % 2 == 0) {
                    sa = a.compute(q);
                    ta = System.nanoTime() - t;
                    t = System.nanoTime();
                    sb = b.compute(q);
                    tb = System.nanoTime() - t;
                } else {
                    sb = b.compute(q);
                    tb = System.nanoTime() - t;
                    t = System.nanoTime();
                    sa = a.compute(q);
                    ta = System.nanoTime() - t;
                }
                double[] next = rule.update(lr, sa.sums(), all, false).lrAfter();
                t = System.nanoTime();
                a.commit(next);
                ta += System.nanoTime() - t;
                t = System.nanoTime();
                b.commit(next);
                tb += System.nanoTime() - t;
                bytes[0] = sa.executorBytes();
                bytes[1] = sb.executorBytes();
                if (step >= 2) {
                    ms.add(new double[] {ta / 1e6, tb / 1e6});
                    GroupSums e = sa.sums(), m = sb.sums();
                    for (int j = 0; j < lr.length; j++) {
                        normRatios.add(m.valNormSq()[j] / e.valNormSq()[j]);
                        // the cosine hypergradient scales with 1 / |grad L_val|
                        hRatios.add(Math.sqrt(e.valNormSq()[j] / m.valNormSq()[j]));
                    }
                }
                lr = next;
            }
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("bench", "cosine");
        r.put("case", key);
        r.put("model", model);
        r.put("input", channels + "x64x64");
        r.put("shards", shards);
        r.put("batch_per_shard", perShard);
        r.put("steps_timed", ms.size());
        r.put("exact_ms", BenchOutput.round(BenchOutput.median(ms.stream().mapToDouble(v -> v[0]).toArray())));
        r.put("shard_mean_ms", BenchOutput.round(BenchOutput.median(ms.stream().mapToDouble(v -> v[1]).toArray())));
        r.put("exact_bytes_per_step", bytes[0]);
        r.put("shard_mean_bytes_per_step", bytes[1]);
        r.put("norm_ratio_median", BenchOutput.round(BenchOutput.median(normRatios.stream().mapToDouble(d -> d).toArray())));
        r.put("norm_ratio_max", BenchOutput.round(normRatios.stream().mapToDouble(d -> d).max().orElse(Double.NaN)));
        r.put("cosine_h_ratio_median", BenchOutput.round(BenchOutput.median(hRatios.stream().mapToDouble(d -> d).toArray())));
        return r;
    }
}
