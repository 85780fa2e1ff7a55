package io.metalr.spark;

import ai.djl.Device;
import io.metalr.config.JobConfig;
import io.metalr.data.ImageSet;
import io.metalr.data.Shards;
import io.metalr.data.Splits;
import io.metalr.eval.ClassificationMetrics;
import io.metalr.meta.GroupSums;
import io.metalr.meta.MetaLrSettings;
import io.metalr.nn.ParamSpec;
import io.metalr.nn.Weights;
import io.metalr.train.MetaGradient;
import io.metalr.train.RunSetup;
import io.metalr.train.fit.StepEngine;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Distributed MetaLR's steps. The training set becomes N stratified shards, cached as partitions
 * on the executors ({@link ShardPartitions}), and one Spark barrier stage, a task per shard, runs
 * the whole fit ({@link ResidentStage}, {@link ResidentShard}). A step, read top to bottom:
 *
 * <ol>
 *   <li>the driver sends the step's numbers and rates (a few bytes per group) to the stage;
 *   <li>each shard computes its gradient g_i, loss and batch-norm statistics on its batch (and, in
 *       local meta mode, its hypergradient sums with its own lookahead); the executors average the
 *       gradients and statistics among themselves ({@link io.metalr.spark.mesh.PeerMesh#allMean});
 *   <li>global meta mode, meta steps: every replica computes the optimizer's step u from the mean
 *       (kept for the update) and the sums at theta - s * alpha * d (d = g or u) on its meta batch,
 *       drawn from its share of the meta source; the executors average them (for the exact cosine
 *       rule they also reduce the validation gradients and take the norm of their mean:
 *       {@link CosineNorms});
 *   <li>the per-group sums reach the driver, which moves the learning rates ({@code FitLoop});
 *       {@link #commit} sends them back, and every replica applies theta -= alpha * u and the mean
 *       running statistics.
 * </ol>
 * Weights never travel between steps: every replica applies the same update ({@link ModelState}).
 * Only a checkpoint, the selected weights and an evaluation's scores come to the driver. The
 * step's training loss is the mean over all the shards' images, as a single process's over its
 * batch. With one shard the mean of a shard's numbers is the numbers themselves, and the shard
 * draws the single-process batches, so a 1-shard run is the in-process run.
 */
public final class SparkEngine implements StepEngine {

    private final int shardCount;
    private final int batchSize;
    private final int evalBatchSize;
    private final int numClasses;
    private final boolean optimizerDirection;
    private final MetaMode mode;
    private final Shards shards;
    private final ShardPartitions data;
    private final Broadcast<JobSpec> spec;
    private final FlatLayout all;
    private final ResidentStage stage;
    private final Consumer<String> log;
    /** The model version the replicas are at: one per committed step. */
    private long version;
    private ResidentProtocol.Compute pending;
    private long driverBytesBefore;

    /**
     * Over sets the driver loaded, each shard broadcast once ({@link ShardPartitions#broadcast}).
     *
     * @param test null: not evaluated
     */
    public SparkEngine(JobConfig cfg, RunSetup setup, MetaMode mode, int shardCount, JavaSparkContext sc,
            ImageSet train, ImageSet val, ImageSet test, Consumer<String> log) {
        this(cfg, setup, mode, broadcastShards(cfg, shardCount, sc, train, val, test), sc, log);
    }

    private static ShardPartitions broadcastShards(JobConfig cfg, int shardCount, JavaSparkContext sc, ImageSet train,
            ImageSet val, ImageSet test) {
        boolean metaFromVal = cfg.word("meta.source").equals("val");
        if (metaFromVal && val.size() < shardCount) {
            throw new IllegalArgumentException("meta.source = val: the validation set's " + val.size()
                    + " images cannot give each of distributed.shards = " + shardCount + " shards one");
        }
        checkSlots(sc, shardCount);
        return ShardPartitions.broadcast(sc, train, val, test, shardCount, cfg.integer("train.seed"), metaFromVal);
    }

    /**
     * Over the given shard partitions (the engine closes them): sets the driver loaded, or stores
     * the executors built ({@link ShardPartitions#fromStores}).
     */
    public SparkEngine(JobConfig cfg, RunSetup setup, MetaMode mode, ShardPartitions data, JavaSparkContext sc,
            Consumer<String> log) {
        MetaLrSettings meta = cfg.meta();
        if (mode == MetaMode.LOCAL && meta.direction() == MetaLrSettings.Direction.OPTIMIZER) {
            data.close();
            throw new IllegalArgumentException("meta.direction = optimizer needs distributed.meta_mode = global: "
                    + "the optimizer's direction is taken from the mean gradient");
        }
        if (data.train() == null) {
            data.close();
            throw new IllegalArgumentException(data.name() + ": the training split is empty");
        }
        this.mode = mode;
        this.shards = data.train();
        this.shardCount = shards.count();
        try {
            checkSlots(sc, shardCount);
        } catch (IllegalArgumentException e) {
            data.close();
            throw e;
        }
        this.data = data;
        this.log = log;
        this.batchSize = cfg.integer("train.batch_size");
        this.evalBatchSize = cfg.integer("train.eval_batch_size");
        this.numClasses = setup.net().numClasses();
        this.optimizerDirection = meta.direction() == MetaLrSettings.Direction.OPTIMIZER;
        JobSpec js = spec(cfg, setup, mode, shards, data.meta(), cfg.integer("train.seed"), data.channels());
        this.all = js.all();
        // the spec (with every shard's indices) travels once, by broadcast
        this.spec = sc.broadcast(js);
        log.accept(shards.describe());
        this.stage = new ResidentStage(sc, data, spec, MetaGradient.groupIndex(setup.groups(), js.learnable().names()),
                setup.groups().size(), initialState(setup, js),
                new ResidentStage.Settings(cfg.integer("distributed.driver_port"), cfg.integer("distributed.stage_restarts"),
                        1000L * cfg.integer("distributed.stage_timeout_s")), log);
    }

    /**
     * A barrier stage needs a task slot for every shard at once. A local master has its slots
     * fixed: say so now rather than after Spark's own checks. A cluster's executors may still be
     * coming up; Spark waits for them, then fails the stage with its own message.
     */
    private static void checkSlots(JavaSparkContext sc, int shardCount) {
        if (sc.isLocal() && sc.defaultParallelism() < shardCount) {
            throw new IllegalArgumentException("distributed.shards = " + shardCount + " needs " + shardCount
                    + " task slots at once (one per shard), and the master " + sc.master() + " has "
                    + sc.defaultParallelism() + "; use local[" + shardCount + "] or fewer shards");
        }
    }

    /** The run's initial weights and a fresh optimizer, at version 0. */
    private static FullState initialState(RunSetup setup, JobSpec spec) {
        try (Weights w = Weights.fromHost(setup.net(), setup.initial(), Device.cpu())) {
            return new FullState(0, spec.all().pack(w.toHost()), new LinkedHashMap<>(), new LinkedHashMap<>(), 0);
        }
    }

    @Override
    public int stepsPerEpoch() {
        return shards.stepsPerEpoch(batchSize);
    }

    @Override
    public int imagesPerStep() {
        return batchSize * shardCount;
    }

    @Override
    public int shards() {
        return shardCount;
    }

    @Override
    public StepSums compute(StepRequest q) {
        if (pending != null) {
            throw new IllegalStateException("step " + q.step() + " computed before the previous one was committed or abandoned");
        }
        ResidentProtocol.Compute c = new ResidentProtocol.Compute(version, q.epoch(), q.stepInEpoch(), q.step(), q.lr().clone(),
                q.metaStep());
        ResidentProtocol.StepReply r = stage.compute(c);
        pending = c;
        long bytes = stage.driverBytes() - driverBytesBefore;
        driverBytesBefore = stage.driverBytes();
        // the sum of each shard's mean loss times its batch size over all the images: the step's mean
        double trainLoss = r.lossSum() / r.count();
        GroupSums sums = r.dot() == null ? null : new GroupSums(r.dot(), r.valNormSq(), r.dirNormSq());
        return new StepSums(trainLoss, r.correct(), (int) r.count(), r.metaLoss(), sums, r.computeSeconds(), bytes,
                r.executorBytes());
    }

    @Override
    public void commit(double[] lr) {
        take();
        stage.commit(lr.clone());
        version++;
    }

    @Override
    public void abandon() {
        ResidentProtocol.Compute c = take();
        // only a global meta pass along the optimizer's direction has moved anything (its moments)
        boolean tookDirection = c.metaStep() && mode == MetaMode.GLOBAL && optimizerDirection;
        stage.abandon(tookDirection);
    }

    private ResidentProtocol.Compute take() {
        if (pending == null) {
            throw new IllegalStateException("no step computed");
        }
        ResidentProtocol.Compute c = pending;
        pending = null;
        return c;
    }

    @Override
    public ModelSnapshot snapshot() {
        FullState s = stage.snapshot();
        return new ModelSnapshot(all.unpack(s.tensors()), s.optimizerState(), s.shapes(), s.optimizerStep());
    }

    @Override
    public void load(ModelSnapshot s) {
        stage.load(new FullState(version, all.pack(s.tensors()), new LinkedHashMap<>(s.optimizerState()),
                new LinkedHashMap<>(s.optimizerShapes()), s.optimizerStep()));
    }

    @Override
    public LinkedHashMap<String, float[]> weights() {
        return all.unpack(stage.weights());
    }

    @Override
    public void loadWeights(Map<String, float[]> tensors) {
        stage.loadWeights(all.pack(tensors));
    }

    /**
     * On the executors, where each shard's share of the split is: every shard scores its images
     * with its replica in batches of {@code train.eval_batch_size}, and the driver computes the
     * metrics over all the scores ({@link ExecutorEvaluation#metrics}). One shard holding the whole
     * split scores the batches a single process scores.
     */
    @Override
    public ClassificationMetrics evaluate(EvalSplit split) {
        int[] wanted = ExecutorEvaluation.present(data, List.of(split == EvalSplit.TEST ? Splits.TEST : Splits.VAL));
        if (wanted.length == 0) {
            return null;
        }
        return ExecutorEvaluation.metrics(data, wanted, stage.evaluate(wanted, evalBatchSize), numClasses);
    }

    @Override
    public void close() {
        try {
            stage.close();
        } finally {
            data.close();
            spec.destroy(false);
        }
    }

    private static JobSpec spec(JobConfig cfg, RunSetup setup, MetaMode mode, Shards shards, Shards metaShards, long seed,
            int channels) {
        List<String> allNames = new ArrayList<>();
        List<String> bufferNames = new ArrayList<>();
        Map<String, Integer> sizes = new LinkedHashMap<>();
        for (ParamSpec p : setup.net().params()) {
            allNames.add(p.name());
            sizes.put(p.name(), Math.toIntExact(p.size()));
            if (!p.trainable()) {
                bufferNames.add(p.name());
            }
        }
        List<String> learnable = new ArrayList<>();
        for (int g = 0; g < setup.groups().size(); g++) {
            if (setup.plan().trainable()[g]) {
                learnable.addAll(setup.groups().get(g).params());
            }
        }
        List<String> patterns = cfg.word("groups.mode").equals("patterns") ? cfg.strings("groups.patterns") : List.of();
        return new JobSpec(setup.net().name(), channels, setup.net().numClasses(), patterns,
                setup.plan().trainable(), cfg.meta(), cfg.optimizer(), mode,
                cfg.choice("distributed.cosine_norms", CosineNorms.class), cfg.word("distributed.transport").equals("auto"),
                cfg.augmenter(), cfg.integer("train.batch_size"),
                cfg.metaBatchSize(), seed, cfg.string("device"), shards, metaShards,
                new FlatLayout(allNames, sizes), new FlatLayout(learnable, sizes), new FlatLayout(bufferNames, sizes));
    }

}
