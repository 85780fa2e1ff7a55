package io.metalr.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
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
import io.metalr.nn.ParamSpec;
import io.metalr.nn.Scratch;
import io.metalr.nn.Weights;
import io.metalr.optim.Optimizer;
import io.metalr.optim.Optimizers;
import io.metalr.train.MetaGradient;
import io.metalr.train.ModelCompute;
import io.metalr.train.RunSetup;
import io.metalr.train.StrategyPlan;
import io.metalr.train.Trainer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The distributed step against a naive single-process reference kept here: the same per-shard
 * micro-batches, gradients averaged, the global lookahead evaluated shard by shard and averaged.
 * After 20 steps on Spark local[2] with 2 shards, weights and learning rates agree to 1e-5.
 */
class DistributedEquivalenceTest {

    private static final int SHARDS = 2;
    private static final int BATCH = 8;
    private static final int STEPS = 20;

    private static JobConfig cfg(String direction, int shards) {
        return JobConfig.of(ConfigFactory.parseString(String.join("\n",
                "model.name = small_resnet", "strategy = metalr", "train.epochs = 1", "train.batch_size = " + BATCH,
                "train.lr = 0.01", "train.select_metric = loss", "train.log_every = 0", "data.augment.enabled = false",
                "meta.hold_head_epochs = 0", "meta.hyper_lr = 5", "meta.direction = " + direction)));
    }

    private static ImageSet train(int shards) {
        return SyntheticImages.generate("blobs", 3, shards * BATCH * STEPS, 1, 12, 5);
    }

    @ParameterizedTest(name = "meta.direction = {0}")
    @ValueSource(strings = {"sgd", "optimizer"})
    void globalModeEqualsOneProcessOverTheSameMicroBatches(String direction) {
        JobConfig cfg = cfg(direction, SHARDS);
        RunSetup setup = RunSetup.from(cfg, 1, 3);
        ImageSet train = train(SHARDS);
        ImageSet val = SyntheticImages.generate("blobs", 3, 30, 1, 12, 6);
        Trainer.Outcome dist = new DistributedTrainer(cfg, setup, MetaMode.GLOBAL, SHARDS, s -> { })
                .fit(io.metalr.TestSpark.context(), train, val, null, null);
        Reference ref = reference(cfg, setup, train, SHARDS);
        assertEquals(STEPS, dist.steps());
        for (int j = 0; j < ref.lr.length; j++) {
            double rel = Math.abs(dist.finalLr()[j] - ref.lr[j]) / ref.lr[j];
            assertTrue(rel <= 1e-5, "group " + j + " lr " + dist.finalLr()[j] + " vs reference " + ref.lr[j]);
        }
        assertTrue(java.util.Arrays.stream(ref.lr).anyMatch(v -> Math.abs(v - 1e-3) > 1e-6), "the rates must have moved");
        ref.weights.forEach((name, expected) -> assertClose(name, expected, dist.bestWeights().get(name)));
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

    /**
     * Executors keep their own model copies and apply each step's update themselves; a run whose
     * copies instead receive the driver's whole state every round must end bitwise the same. Covers
     * updates from the lookahead round's direction, from a broadcast gradient (steps without a
     * lookahead round: meta.every = 2, local mode) and both lookahead directions.
     */
    @ParameterizedTest(name = "{0} mode, meta.direction = {1}, meta.every = {2}")
    @org.junit.jupiter.params.provider.CsvSource({"GLOBAL, sgd, 1", "GLOBAL, optimizer, 1", "GLOBAL, optimizer, 2", "LOCAL, sgd, 1"})
    void executorCopiesStayEqualToTheDriversState(MetaMode mode, String direction, int every) {
        JobConfig cfg = JobConfig.of(cfg(direction, SHARDS).raw().withValue("meta.every",
                com.typesafe.config.ConfigValueFactory.fromAnyRef(every)).withValue("train.epochs",
                com.typesafe.config.ConfigValueFactory.fromAnyRef(1)));
        RunSetup setup = RunSetup.from(cfg, 1, 3);
        ImageSet train = SyntheticImages.generate("blobs", 3, SHARDS * BATCH * 8, 1, 12, 5);
        ImageSet val = SyntheticImages.generate("blobs", 3, 30, 1, 12, 6);
        Trainer.Outcome incremental = new DistributedTrainer(cfg, setup, mode, SHARDS, s -> { })
                .fit(io.metalr.TestSpark.context(), train, val, null, null);
        Trainer.Outcome full = new DistributedTrainer(cfg, setup, mode, SHARDS, s -> { }).withFullStateEveryRound()
                .fit(io.metalr.TestSpark.context(), train, val, null, null);
        assertEquals(java.util.Arrays.toString(full.finalLr()), java.util.Arrays.toString(incremental.finalLr()));
        full.bestWeights().forEach((name, v) -> org.junit.jupiter.api.Assertions.assertArrayEquals(v,
                incremental.bestWeights().get(name), name));
    }

    private record Reference(double[] lr, Map<String, float[]> weights) {}

    /** The naive reference: every shard's work done one after the other in this JVM. */
    private static Reference reference(JobConfig cfg, RunSetup setup, ImageSet train, int shardCount) {
        long seed = cfg.integer("train.seed");
        Shards shards = Shards.of(train, shardCount, seed);
        MetaLrSettings meta = cfg.meta();
        MetaLrRule rule = new MetaLrRule(meta);
        double[] lr = setup.plan().initialLr().clone();
        List<String> params = new ArrayList<>();
        setup.groups().all().forEach(g -> params.addAll(g.params()));
        int[] groupOf = MetaGradient.groupIndex(setup.groups(), params);
        List<String> buffers = setup.net().params().stream().filter(p -> !p.trainable()).map(ParamSpec::name).toList();
        try (Weights w = Weights.fromHost(setup.net(), setup.initial(), Device.cpu());
                Optimizer opt = Optimizers.create(cfg.optimizer(), w.manager())) {
            for (int step = 0; step < STEPS; step++) {
                try (NDManager m = w.manager().newSubManager()) {
                    Map<String, NDArray> gSum = new LinkedHashMap<>();
                    Map<String, NDArray> bufSum = new LinkedHashMap<>();
                    for (int s = 0; s < shardCount; s++) {
                        Map<String, NDArray> staged = new LinkedHashMap<>();
                        buffers.forEach(b -> staged.put(b, Scratch.alias(w.get(b), m).duplicate()));
                        Batch b = train.batch(m, shards.trainBatch(s, seed, 0, step, BATCH));
                        Map<String, NDArray> g = ModelCompute.lossAndGradients(setup.net(),
                                n -> staged.getOrDefault(n, w.get(n)), params, b, m).grads();
                        g.forEach((k, v) -> gSum.merge(k, v.toType(ai.djl.ndarray.types.DataType.FLOAT64, true), NDArray::add));
                        staged.forEach((k, v) -> bufSum.merge(k, v.toType(ai.djl.ndarray.types.DataType.FLOAT64, true), NDArray::add));
                    }
                    bufSum.forEach((k, v) -> Scratch.alias(w.get(k), m).muli(0).addi(v.div(shardCount).toType(ai.djl.ndarray.types.DataType.FLOAT32, false)));
                    opt.beginStep();
                    Map<String, NDArray> theta = new LinkedHashMap<>();
                    Map<String, NDArray> g = new LinkedHashMap<>();
                    Map<String, NDArray> u = new LinkedHashMap<>();
                    for (String p : params) {
                        theta.put(p, Scratch.alias(w.get(p), m));
                        g.put(p, gSum.get(p).div(shardCount).toType(ai.djl.ndarray.types.DataType.FLOAT32, false));
                        u.put(p, opt.direction(p, theta.get(p), g.get(p), m));
                    }
                    Map<String, NDArray> d = meta.direction() == MetaLrSettings.Direction.SGD ? g : u;
                    Map<String, NDArray> scratchBuffers = w.scratchBuffers(m);
                    GroupSums sums = GroupSums.zeros(setup.groups().size());
                    for (int s = 0; s < shardCount; s++) {
                        Batch mb = train.batch(m, shards.metaBatch(s, seed, 0, step, BATCH));
                        sums = sums.plus(MetaGradient.compute(setup.net(), params, groupOf, setup.groups().size(), theta, d, lr,
                                meta.lookahead().sign, n -> scratchBuffers.getOrDefault(n, w.get(n)), mb, false, m).sums());
                    }
                    double[] dot = sums.dot().clone();
                    for (int j = 0; j < dot.length; j++) {
                        dot[j] /= shardCount;
                    }
                    boolean[] all = new boolean[lr.length];
                    java.util.Arrays.fill(all, true);
                    lr = rule.update(lr, new GroupSums(dot, new double[dot.length], new double[dot.length]), all, false).lrAfter();
                    for (int i = 0; i < params.size(); i++) {
                        theta.get(params.get(i)).subi(u.get(params.get(i)).muli(lr[groupOf[i]]));
                    }
                }
            }
            return new Reference(lr, w.toHost());
        }
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
