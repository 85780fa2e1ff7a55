package io.metalr.train.fit;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.metalr.config.JobConfig;
import io.metalr.data.Batch;
import io.metalr.data.ImageSet;
import io.metalr.data.MetaHoldout;
import io.metalr.data.Shards;
import io.metalr.eval.ClassificationMetrics;
import io.metalr.nn.Weights;
import io.metalr.optim.Optimizer;
import io.metalr.optim.Optimizers;
import io.metalr.train.Evaluator;
import io.metalr.train.RunSetup;
import io.metalr.train.TrainStep;
import io.metalr.udf.image.Augmenter;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Steps in this process, on one device, over {@link TrainStep}: the data is one shard
 * ({@link Shards} of count 1 draws {@link io.metalr.data.BatchOrder}'s batches, as a 1-shard Spark
 * run does), the meta batches come from {@code meta.source}: the training set, the validation set,
 * or ({@code holdout}) a {@link MetaHoldout} slice of the training set, which the gradient batches
 * then never use.
 */
public final class InProcessEngine implements StepEngine {

    private final Weights weights;
    private final Optimizer optimizer;
    private final TrainStep step;
    /** The images the gradients use: the training set, or with a meta hold-out the rest of it. */
    private final ImageSet train;
    /** Null unless meta.source = holdout. */
    private final MetaHoldout holdout;
    private final ImageSet metaSource;
    private final ImageSet val;
    private final ImageSet test;
    private final Shards trainOrder;
    private final Shards metaOrder;
    private final boolean looksAhead;
    private final Augmenter augmenter;
    private final int batchSize;
    private final int metaBatchSize;
    private final int evalBatchSize;
    private final long seed;
    private TrainStep.Pending pending;

    public InProcessEngine(JobConfig cfg, RunSetup setup, Device device, ImageSet train, ImageSet val, ImageSet test) {
        this(cfg, setup, setup.initial(), device, train, val, test);
    }

    /** As above, starting from {@code initial} weights. */
    public InProcessEngine(JobConfig cfg, RunSetup setup, Map<String, float[]> initial, Device device, ImageSet train,
            ImageSet val, ImageSet test) {
        String source = cfg.word("meta.source");
        this.holdout = source.equals("holdout")
                ? MetaHoldout.cut(train, cfg.number("meta.holdout_fraction"), cfg.integer("meta.holdout_seed"))
                : null;
        this.train = holdout != null ? holdout.rest() : train;
        this.val = val;
        this.test = test;
        this.metaSource = holdout != null ? holdout.holdout() : source.equals("val") ? val : this.train;
        this.seed = cfg.integer("train.seed");
        this.batchSize = cfg.integer("train.batch_size");
        this.metaBatchSize = cfg.metaBatchSize();
        this.evalBatchSize = cfg.integer("train.eval_batch_size");
        this.augmenter = cfg.augmenter();
        this.looksAhead = setup.plan().looksAhead();
        this.trainOrder = Shards.of(this.train, 1, seed);
        this.metaOrder = metaSource == this.train ? trainOrder : Shards.of(metaSource, 1, seed);
        Weights w = Weights.fromHost(setup.net(), initial, device);
        try {
            this.optimizer = Optimizers.create(cfg.optimizer(), w.manager());
            // the step's own rate controller is unused here: the loop's decides
            this.step = new TrainStep(w, setup.groups(), optimizer, cfg.meta(), setup.plan(), true);
        } catch (RuntimeException e) {
            w.close();
            throw e;
        }
        this.weights = w;
    }

    @Override
    public int stepsPerEpoch() {
        return trainOrder.stepsPerEpoch(batchSize);
    }

    @Override
    public int imagesPerStep() {
        return batchSize;
    }

    @Override
    public int shards() {
        return 1;
    }

    @Override
    public StepSums compute(StepRequest r) {
        if (pending != null) {
            throw new IllegalStateException("step " + r.step() + " computed before the previous one was committed or abandoned");
        }
        long t0 = System.nanoTime();
        Draw d = draw(r);
        try (NDManager batches = NDManager.newBaseManager(weights.device())) {
            Batch b = augmenter.enabled()
                    ? d.train().augmentedBatch(batches, d.trainIndices(), augmenter, seed, r.epoch())
                    : d.train().batch(batches, d.trainIndices());
            Batch m = d.meta() != null ? d.meta().batch(batches, d.metaIndices()) : null;
            pending = step.prepare(b, m, r.epoch(), r.step(), r.lr());
        }
        return new StepSums(pending.trainLoss(), pending.correct(), pending.count(), pending.metaLoss(), pending.sums(),
                (System.nanoTime() - t0) / 1e9, 0, 0);
    }

    /** Which images a step takes: positions in {@code train}, and in {@code meta} (null without a meta pass). */
    record Draw(ImageSet train, int[] trainIndices, ImageSet meta, int[] metaIndices) {}

    /** The step's batches, as {@link #compute} takes them (tests check where they come from). */
    Draw draw(StepRequest r) {
        int[] idx = trainOrder.trainBatch(0, seed, r.epoch(), r.stepInEpoch(), batchSize);
        return looksAhead
                ? new Draw(train, idx, metaSource, metaOrder.metaBatch(0, seed, r.epoch(), r.step(), metaBatchSize))
                : new Draw(train, idx, null, null);
    }

    /** The meta hold-out; null unless meta.source = holdout. */
    MetaHoldout holdout() {
        return holdout;
    }

    @Override
    public String dataNote() {
        return holdout == null ? null : holdout.describe();
    }

    @Override
    public void commit(double[] lr) {
        TrainStep.Pending p = take();
        p.commit(lr);
    }

    @Override
    public void abandon() {
        take().close();
    }

    private TrainStep.Pending take() {
        if (pending == null) {
            throw new IllegalStateException("no step computed");
        }
        TrainStep.Pending p = pending;
        pending = null;
        return p;
    }

    @Override
    public ModelSnapshot snapshot() {
        Map<String, float[]> state = optimizer.stateToHost();
        return new ModelSnapshot(weights.toHost(), state,
                FitLoop.optimizerShapes(state, name -> weights.get(name).getShape().getShape()), optimizer.step());
    }

    @Override
    public void load(ModelSnapshot s) {
        weights.load(s.tensors());
        optimizer.loadState(s.optimizerState(), s.optimizerStep(), s.optimizerShapes());
    }

    @Override
    public LinkedHashMap<String, float[]> weights() {
        return weights.toHost();
    }

    @Override
    public void loadWeights(Map<String, float[]> tensors) {
        weights.load(tensors);
    }

    @Override
    public ClassificationMetrics evaluate(EvalSplit split) {
        ImageSet set = split == EvalSplit.VAL ? val : test;
        return set == null ? null : Evaluator.evaluate(weights, set, evalBatchSize);
    }

    @Override
    public void close() {
        if (pending != null) {
            pending.close();
            pending = null;
        }
        step.close();
        optimizer.close();
        weights.close();
    }
}
