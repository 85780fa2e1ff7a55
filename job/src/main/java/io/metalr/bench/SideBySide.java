package io.metalr.bench;

import com.typesafe.config.ConfigFactory;

import io.metalr.config.JobConfig;
import io.metalr.data.ImageSet;
import io.metalr.spark.DistributedTrainer;
import io.metalr.spark.MetaMode;
import io.metalr.spark.SparkEngine;
import io.metalr.train.RunSetup;
import io.metalr.train.fit.StepEngine;

import org.apache.spark.api.java.JavaSparkContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A MetaLR step on Spark and the same global batch stepped in this process, one after the other,
 * step by step: the two see the same machine (a shared VM's speed drifts by 15% from minute to
 * minute, which a block of one and then a block of the other would count as overhead). The Spark
 * step is the engine's compute and commit, as the fit loop calls them, at the plan's initial rates.
 *
 * @param oneProcessMs the one-process step's median after the warm-up steps
 * @param spark the Spark steps' medians after the warm-up steps
 */
record SideBySide(double oneProcessMs, SparkSteps spark) {

    /**
     * {@code steps} steps of {@code shards} x {@code cfg}'s batch, the first {@code warmUp} not
     * counted; the tasks compute on {@code taskThreads} libtorch threads each (set as they start),
     * the one process on {@code oneProcessThreads}.
     */
    static SideBySide run(JavaSparkContext sc, JobConfig cfg, RunSetup setup, ImageSet train, ImageSet val, int shards,
            int steps, int warmUp, int taskThreads, int oneProcessThreads) {
        List<DistributedTrainer.Step> sparkSteps = new ArrayList<>();
        double[] oneMs = new double[steps - warmUp];
        double[] lr = setup.plan().initialLr();
        try (OneProcessStep one = new OneProcessStep(cfg, setup, train, shards * cfg.integer("train.batch_size"));
                SparkEngine engine = new SparkEngine(cfg, setup, MetaMode.GLOBAL, shards, sc, train, val, null, s -> { })) {
            // a local master's tasks take libtorch's thread count when they first compute (step 0);
            // switched once, not every step, so that no step pays for resizing thread pools
            ai.djl.pytorch.jni.JniUtils.setNumThreads(taskThreads);
            for (int s = 0; s < steps; s++) {
                long t0 = System.nanoTime();
                StepEngine.StepSums sums = engine.compute(new StepEngine.StepRequest(0, s, s, lr.clone(), true));
                engine.commit(lr.clone());
                sparkSteps.add(new DistributedTrainer.Step(null, (System.nanoTime() - t0) / 1e9, sums.computeSeconds(),
                        sums.bytesMoved(), sums.executorBytes()));
                if (s == 0) {
                    ai.djl.pytorch.jni.JniUtils.setNumThreads(oneProcessThreads);
                }
                double ms = one.stepMs(s);
                if (s >= warmUp) {
                    oneMs[s - warmUp] = ms;
                }
            }
        }
        return new SideBySide(BenchOutput.median(oneMs), SparkSteps.of(sparkSteps, warmUp));
    }

    /**
     * The figures every row reports: steps timed, both steps and the overhead (ms, share), the
     * bytes through the driver and the busiest executor's, and the engine's own compute time
     * (the slowest task's forward, backward and meta pass: diagnosis only, since copies and the
     * exchange between executors fall outside it).
     */
    void putFigures(Map<String, Object> row) {
        Overhead o = Overhead.of(spark, oneProcessMs);
        row.put("steps_timed", spark.timed());
        row.put("one_process_ms", BenchOutput.round(oneProcessMs));
        row.put("spark_ms", BenchOutput.round(spark.ms()));
        row.put("overhead_ms", BenchOutput.round(o.ms()));
        row.put("overhead_share", BenchOutput.round(o.share()));
        row.put("driver_bytes_per_step", Math.round(spark.driverBytes()));
        row.put("executor_bytes_per_step", Math.round(spark.executorBytes()));
        row.put("engine_compute_ms", BenchOutput.round(spark.computeMs()));
    }

    /** {@code cfg} with {@code key = value} set. */
    static JobConfig with(JobConfig cfg, String key, Object value) {
        return JobConfig.of(ConfigFactory.parseString(key + " = " + value).withFallback(cfg.raw()));
    }
}
