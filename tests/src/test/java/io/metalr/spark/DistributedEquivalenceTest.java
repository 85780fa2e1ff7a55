package io.metalr.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.typesafe.config.ConfigFactory;

import io.metalr.config.JobConfig;
import io.metalr.data.Batch;
import io.metalr.data.ImageSet;
import io.metalr.data.Shards;
import io.metalr.data.SyntheticImages;
import io.metalr.meta.GroupSums;
import io.metalr.meta.MetaLrRule;
import io.metalr.meta.MetaLrSettings;
import io.metalr.train.RunSetup;
import io.metalr.train.Trainer;
import io.metalr.train.fit.StepEngine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The distributed step against references that share none of the code they check
 * ({@link MicroBatchReference}: one process over the same micro-batches, float64, finite
 * differences for the hypergradient). Each step starts from the engine's own state, so the
 * comparison stays tight: the meta pass's sums per group (the dot product against the finite
 * difference, both squared norms), the rates the rule makes of them and the tensors after the
 * step. Both lookahead directions and signs, the cosine rule on 2 and 4 shards.
 */
class DistributedEquivalenceTest {

    /** Four shards need four task slots at once (the training stage is one barrier stage). */
    private static org.apache.spark.sql.SparkSession spark;

    @org.junit.jupiter.api.BeforeAll
    static void fourSlots() {
        spark = io.metalr.TestSpark.replacing("local[4]", "metalr-distributed-equivalence");
    }

    @org.junit.jupiter.api.AfterAll
    static void sharedSessionAgain() {
        io.metalr.TestSpark.stop(spark);
    }

    private static final int SHARDS = 2;
    private static final int BATCH = 8;
    private static final int STEPS = 20;
    /** Steps compared per case: the first (Adam's moments empty) and two with history. */
    private static final int CHECKED_STEPS = 3;

    private static JobConfig cfg(String direction, int shards) {
        return JobConfig.of(ConfigFactory.parseString(String.join("\n",
                "model.name = small_resnet", "strategy = metalr", "train.epochs = 1", "train.batch_size = " + BATCH,
                "train.lr = 0.01", "train.select_metric = loss", "train.log_every = 0", "data.augment.enabled = false",
                "meta.hold_head_epochs = 0", "meta.hyper_lr = 5", "meta.direction = " + direction)));
    }

    private static ImageSet train(int shards) {
        return SyntheticImages.generate("blobs", 3, shards * BATCH * STEPS, 1, 12, 5);
    }

    @ParameterizedTest(name = "{0} shards, meta.direction = {1}, meta.lookahead = {2}, meta.normalize = {3}")
    @CsvSource({"2, sgd, descent, cosine", "2, sgd, ascent, cosine", "2, optimizer, descent, cosine",
            "2, optimizer, ascent, cosine", "4, sgd, descent, cosine", "4, sgd, ascent, cosine",
            "4, optimizer, descent, cosine", "4, optimizer, ascent, cosine", "2, sgd, descent, none",
            "2, optimizer, ascent, none"})
    void globalStepEqualsOneProcessOverTheSameMicroBatches(int shardCount, String direction, String lookahead,
            String normalize) {
        JobConfig cfg = JobConfig.of(ConfigFactory.parseString(String.join("\n", "meta.lookahead = " + lookahead,
                "meta.normalize = " + normalize, "meta.hyper_lr = 0.5")).withFallback(cfg(direction, shardCount).raw()));
        RunSetup setup = RunSetup.from(cfg, 1, 3);
        ImageSet train = train(shardCount);
        ImageSet val = SyntheticImages.generate("blobs", 3, 30, 1, 12, 6);
        long seed = cfg.integer("train.seed");
        Shards shards = Shards.of(train, shardCount, seed);
        MetaLrSettings meta = cfg.meta();
        MicroBatchReference ref = new MicroBatchReference(setup.net(), setup.groups(), new MicroBatchReference.Settings(
                meta.lookahead().sign, meta.direction() == MetaLrSettings.Direction.OPTIMIZER,
                meta.normalize() == MetaLrSettings.Normalize.COSINE, meta.hyperLr(), meta.lrLower(), meta.lrUpper(),
                cfg.number("train.beta1"), cfg.number("train.beta2"), cfg.number("train.eps"),
                cfg.number("train.weight_decay")));
        MetaLrRule rule = new MetaLrRule(meta);
        boolean[] all = new boolean[setup.groups().size()];
        java.util.Arrays.fill(all, true);
        double[] lr = setup.plan().initialLr().clone();
        boolean moved = false;
        try (SparkEngine engine = new SparkEngine(cfg, setup, MetaMode.GLOBAL, shardCount, io.metalr.TestSpark.context(),
                train, val, null, s -> { });
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            for (int step = 0; step < CHECKED_STEPS; step++) {
                StepEngine.ModelSnapshot before = engine.snapshot();
                StepEngine.StepSums sums = engine.compute(new StepEngine.StepRequest(0, step, step, lr.clone(), true));
                double[] lrAfter = rule.update(lr, sums.sums(), all, false).lrAfter();
                engine.commit(lrAfter);
                List<Batch> trainBatches = new ArrayList<>(), metaBatches = new ArrayList<>();
                for (int s = 0; s < shardCount; s++) {
                    trainBatches.add(train.batch(m, shards.trainBatch(s, seed, 0, step, BATCH)));
                    metaBatches.add(train.batch(m, shards.metaBatch(s, seed, 0, step, BATCH)));
                }
                MicroBatchReference.Step want = ref.step(before.tensors(), before.optimizerState(), before.optimizerStep(),
                        trainBatches, metaBatches, lr, 1e-8);
                String at = "step " + step + ", group ";
                double hScale = java.util.Arrays.stream(want.h()).map(Math::abs).max().orElse(0);
                for (int j = 0; j < lr.length; j++) {
                    // dL/d alpha_j = -s <grad L_val(theta')_j, d_j>
                    assertNear(at + j + " hypergradient", want.h()[j], -meta.lookahead().sign * sums.sums().dot()[j],
                            2e-3, 1e-4 * hScale);
                    if (meta.normalize() == MetaLrSettings.Normalize.COSINE) {
                        assertNear(at + j + " |grad L_val(theta')|^2", want.valNormSq()[j], sums.sums().valNormSq()[j], 2e-3, 0);
                        assertNear(at + j + " |d|^2", want.dirNormSq()[j], sums.sums().dirNormSq()[j], 2e-3, 0);
                    }
                    assertNear(at + j + " lr", want.lrAfter()[j], lrAfter[j], 1e-4, 0);
                    moved |= Math.abs(lrAfter[j] - lr[j]) > 1e-3 * lr[j];
                }
                LinkedHashMap<String, float[]> after = engine.weights();
                for (String name : after.keySet()) {
                    assertStepClose(at + name, before.tensors().get(name), want.after().get(name), after.get(name));
                }
                lr = lrAfter;
            }
        }
        assertTrue(moved, "the rates must have moved");
    }

    /**
     * {@code distributed.cosine_norms = shard_mean}, the estimator, on the same state as the exact
     * rule: the same dot products and direction norms, a validation norm never smaller (the mean of
     * the shards' squares against the square of their mean), and larger where the shards disagree.
     */
    @Test
    void theShardMeanEstimatorOverstatesOnlyTheValidationNorm() {
        JobConfig exact = JobConfig.of(ConfigFactory.parseString("meta.normalize = cosine")
                .withFallback(cfg("optimizer", SHARDS).raw()));
        JobConfig estimator = JobConfig.of(ConfigFactory.parseString("distributed.cosine_norms = shard_mean")
                .withFallback(exact.raw()));
        RunSetup setup = RunSetup.from(exact, 1, 3);
        ImageSet train = train(SHARDS);
        ImageSet val = SyntheticImages.generate("blobs", 3, 30, 1, 12, 6);
        double[] lr = setup.plan().initialLr();
        StepEngine.StepRequest first = new StepEngine.StepRequest(0, 0, 0, lr, true);
        GroupSums a, b;
        try (SparkEngine e = new SparkEngine(exact, setup, MetaMode.GLOBAL, SHARDS, io.metalr.TestSpark.context(), train,
                val, null, s -> { })) {
            a = e.compute(first).sums();
        }
        try (SparkEngine e = new SparkEngine(estimator, setup, MetaMode.GLOBAL, SHARDS, io.metalr.TestSpark.context(), train,
                val, null, s -> { })) {
            b = e.compute(first).sums();
        }
        for (int j = 0; j < lr.length; j++) {
            assertEquals(a.dot()[j], b.dot()[j], 1e-12 * Math.abs(a.dot()[j]), "group " + j + " dot");
            assertEquals(a.dirNormSq()[j], b.dirNormSq()[j], 1e-12 * a.dirNormSq()[j], "group " + j + " |d|^2");
            assertTrue(b.valNormSq()[j] > a.valNormSq()[j] * 1.01, "group " + j + ": the estimator's |grad L_val|^2 "
                    + b.valNormSq()[j] + " against the exact " + a.valNormSq()[j]);
        }
    }

    @Test
    void withOneShardLocalAndGlobalAgree() {
        JobConfig cfg = cfg("sgd", 1);
        RunSetup setup = RunSetup.from(cfg, 1, 3);
        ImageSet train = train(1);
        ImageSet val = SyntheticImages.generate("blobs", 3, 30, 1, 12, 6);
        Trainer.Outcome local = new DistributedTrainer(cfg, setup, MetaMode.LOCAL, 1, s -> { }).fit(io.metalr.TestSpark.context(), train, val, null, null);
        Trainer.Outcome global = new DistributedTrainer(cfg, setup, MetaMode.GLOBAL, 1, s -> { }).fit(io.metalr.TestSpark.context(), train, val, null, null);
        assertEquals(java.util.Arrays.toString(global.finalLr()), java.util.Arrays.toString(local.finalLr()));
        global.bestWeights().forEach((name, v) -> assertClose(name, v, local.bestWeights().get(name)));
    }

    private static void assertNear(String what, double expected, double actual, double rel, double abs) {
        assertTrue(Math.abs(actual - expected) <= rel * Math.abs(expected) + abs,
                what + ": " + actual + ", the reference " + expected);
    }

    /**
     * The step a tensor took against the reference's step: the norm of their difference, relative,
     * plus the float32 rounding of the weights themselves (a tiny step on a weight near 1 is mostly
     * rounding).
     */
    private static void assertStepClose(String what, float[] before, double[] expected, float[] actual) {
        double diff = 0, step = 0, rounding = 0;
        for (int i = 0; i < before.length; i++) {
            double want = expected[i] - before[i];
            double got = (double) actual[i] - before[i];
            diff += (got - want) * (got - want);
            step += want * want;
            rounding += Math.ulp(actual[i]) * Math.ulp(actual[i]);
        }
        assertTrue(Math.sqrt(diff) <= 1e-3 * Math.sqrt(step) + Math.sqrt(rounding), what + ": the step differs from the "
                + "reference's by " + Math.sqrt(diff) + " in norm, the step's norm " + Math.sqrt(step));
    }

    private static void assertClose(String name, float[] expected, float[] actual) {
        double maxErr = 0, maxAbs = 0;
        for (int i = 0; i < expected.length; i++) {
            maxErr = Math.max(maxErr, Math.abs(expected[i] - actual[i]));
            maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
        }
        assertTrue(maxErr <= 1e-5 * Math.max(maxAbs, 1e-6), name + ": max-abs error " + maxErr + " over max-abs " + maxAbs);
    }
}
