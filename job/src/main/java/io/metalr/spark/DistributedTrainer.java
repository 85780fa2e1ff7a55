package io.metalr.spark;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.metalr.config.JobConfig;
import io.metalr.data.ImageSet;
import io.metalr.data.Shards;
import io.metalr.eval.ClassificationMetrics;
import io.metalr.eval.ModelSelection;
import io.metalr.meta.GroupSums;
import io.metalr.meta.MetaLrRule;
import io.metalr.meta.MetaLrSettings;
import io.metalr.nn.ParamSpec;
import io.metalr.nn.Weights;
import io.metalr.optim.Optimizer;
import io.metalr.train.Evaluator;
import io.metalr.train.Progress;
import io.metalr.train.RunSetup;
import io.metalr.train.StepReport;
import io.metalr.train.StrategyPlan;
import io.metalr.train.Trainer;
import io.metalr.train.TrainingDivergedException;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The driver of distributed MetaLR. The training set becomes N stratified shards, cached as
 * partitions on the executors. Every step, read top to bottom:
 *
 * <ol>
 *   <li>round one: broadcast the model version, alpha_t and the previous step's update; each shard
 *       brings its replica to the version, then computes its gradient g_i, loss and batch-norm
 *       statistics (and, in local meta mode, its hypergradient sums with its own lookahead);
 *       tree-aggregated to the driver;
 *   <li>global meta mode, meta steps: round two broadcasts the mean gradient and statistics; each
 *       replica computes the optimizer's step u from them (kept: it is the update the next round
 *       one applies) and returns the sums at theta - s * alpha * d (d = g or u) on its meta batch;
 *   <li>the driver updates alpha from the mean sums, and its own copy by theta -= alpha * u and
 *       the shards' mean running statistics; broadcasts are destroyed.
 * </ol>
 * Weights never travel after the first step: every copy applies the same update ({@link ModelState}).
 */
public final class DistributedTrainer {

    private final JobConfig cfg;
    private final RunSetup setup;
    private final MetaMode mode;
    private final int shardCount;
    private final Consumer<String> log;
    private String checkpointDir;
    private int checkpointEvery;
    private boolean resume;
    private boolean fullStateEveryRound;

    public DistributedTrainer(JobConfig cfg, RunSetup setup, MetaMode mode, int shardCount, Consumer<String> log) {
        this.cfg = cfg;
        this.setup = setup;
        this.mode = mode;
        this.shardCount = shardCount;
        this.log = log;
        MetaLrSettings meta = cfg.meta();
        if (mode == MetaMode.LOCAL && meta.direction() == MetaLrSettings.Direction.OPTIMIZER) {
            throw new IllegalArgumentException("meta.direction = optimizer needs distributed.meta_mode = global: "
                    + "the optimizer's state lives on the driver");
        }
        if (cfg.word("meta.source").equals("val")) {
            throw new IllegalArgumentException("meta.source = val is not supported by the distributed job yet; use train");
        }
    }

    /**
     * Checkpoints every {@code every} steps (0: only at the end of each epoch) into {@code dir} (any
     * Hadoop path); with {@code resume} a run continues from the newest complete checkpoint there,
     * which must have been written by this same run ({@link RunFingerprint}).
     */
    public DistributedTrainer withCheckpoints(String dir, int every, boolean resume) {
        this.checkpointDir = dir;
        this.checkpointEvery = every;
        this.resume = resume;
        return this;
    }

    /**
     * Sends the whole model state in every round, as if every replica were new: slow, and only
     * for tests that check the replicas' own updates against it.
     */
    DistributedTrainer withFullStateEveryRound() {
        this.fullStateEveryRound = true;
        return this;
    }

    /**
     * One step's record: the report the single-process trainer gives, the wall time, the DJL
     * compute time inside it (the slowest shard of each round plus the driver's update), and the
     * bytes the step moved (broadcasts out, shard results back).
     */
    public record Step(StepReport report, double seconds, double computeSeconds, long bytesMoved) {}

    public Trainer.Outcome fit(JavaSparkContext sc, ImageSet train, ImageSet val, ImageSet test, Consumer<Step> onStep) {
        long seed = cfg.integer("train.seed");
        int batchSize = cfg.integer("train.batch_size");
        Shards shards = Shards.of(train, shardCount, seed);
        JobSpec spec = spec(shards, seed, train.channels());
        // Each shard reaches its executor once, by broadcast, and stays cached there as a partition.
        // Partitions made by parallelize(shards) would carry their data inside every task of every
        // round instead (a task ships its partition object even when the partition is cached).
        List<Broadcast<ShardData>> parts = new ArrayList<>();
        for (int s = 0; s < shardCount; s++) {
            int[] members = shards.indices(s);
            parts.add(sc.broadcast(new ShardData(s, train.subset(train.name() + "/shard" + s, members), members)));
        }
        List<Integer> shardIds = java.util.stream.IntStream.range(0, shardCount).boxed().toList();
        JavaRDD<ShardData> data = sc.parallelize(shardIds, shardCount).map(i -> parts.get(i).value())
                .setName("metalr shards of " + train.name()).persist(StorageLevel.MEMORY_ONLY());
        // the spec (with every shard's indices) likewise travels once, not inside every task
        Cluster cluster = new Cluster(sc, data, sc.broadcast(spec));
        log.accept(shards.describe());
        int epochs = cfg.integer("train.epochs");
        int stepsPerEpoch = shards.stepsPerEpoch(batchSize);
        boolean skipNan = cfg.word("train.on_nan").equals("skip");
        MetaLrRule rule = new MetaLrRule(cfg.meta());
        StrategyPlan plan = setup.plan();
        double[] lr = plan.initialLr().clone();
        ModelSelection selection = ModelSelection.forMetric(cfg.word("train.select_metric"));
        List<Trainer.EpochResult> history = new ArrayList<>();
        LinkedHashMap<String, float[]> best = null;
        int bestEpoch = -1;
        long step = 0;
        long skipped = 0;
        long started = System.nanoTime();
        int startEpoch = 0;
        int startStepInEpoch = 0;
        long stepsThisRun = 0;
        int logEvery = cfg.integer("train.log_every");
        StepInput.Means lastUpdate = null;
        try (Weights weights = Weights.fromHost(setup.net(), setup.initial(), Device.cpu());
                ModelState state = new ModelState(spec, setup.groups(), weights)) {
            removeTemporaryCheckpoints();
            RunFingerprint fingerprint = checkpointDir == null ? null
                    : RunFingerprint.of(cfg, shardCount, mode, setup.initial(), train, val, test);
            java.util.Optional<Checkpoint> restored = resume && checkpointDir != null
                    ? newestCheckpoint() : java.util.Optional.empty();
            if (resume && restored.isEmpty()) {
                throw new IllegalArgumentException("--resume: no complete checkpoint in " + checkpointDir
                        + "; run without --resume to start over");
            }
            if (restored.isPresent()) {
                Checkpoint c = restored.get();
                refuseAnotherRun(c, fingerprint);
                weights.load(c.tensors());
                state.optimizer().loadState(c.optimizerState(), c.optimizerStep(), c.optimizerShapes());
                System.arraycopy(c.lr(), 0, lr, 0, lr.length);
                step = c.step();
                startEpoch = c.epoch();
                startStepInEpoch = c.stepInEpoch();
                if (c.bestTensors() != null) {
                    best = new LinkedHashMap<>(c.bestTensors());
                    bestEpoch = c.bestEpoch();
                    // model selection resumes from the best epoch's validation result, recomputed
                    try (Weights b = Weights.fromHost(setup.net(), best, Device.cpu())) {
                        selection.offer(bestEpoch, step, Evaluator.evaluate(b, val, cfg.integer("train.eval_batch_size")));
                    }
                }
                log.accept("resumed from the checkpoint of step " + step + " (epoch " + (startEpoch + 1) + ")");
            }
            for (int epoch = startEpoch; epoch < epochs; epoch++) {
                long epochStart = System.nanoTime();
                double lossSum = 0;
                long correct = 0;
                long seen = 0;
                for (int s = epoch == startEpoch ? startStepInEpoch : 0; s < stepsPerEpoch; s++, step++) {
                    long t0 = System.nanoTime();
                    boolean metaStep = plan.metaStep(step, cfg.meta().every());
                    double[] before = lr.clone();
                    long[] bytes = {0};
                    ShardResult r = round(cluster, state, bytes,
                            StepInput.gradients(state.version(), lastUpdate, lr.clone(), epoch, s, step, metaStep));
                    double compute = r.maxComputeSeconds;
                    bytes[0] += 4L * (spec.learnable().total() + spec.buffers().total()) * r.shards;
                    double trainLoss = r.loss / r.shards;
                    StepReport report;
                    if (!Double.isFinite(trainLoss)) {
                        if (!skipNan) {
                            throw TrainingDivergedException.nonFinite("training loss", trainLoss, epoch, step, lr);
                        }
                        // nothing moves, but the step is reported, marked, as the single-process loop does:
                        // metrics.jsonl, lr.csv, progress and checkpoints see every step
                        skipped++;
                        report = new StepReport(step, epoch, trainLoss, r.correct, (int) r.count, Double.NaN, before,
                                lr.clone(), new double[0], true);
                    } else {
                        float[] meanGrad = r.meanGrad();
                        float[] meanBuffers = r.meanBuffers();
                        boolean lookaheadRound = metaStep && mode == MetaMode.GLOBAL;
                        double metaLoss = Double.NaN;
                        double[] h = new double[0];
                        long driverStart = System.nanoTime();
                        try (NDManager scratch = weights.manager().newSubManager()) {
                            if (metaStep) {
                                ShardResult m = r;
                                if (lookaheadRound) {
                                    long roundStart = System.nanoTime();
                                    m = round(cluster, state, bytes,
                                            StepInput.lookahead(state.version(), lr.clone(), epoch, s, step, meanGrad, meanBuffers));
                                    // the second round is Spark's and the shards' time, not the driver's update
                                    driverStart += System.nanoTime() - roundStart;
                                    compute += m.maxComputeSeconds;
                                }
                                metaLoss = m.metaLoss / m.shards;
                                if (Double.isFinite(metaLoss)) {
                                    GroupSums sums = new GroupSums(scale(m.dot, m.shards), scale(m.valNormSq, m.shards),
                                            scale(m.dirNormSq, m.shards));
                                    MetaLrRule.Result res = rule.update(lr, sums,
                                            plan.learnableRates(epoch, cfg.meta().holdHeadEpochs(), setup.groups().headIndex()),
                                            plan.learning() == StrategyPlan.Learning.TIED);
                                    h = res.hypergradient();
                                    System.arraycopy(res.lrAfter(), 0, lr, 0, lr.length);
                                } else if (!skipNan) {
                                    throw TrainingDivergedException.nonFinite("meta (validation) loss", metaLoss, epoch, step, lr);
                                }
                            }
                            // after the lookahead round: a replica that round restores must see the
                            // optimizer's state before this step, as the others do
                            state.apply(state.directions(meanGrad, scratch), lr, meanBuffers);
                        }
                        // the executors' copies apply the same update at the start of the next round: after a
                        // lookahead round they already hold its direction, else they need the mean gradient
                        lastUpdate = lookaheadRound ? new StepInput.Means(null, null) : new StepInput.Means(meanGrad, meanBuffers);
                        compute += (System.nanoTime() - driverStart) / 1e9;
                        lossSum += trainLoss * r.count;
                        correct += r.correct;
                        seen += r.count;
                        report = new StepReport(step, epoch, trainLoss, r.correct, (int) r.count, metaLoss, before,
                                lr.clone(), h, false);
                    }
                    if (onStep != null) {
                        onStep.accept(new Step(report, (System.nanoTime() - t0) / 1e9, compute, bytes[0]));
                    }
                    stepsThisRun++;
                    if (logEvery > 0 && (step + 1) % logEvery == 0) {
                        log.accept(Progress.line(epoch, epochs, step + 1, (long) stepsPerEpoch * epochs, stepsThisRun, report,
                                started, batchSize * shardCount));
                    }
                    if (checkpointDir != null && checkpointEvery > 0 && (step + 1) % checkpointEvery == 0) {
                        checkpoint(state, lr, step + 1, epoch, s + 1, bestEpoch, best, fingerprint);
                    }
                }
                ClassificationMetrics v = Evaluator.evaluate(weights, val, cfg.integer("train.eval_batch_size"));
                history.add(new Trainer.EpochResult(epoch, step, seen == 0 ? Double.NaN : lossSum / seen,
                        seen == 0 ? Double.NaN : (double) correct / seen, v, lr.clone(), (System.nanoTime() - epochStart) / 1e9));
                if (selection.offer(epoch, step, v)) {
                    best = weights.toHost();
                    bestEpoch = epoch;
                }
                if (checkpointDir != null) {
                    checkpoint(state, lr, step, epoch + 1, 0, bestEpoch, best, fingerprint);
                }
                log.accept(Progress.epochLine(history.get(history.size() - 1), epochs));
            }
            if (best == null) {
                best = weights.toHost();
                bestEpoch = epochs - 1;
            }
            weights.load(best);
            ClassificationMetrics testMetrics = test == null ? null : Evaluator.evaluate(weights, test, cfg.integer("train.eval_batch_size"));
            ClassificationMetrics bestVal = selection.hasBest() ? selection.bestMetrics() : history.get(history.size() - 1).val();
            return new Trainer.Outcome(history, bestEpoch, bestVal, testMetrics, best, lr.clone(),
                    step, skipped, (System.nanoTime() - started) / 1e9);
        } finally {
            String runId = spec.runId();
            try {
                // the replicas live where the shards' partitions are cached
                data.foreachPartition(it -> ShardWorker.release(runId));
            } catch (RuntimeException e) {
                log.accept("could not free the executors' model replicas: " + e.getMessage());
            }
            data.unpersist(false);
            parts.forEach(b -> b.destroy(false));
            cluster.spec().destroy(false);
        }
    }

    /** A writer killed mid-write (this run's earlier driver) leaves a temporary folder: never read, removed. */
    private void removeTemporaryCheckpoints() {
        if (checkpointDir == null) {
            return;
        }
        try {
            Checkpoint.removeTemporary(checkpointDir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot clean " + checkpointDir + ": " + e.getMessage(), e);
        }
    }

    /**
     * A checkpoint continues only the run that wrote it: another config, other data, another shard
     * count or other initial weights make another trajectory, which --resume must not splice on.
     */
    private void refuseAnotherRun(Checkpoint c, RunFingerprint now) {
        if (c.fingerprint() == null) {
            throw new IllegalArgumentException("--resume: the checkpoint of step " + c.step() + " in " + checkpointDir
                    + " records no run fingerprint (" + Checkpoint.FINGERPRINT + "; written by an older version), so it cannot"
                    + " be told apart from another run's; pass --overwrite to start over");
        }
        List<String> differ = c.fingerprint().differences(now);
        if (!differ.isEmpty()) {
            throw new IllegalArgumentException("--resume: the checkpoint of step " + c.step() + " in " + checkpointDir
                    + " was written by another run; it differs in " + String.join("; ", differ)
                    + ". Resume with the config and data it was written with, or pass --overwrite to start over");
        }
    }

    private java.util.Optional<Checkpoint> newestCheckpoint() {
        try {
            return Checkpoint.newest(checkpointDir, log);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read checkpoints in " + checkpointDir + ": " + e.getMessage(), e);
        }
    }

    private void checkpoint(ModelState state, double[] lr, long step, int epoch, int stepInEpoch,
            int bestEpoch, Map<String, float[]> best, RunFingerprint fingerprint) {
        Weights weights = state.weights();
        Optimizer opt = state.optimizer();
        Map<String, float[]> optState = opt.stateToHost();
        try {
            new Checkpoint(step, epoch, stepInEpoch, lr.clone(), opt.step(), weights.toHost(), optState, state.shapes(optState),
                    bestEpoch, best, fingerprint)
                    .write(checkpointDir);
            Checkpoint.prune(checkpointDir, cfg.integer("train.keep_checkpoints"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot write a checkpoint to " + checkpointDir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Runs one round on every shard and adds up the results. When some shard's replica is missing
     * or behind (its executor is new, or replaced after a failure; every replica at the first
     * step), the round is repeated with the driver's whole state, which such a replica loads.
     */
    /** Where rounds run: the session, the cached shards, the broadcast spec. */
    private record Cluster(JavaSparkContext sc, JavaRDD<ShardData> data, Broadcast<JobSpec> spec) {}

    private ShardResult round(Cluster cluster, ModelState state, long[] bytes, StepInput in) {
        if (fullStateEveryRound) {
            in = in.withFullState(state.snapshot());
        }
        ShardResult r = broadcastRound(cluster, in, bytes);
        if (r.stale > 0) {
            if (in.step() > 0 || state.version() > 0) {
                log.accept("step " + in.step() + ": " + r.stale + " shard replica(s) missing or behind; sending them the whole model state");
            }
            r = broadcastRound(cluster, in.withFullState(state.snapshot()), bytes);
            if (r.stale > 0) {
                throw new IllegalStateException("step " + in.step() + ": " + r.stale
                        + " shard replica(s) could not load the model state of version " + state.version());
            }
        }
        return r;
    }

    private ShardResult broadcastRound(Cluster cluster, StepInput in, long[] bytes) {
        bytes[0] += 4L * in.floats() * shardCount;
        boolean lookahead = in.lookahead() != null;
        Broadcast<StepInput> bc = cluster.sc().broadcast(in);
        Broadcast<JobSpec> spec = cluster.spec();
        try {
            return cluster.data().mapPartitions(it -> {
                List<ShardResult> out = new ArrayList<>();
                while (it.hasNext()) {
                    ShardData shard = it.next();
                    out.add(lookahead ? ShardWorker.metaGradient(spec.value(), shard, bc.value())
                            : ShardWorker.gradients(spec.value(), shard, bc.value()));
                }
                return out.iterator();
            }).treeAggregate(ShardResult.empty(), ShardResult::merge, ShardResult::merge);
        } finally {
            bc.destroy();
        }
    }

    private JobSpec spec(Shards shards, long seed, int channels) {
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
        return new JobSpec(UUID.randomUUID().toString(), setup.net().name(), channels, setup.net().numClasses(), patterns,
                setup.plan().trainable(), cfg.meta(), cfg.optimizer(), mode, cfg.augmenter(), cfg.integer("train.batch_size"),
                cfg.metaBatchSize(), seed, cfg.string("device"), shards,
                new FlatLayout(allNames, sizes), new FlatLayout(learnable, sizes), new FlatLayout(bufferNames, sizes));
    }

    private static double[] scale(double[] v, int shards) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] / shards;
        }
        return out;
    }
}
