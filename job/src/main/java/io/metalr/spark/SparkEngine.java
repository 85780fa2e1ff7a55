package io.metalr.spark;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
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
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Distributed MetaLR's steps. The training set becomes N stratified shards, cached as partitions
 * on the executors ({@link ShardPartitions}). A step, read top to bottom:
 *
 * <ol>
 *   <li>round one: broadcast the model version, alpha_t and the previous step's update; each shard
 *       brings its replica to the version, then computes its gradient g_i, loss and batch-norm
 *       statistics (and, in local meta mode, its hypergradient sums with its own lookahead);
 *       tree-aggregated to the driver;
 *   <li>global meta mode, meta steps: round two broadcasts the mean gradient and statistics; each
 *       replica computes the optimizer's step u from them (kept: it is the update the next round
 *       one applies) and returns the sums at theta - s * alpha * d (d = g or u) on its meta batch,
 *       drawn from its share of the meta source (for the exact cosine rule also its validation
 *       gradient, whose mean's norm the driver takes: {@link CosineNorms});
 *   <li>{@link #commit}: the driver updates its own copy by theta -= alpha * u and the shards'
 *       mean running statistics; the next round one carries that update to the replicas.
 * </ol>
 * Weights never travel after the first step: every copy applies the same update ({@link ModelState});
 * only an evaluation sends the driver's weights (once, by broadcast) to the shards, which score
 * their shares of the split ({@link #evaluate}). The step's training loss is the mean over all the
 * shards' images, as a single process's over its batch.
 * With one shard the mean of a shard's numbers is the numbers themselves, and the shard draws the
 * single-process batches, so a 1-shard run is the in-process run.
 */
public final class SparkEngine implements StepEngine {

    /** Where rounds run: the session, the cached shards, the broadcast spec. */
    private record Cluster(JavaSparkContext sc, ShardPartitions data, Broadcast<JobSpec> spec) {}

    private final MetaMode mode;
    private final int shardCount;
    private final int batchSize;
    private final int evalBatchSize;
    private final Shards shards;
    private final JobSpec spec;
    private final Cluster cluster;
    private final Weights weights;
    private final ModelState state;
    private final ExecutorEvaluation.Model scoring;
    private final Consumer<String> log;
    private final boolean fullStateEveryRound;
    /** The group of each tensor of {@code spec.learnable()}, and how many groups there are. */
    private final int[] learnableGroupOf;
    private final int groupCount;
    private StepInput.Means lastUpdate;
    /** The computed step's means and whether a lookahead round ran; null when none is pending. */
    private StepInput.Means pending;
    private boolean pendingLookahead;

    /**
     * Over sets the driver loaded, each shard broadcast once ({@link ShardPartitions#broadcast}).
     *
     * @param test null: not evaluated
     * @param fullStateEveryRound send the whole model state in every round, as if every replica
     *     were new: slow, and only for tests that check the replicas' own updates against it
     */
    public SparkEngine(JobConfig cfg, RunSetup setup, MetaMode mode, int shardCount, JavaSparkContext sc,
            ImageSet train, ImageSet val, ImageSet test, Consumer<String> log, boolean fullStateEveryRound) {
        this(cfg, setup, mode, broadcastShards(cfg, shardCount, sc, train, val, test), sc, log, fullStateEveryRound);
    }

    private static ShardPartitions broadcastShards(JobConfig cfg, int shardCount, JavaSparkContext sc, ImageSet train,
            ImageSet val, ImageSet test) {
        boolean metaFromVal = cfg.word("meta.source").equals("val");
        if (metaFromVal && val.size() < shardCount) {
            throw new IllegalArgumentException("meta.source = val: the validation set's " + val.size()
                    + " images cannot give each of distributed.shards = " + shardCount + " shards one");
        }
        return ShardPartitions.broadcast(sc, train, val, test, shardCount, cfg.integer("train.seed"), metaFromVal);
    }

    /**
     * Over the given shard partitions (the engine closes them): sets the driver loaded, or stores
     * the executors built ({@link ShardPartitions#fromStores}).
     */
    public SparkEngine(JobConfig cfg, RunSetup setup, MetaMode mode, ShardPartitions data, JavaSparkContext sc,
            Consumer<String> log, boolean fullStateEveryRound) {
        MetaLrSettings meta = cfg.meta();
        if (mode == MetaMode.LOCAL && meta.direction() == MetaLrSettings.Direction.OPTIMIZER) {
            data.close();
            throw new IllegalArgumentException("meta.direction = optimizer needs distributed.meta_mode = global: "
                    + "the optimizer's state lives on the driver");
        }
        if (data.train() == null) {
            data.close();
            throw new IllegalArgumentException(data.name() + ": the training split is empty");
        }
        this.mode = mode;
        this.shards = data.train();
        this.shardCount = shards.count();
        this.log = log;
        this.fullStateEveryRound = fullStateEveryRound;
        this.batchSize = cfg.integer("train.batch_size");
        this.evalBatchSize = cfg.integer("train.eval_batch_size");
        this.scoring = ExecutorEvaluation.model(setup.net(), cfg.string("device"));
        long seed = cfg.integer("train.seed");
        this.spec = spec(cfg, setup, mode, shards, data.meta(), seed, data.channels());
        // the spec (with every shard's indices) likewise travels once, not inside every task
        this.cluster = new Cluster(sc, data, sc.broadcast(spec));
        this.learnableGroupOf = MetaGradient.groupIndex(setup.groups(), spec.learnable().names());
        this.groupCount = setup.groups().size();
        log.accept(shards.describe());
        this.weights = Weights.fromHost(setup.net(), setup.initial(), Device.cpu());
        this.state = new ModelState(spec, setup.groups(), weights);
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
        long[] bytes = {0};
        ShardResult r = round(state, bytes, StepInput.gradients(state.version(), lastUpdate, q.lr().clone(), q.epoch(),
                q.stepInEpoch(), q.step(), q.metaStep()));
        double compute = r.maxComputeSeconds;
        bytes[0] += 4L * (spec.learnable().total() + spec.buffers().total()) * r.shards;
        // r.loss sums each shard's mean loss times its batch size: the mean over every image of the step
        double trainLoss = r.loss / r.count;
        if (!Double.isFinite(trainLoss)) {
            return new StepSums(trainLoss, r.correct, (int) r.count, Double.NaN, null, compute, bytes[0], 0);
        }
        float[] meanGrad = r.meanGrad();
        float[] meanBuffers = r.meanBuffers();
        boolean lookaheadRound = q.metaStep() && mode == MetaMode.GLOBAL;
        double metaLoss = Double.NaN;
        GroupSums sums = null;
        if (q.metaStep()) {
            ShardResult m = r;
            if (lookaheadRound) {
                m = round(state, bytes, StepInput.lookahead(state.version(), q.lr().clone(), q.epoch(), q.stepInEpoch(), q.step(),
                        meanGrad, meanBuffers));
                compute += m.maxComputeSeconds;
            }
            metaLoss = m.metaLoss / m.shards;
            // the dot products are linear in the validation gradient and the direction is the same
            // on every shard (global mode): their means are exact; the norm of the mean gradient is
            // not the mean of the shards' norms, so the exact rule forms it here (CosineNorms)
            double[] valNormSq = scale(m.valNormSq, m.shards);
            if (m.valGrad != null) {
                valNormSq = groupNormsSq(m.meanValGrad());
                bytes[0] += 4L * spec.learnable().total() * m.shards;
            }
            sums = new GroupSums(scale(m.dot, m.shards), valNormSq, scale(m.dirNormSq, m.shards));
        }
        pending = new StepInput.Means(meanGrad, meanBuffers);
        pendingLookahead = lookaheadRound;
        return new StepSums(trainLoss, r.correct, (int) r.count, metaLoss, sums, compute, bytes[0], 0);
    }

    @Override
    public void commit(double[] lr) {
        StepInput.Means m = take();
        try (NDManager scratch = weights.manager().newSubManager()) {
            // after the lookahead round: a replica that round restores must see the optimizer's
            // state before this step, as the others do
            state.apply(state.directions(m.gradient(), scratch), lr, m.buffers());
        }
        // the executors' copies apply the same update at the start of the next round: after a
        // lookahead round they already hold its direction, else they need the mean gradient
        lastUpdate = pendingLookahead ? new StepInput.Means(null, null) : m;
    }

    @Override
    public void abandon() {
        pending = null; // nothing was applied anywhere: the replicas stay at the driver's version
    }

    private StepInput.Means take() {
        if (pending == null) {
            throw new IllegalStateException("no step computed");
        }
        StepInput.Means m = pending;
        pending = null;
        return m;
    }

    @Override
    public ModelSnapshot snapshot() {
        Map<String, float[]> optState = state.optimizer().stateToHost();
        return new ModelSnapshot(weights.toHost(), optState, state.shapes(optState), state.optimizer().step());
    }

    @Override
    public void load(ModelSnapshot s) {
        weights.load(s.tensors());
        state.optimizer().loadState(s.optimizerState(), s.optimizerStep(), s.optimizerShapes());
        // the replicas hold no state of this run yet: the first round sends them the whole state
    }

    @Override
    public LinkedHashMap<String, float[]> weights() {
        return weights.toHost();
    }

    @Override
    public void loadWeights(Map<String, float[]> tensors) {
        weights.load(tensors);
    }

    /**
     * On the executors, where each shard's share of the split is ({@link ExecutorEvaluation}): the
     * driver's weights travel once, every shard scores its images in batches of
     * {@code train.eval_batch_size}, and the driver computes the metrics over all the scores. One
     * shard holding the whole split scores the batches a single process scores.
     */
    @Override
    public ClassificationMetrics evaluate(EvalSplit split) {
        int s = split == EvalSplit.TEST ? Splits.TEST : Splits.VAL;
        return ExecutorEvaluation.evaluate(cluster.sc(), cluster.data(), scoring, weights.toHost(), List.of(s), evalBatchSize, log);
    }

    @Override
    public void close() {
        String runId = spec.runId();
        try {
            // on every executor, not only where the partitions are now: one that lost its partition
            // (evicted, or run elsewhere while it was busy) still holds that shard's replica
            java.util.Set<String> missed = EveryExecutor.run(cluster.sc(), () -> ShardWorker.release(runId));
            if (!missed.isEmpty()) {
                log.accept("could not reach executor(s) " + missed + " to free their model replicas");
            }
        } catch (RuntimeException e) {
            log.accept("could not free the executors' model replicas: " + e.getMessage());
        }
        cluster.data().close();
        cluster.spec().destroy(false);
        state.close();
        weights.close();
    }

    /**
     * Runs one round on every shard and adds up the results. When some shard's replica is missing
     * or behind (its executor is new, or replaced after a failure; every replica at the first
     * step), the round is repeated with the driver's whole state, which such a replica loads.
     */
    private ShardResult round(ModelState state, long[] bytes, StepInput in) {
        if (fullStateEveryRound) {
            in = in.withFullState(state.snapshot());
        }
        ShardResult r = broadcastRound(in, bytes);
        if (r.missing > 0) {
            if (!cluster.data().refresh(log)) {
                throw new IllegalStateException("step " + in.step() + ": " + r.missing + " shard(s) found no data");
            }
            r = broadcastRound(in, bytes);
            if (r.missing > 0) {
                throw new IllegalStateException("step " + in.step() + ": " + r.missing + " shard(s) found no stores after a rebuild");
            }
        }
        if (r.stale > 0) {
            if (in.step() > 0 || state.version() > 0) {
                log.accept("step " + in.step() + ": " + r.stale + " shard replica(s) missing or behind; sending them the whole model state");
            }
            r = broadcastRound(in.withFullState(state.snapshot()), bytes);
            if (r.stale > 0) {
                throw new IllegalStateException("step " + in.step() + ": " + r.stale
                        + " shard replica(s) could not load the model state of version " + state.version());
            }
        }
        return r;
    }

    private ShardResult broadcastRound(StepInput in, long[] bytes) {
        bytes[0] += 4L * in.floats() * shardCount;
        boolean lookahead = in.lookahead() != null;
        Broadcast<StepInput> bc = cluster.sc().broadcast(in);
        Broadcast<JobSpec> spec = cluster.spec();
        try {
            return cluster.data().run(shard -> lookahead ? ShardWorker.metaGradient(spec.value(), shard, bc.value())
                    : ShardWorker.gradients(spec.value(), shard, bc.value()), ShardResult.missing())
                    .treeAggregate(ShardResult.empty(), ShardResult::merge, ShardResult::merge);
        } finally {
            bc.destroy();
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
        return new JobSpec(UUID.randomUUID().toString(), setup.net().name(), channels, setup.net().numClasses(), patterns,
                setup.plan().trainable(), cfg.meta(), cfg.optimizer(), mode,
                cfg.choice("distributed.cosine_norms", CosineNorms.class), cfg.augmenter(), cfg.integer("train.batch_size"),
                cfg.metaBatchSize(), seed, cfg.string("device"), shards, metaShards,
                new FlatLayout(allNames, sizes), new FlatLayout(learnable, sizes), new FlatLayout(bufferNames, sizes));
    }

    /** Per group, the squared norm of a packed vector over the learnable tensors, in double. */
    private double[] groupNormsSq(float[] packed) {
        double[] out = new double[groupCount];
        for (int i = 0; i < learnableGroupOf.length; i++) {
            java.nio.FloatBuffer v = spec.learnable().view(packed, i);
            double sq = 0;
            while (v.hasRemaining()) {
                double x = v.get();
                sq += x * x;
            }
            out[learnableGroupOf[i]] += sq;
        }
        return out;
    }

    private static double[] scale(double[] v, int shards) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] / shards;
        }
        return out;
    }
}
