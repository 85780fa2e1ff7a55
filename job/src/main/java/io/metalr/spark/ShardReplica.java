package io.metalr.spark;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.metalr.data.Batch;
import io.metalr.eval.ScoreRows;
import io.metalr.groups.LayerGroups;
import io.metalr.meta.MetaLrSettings;
import io.metalr.nn.Network;
import io.metalr.nn.ParamLookup;
import io.metalr.nn.Scratch;
import io.metalr.nn.Weights;
import io.metalr.train.Evaluator;
import io.metalr.train.MetaGradient;
import io.metalr.train.ModelCompute;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One shard's model replica inside the training stage's task ({@link ResidentShard}): the network,
 * its weights and optimizer state on the executor's device ({@link ModelState}), and what one step
 * computes on the shard's data. Every replica applies the same reduced update with the same code,
 * so all stay bitwise equal and weights never travel between steps. The replica lives exactly as
 * long as its task: no replica outlives the run, nor a failed stage.
 */
final class ShardReplica implements AutoCloseable {

    private static final AtomicInteger LIVE = new AtomicInteger();

    /**
     * A shard's own part of a step: sums over its batch; its gradient (learnable layout) followed by
     * its staged batch-norm statistics (buffers layout), in one vector; its meta pass in local mode.
     */
    record LocalStep(double lossSum, long correct, long count, float[] gradientAndBuffers, Meta meta) {}

    /** A meta pass on the shard's meta batch: its loss and per-group sums; the packed validation gradient when asked. */
    record Meta(double loss, double[] dot, double[] valNormSq, double[] dirNormSq, float[] valGradient) {}

    private final JobSpec spec;
    private final Network net;
    private final LayerGroups groups;
    private final ModelState state;
    private final List<String> learnable = new ArrayList<>();
    private final int[] groupOf;
    private final Map<String, NDArray> lookaheadBuffers;
    /**
     * The computed step awaiting commit: the mean gradient on the device (made once, for the
     * lookahead and the update alike) and the mean statistics; the optimizer's direction once taken.
     */
    private NDManager stepManager;
    private Map<String, NDArray> meanGradient;
    private float[] meanBuffers;
    private NDManager directionManager;
    private Map<String, NDArray> direction;
    /**
     * Host vectors reused from step to step (a step's gradient, then its mean; the validation
     * gradient): allocating tens of MB per step costs more in collector pauses than the copies.
     */
    private float[] stepVector;
    private float[] valVector;
    private boolean closed;

    ShardReplica(JobSpec spec, Device device) {
        this.spec = spec;
        this.net = spec.network();
        this.groups = spec.groups(net);
        Weights weights = Weights.initialize(net, 0, device);
        this.state = new ModelState(spec, groups, weights);
        state.setVersion(-1); // holds no real state until the first Load
        for (int g = 0; g < groups.size(); g++) {
            if (spec.trainable()[g]) {
                learnable.addAll(groups.get(g).params());
            }
        }
        this.groupOf = MetaGradient.groupIndex(groups, learnable);
        this.lookaheadBuffers = weights.scratchBuffers(weights.manager());
        LIVE.incrementAndGet();
    }

    /** Replicas alive in this JVM (for tests: none once a run ended). */
    static int live() {
        return LIVE.get();
    }

    private Weights weights() {
        return state.weights();
    }

    long version() {
        return state.version();
    }

    /**
     * The shard's gradient, loss and batch-norm statistics on its batch of the step (in local meta
     * mode also its meta pass, looking ahead along its own gradient).
     */
    LocalStep gradients(ShardData shard, ResidentProtocol.Compute c) {
        try (NDManager scratch = weights().manager().newSubManager()) {
            Map<String, NDArray> staged = ModelCompute.stagedCopies(weights(), spec.buffers().names(), scratch);
            ParamLookup view = name -> staged.getOrDefault(name, weights().get(name));
            int[] global = spec.shards().trainBatch(shard.index, spec.seed(), c.epoch(), c.stepInEpoch(), spec.batchSize());
            int[] local = shard.local(global);
            Batch b = spec.augmenter().enabled()
                    ? shard.train.augmentedBatch(scratch, local, global, spec.augmenter(), spec.seed(), c.epoch())
                    : shard.train.batch(scratch, local);
            ModelCompute.Gradients g = ModelCompute.lossAndGradients(net, view, learnable, b, scratch);
            Meta meta = c.metaStep() && spec.mode() == MetaMode.LOCAL ? metaPass(shard, c, g.grads(), scratch) : null;
            // a sum over the batch's images: shards' batches may differ in size
            // the previous step's mean lived in stepVector until its commit or abandon
            stepVector = packed(scratch, spec.learnable().names(), g.grads(), spec.buffers().names(), staged, stepVector);
            return new LocalStep((double) g.loss().getFloat() * b.size(), g.correct().getLong(), b.size(), stepVector, meta);
        }
    }

    /**
     * Keeps the step's means (reduced over all shards) until it is committed or abandoned; the
     * gradient's array may run on past the learnable tensors (they are read through their layout).
     */
    void hold(float[] gradient, float[] buffers) {
        abandon();
        stepManager = weights().manager().newSubManager();
        meanGradient = new LinkedHashMap<>();
        List<String> names = spec.learnable().names();
        for (int i = 0; i < names.size(); i++) {
            meanGradient.put(names.get(i), stepManager.create(spec.learnable().view(gradient, i),
                    weights().get(names.get(i)).getShape()));
        }
        meanBuffers = buffers;
    }

    /**
     * Global meta mode: the meta pass at theta - s * alpha * d on the shard's meta batch, with d the
     * mean gradient or the optimizer's direction from it. Taking that direction advances the
     * optimizer's moments: it is kept, and {@link #commit} applies it.
     */
    Meta lookahead(ShardData shard, ResidentProtocol.Compute c) {
        try (NDManager scratch = weights().manager().newSubManager()) {
            Map<String, NDArray> d = new LinkedHashMap<>();
            Map<String, NDArray> along = spec.meta().direction() == MetaLrSettings.Direction.SGD ? meanGradient : takeDirection();
            along.forEach((name, v) -> d.put(name, Scratch.alias(v, scratch)));
            return metaPass(shard, c, d, scratch);
        }
    }

    /** Whether the computed step already advanced the optimizer (an abandon must then restore the state). */
    boolean tookDirection() {
        return direction != null;
    }

    /** theta -= lr * u with u the optimizer's direction from the mean gradient; the statistics; the next version. */
    void commit(double[] lr) {
        if (meanGradient == null) {
            throw new IllegalStateException("commit without a computed step");
        }
        state.apply(takeDirection(), lr, meanBuffers);
        abandon();
    }

    void abandon() {
        dropDirection();
        if (stepManager != null) {
            stepManager.close();
        }
        stepManager = null;
        meanGradient = null;
        meanBuffers = null;
    }

    void load(FullState s) {
        abandon();
        state.restore(s);
    }

    FullState snapshot() {
        return state.snapshot();
    }

    float[] weightsPacked() {
        return spec.all().pack(weights().toHost());
    }

    void loadWeights(float[] packed) {
        abandon();
        weights().load(spec.all().unpack(packed));
    }

    /**
     * The scores of the shard's images of each split, in batches of {@code batchSize} from its first
     * image (the single process's {@link Evaluator} on the same batches when one shard holds the
     * whole split); an empty row set where the shard holds none of it.
     */
    ScoreRows[] score(ShardData shard, int[] splits, int batchSize) {
        ScoreRows[] out = new ScoreRows[splits.length];
        for (int i = 0; i < splits.length; i++) {
            ShardData.Part part = shard.part(splits[i]);
            out[i] = part == null ? new ScoreRows(new int[0], new int[0], new float[0][])
                    : ExecutorEvaluation.scores(weights(), part, batchSize);
        }
        return out;
    }

    private Map<String, NDArray> takeDirection() {
        if (direction == null) {
            directionManager = weights().manager().newSubManager();
            direction = state.directions(meanGradient, directionManager);
        }
        return direction;
    }

    private void dropDirection() {
        if (directionManager != null) {
            directionManager.close();
        }
        directionManager = null;
        direction = null;
    }

    private Meta metaPass(ShardData shard, ResidentProtocol.Compute c, Map<String, NDArray> d, NDManager scratch) {
        Map<String, NDArray> theta = new LinkedHashMap<>();
        for (String name : learnable) {
            theta.put(name, Scratch.alias(weights().get(name), scratch));
        }
        int[] global = spec.metaShards().metaBatch(shard.index, spec.seed(), c.epoch(), c.step(), spec.metaBatchSize());
        Batch meta = shard.meta.batch(scratch, shard.metaLocal(global));
        MetaGradient.Result m = MetaGradient.compute(net, learnable, groupOf, groups.size(), theta, d, c.lr(),
                spec.meta().lookahead().sign, name -> lookaheadBuffers.getOrDefault(name, weights().get(name)), meta,
                spec.meta().normalize() == MetaLrSettings.Normalize.COSINE, scratch);
        float[] valGradient = null;
        if (spec.reducesValGradient()) {
            valVector = packed(scratch, spec.learnable().names(), m.valGrads(), List.of(), Map.of(), valVector);
            valGradient = valVector;
        }
        return new Meta(m.loss(), m.sums().dot(), m.sums().valNormSq(), m.sums().dirNormSq(), valGradient);
    }

    /**
     * The named tensors of {@code a}, then those of {@code b}, flattened into one host vector,
     * {@code into} when it has the right length: concatenated on the device and copied once.
     */
    private static float[] packed(NDManager scratch, List<String> aNames, Map<String, NDArray> a, List<String> bNames,
            Map<String, NDArray> b, float[] into) {
        ai.djl.ndarray.NDList parts = new ai.djl.ndarray.NDList();
        aNames.forEach(name -> parts.add(a.get(name).flatten()));
        bNames.forEach(name -> parts.add(b.get(name).flatten()));
        if (parts.isEmpty()) {
            return new float[0];
        }
        try (NDManager m = scratch.newSubManager()) {
            parts.forEach(p -> p.attach(m));
            NDArray all = ai.djl.ndarray.NDArrays.concat(parts);
            int n = Math.toIntExact(all.size());
            float[] out = into != null && into.length == n ? into : new float[n];
            all.toByteBuffer().order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer().get(out);
            return out;
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            dropDirection();
            state.close();
            weights().close();
            LIVE.decrementAndGet();
        }
    }
}
