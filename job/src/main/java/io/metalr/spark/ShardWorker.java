package io.metalr.spark;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.metalr.data.Batch;
import io.metalr.device.Devices;
import io.metalr.groups.LayerGroups;
import io.metalr.meta.MetaLrSettings;
import io.metalr.nn.Autograd;
import io.metalr.nn.Network;
import io.metalr.nn.ParamLookup;
import io.metalr.nn.Scratch;
import io.metalr.nn.Weights;
import io.metalr.eval.ScoreRows;
import io.metalr.train.Evaluator;
import io.metalr.train.MetaGradient;
import io.metalr.train.ModelCompute;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The executor side of a distributed step. Each (run, shard) keeps one model replica in its
 * executor JVM, built once, with its own weights and optimizer state ({@link ModelState}); a round
 * first brings the replica to the round's model version by applying the update it carries. A
 * replica that cannot (it is new, or missed an update) answers "stale" without computing, and the
 * driver repeats the round with the whole state. Every result is a pure function of (spec, shard,
 * model version, step input), so a retried task returns the same numbers.
 */
final class ShardWorker {

    /** A network with its state on the executor's device, and the update it prepared for the next version. */
    private static final class Replica {
        final Network net;
        final LayerGroups groups;
        final ModelState state;
        final List<String> learnable = new ArrayList<>();
        final int[] groupOf;
        final Map<String, NDArray> lookaheadBuffers;
        /** The direction computed in round two, for version {@code pendingVersion}; null when none. */
        NDManager pendingManager;
        Map<String, NDArray> pendingU;
        float[] pendingBuffers;
        long pendingVersion = -1;
        /** Closed: a task that waited for it takes a new replica instead. */
        boolean closed;

        Replica(JobSpec spec, Device device) {
            net = spec.network();
            groups = spec.groups(net);
            Weights weights = Weights.initialize(net, 0, device);
            state = new ModelState(spec, groups, weights);
            state.setVersion(-1); // holds no real state until the first full load
            for (int g = 0; g < groups.size(); g++) {
                if (spec.trainable()[g]) {
                    learnable.addAll(groups.get(g).params());
                }
            }
            groupOf = MetaGradient.groupIndex(groups, learnable);
            lookaheadBuffers = weights.scratchBuffers(weights.manager());
        }

        Weights weights() {
            return state.weights();
        }

        /** Brings the replica to the round's version; false when it cannot (stale). */
        boolean bringTo(StepInput in) {
            if (in.full() != null) {
                state.restore(in.full());
                dropPending();
            }
            if (state.version() == in.version()) {
                return true;
            }
            StepInput.Means up = in.update();
            if (up == null || state.version() != in.version() - 1) {
                return false;
            }
            if (up.gradient() == null) {
                if (pendingVersion != in.version()) {
                    return false;
                }
                state.apply(pendingU, in.lr(), pendingBuffers);
            } else {
                try (NDManager m = weights().manager().newSubManager()) {
                    state.apply(state.directions(up.gradient(), m), in.lr(), up.buffers());
                }
            }
            dropPending();
            return true;
        }

        /** Round two: the optimizer's direction for the step, kept to be applied by the next round one. */
        Map<String, NDArray> prepare(StepInput in) {
            if (pendingVersion != in.version() + 1) {
                dropPending();
                pendingManager = weights().manager().newSubManager();
                pendingU = state.directions(in.lookahead().gradient(), pendingManager);
                pendingBuffers = in.lookahead().buffers();
                pendingVersion = in.version() + 1;
            }
            return pendingU;
        }

        void dropPending() {
            if (pendingManager != null) {
                pendingManager.close();
            }
            pendingManager = null;
            pendingU = null;
            pendingBuffers = null;
            pendingVersion = -1;
        }

        void close() {
            closed = true;
            dropPending();
            state.close();
            weights().close();
        }
    }

    private static final Map<String, Replica> REPLICAS = new ConcurrentHashMap<>();

    private ShardWorker() {}

    /** What a round computes on a replica already at the round's model version. */
    private interface Work {
        void compute(Replica r, ShardResult out);
    }

    /**
     * Runs {@code work} on the shard's replica once it is at the round's version, timed; a replica
     * that cannot get there answers stale without computing. Any failure drops the replica: the
     * update and round two's direction change it in place, tensor by tensor, so after a failure
     * partway it is at no version, and a retry that found it would apply the update on top of half
     * of it. The retry finds no replica, answers stale and receives the whole state.
     */
    private static ShardResult onReplica(JobSpec spec, ShardData shard, StepInput in, Work work) {
        long t0 = System.nanoTime();
        Autograd.disableOnThisThread();
        String key = key(spec.runId(), shard.index);
        while (true) {
            Replica r = REPLICAS.computeIfAbsent(key, k -> new Replica(spec, Devices.forCurrentTask(spec.device())));
            synchronized (r) {
                if (r.closed) {
                    continue; // dropped (failed or released) while this task waited for it
                }
                try {
                    if (!r.bringTo(in)) {
                        return ShardResult.stale();
                    }
                    ShardResult out = new ShardResult();
                    work.compute(r, out);
                    out.shards = 1;
                    out.computeSeconds = (System.nanoTime() - t0) / 1e9;
                    out.maxComputeSeconds = out.computeSeconds;
                    return out;
                } catch (Throwable t) {
                    drop(key, r, t);
                    throw t;
                }
            }
        }
    }

    private static void drop(String key, Replica r, Throwable cause) {
        REPLICAS.remove(key, r);
        try {
            r.close();
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    /** Round one: the shard's gradient, loss and batch-norm statistics; in local meta mode also its hypergradient sums. */
    static ShardResult gradients(JobSpec spec, ShardData shard, StepInput in) {
        return onReplica(spec, shard, in, (r, out) -> {
            try (NDManager scratch = r.weights().manager().newSubManager()) {
                Map<String, NDArray> staged = ModelCompute.stagedCopies(r.weights(), spec.buffers().names(), scratch);
                ParamLookup view = name -> staged.getOrDefault(name, r.weights().get(name));
                int[] global = spec.shards().trainBatch(shard.index, spec.seed(), in.epoch(), in.stepInEpoch(), spec.batchSize());
                int[] local = shard.local(global);
                Batch b = spec.augmenter().enabled()
                        ? shard.train.augmentedBatch(scratch, local, global, spec.augmenter(), spec.seed(), in.epoch())
                        : shard.train.batch(scratch, local);
                ModelCompute.Gradients g = ModelCompute.lossAndGradients(r.net, view, r.learnable, b, scratch);
                // a sum over the batch's images: shards' batches may differ in size (SparkEngine divides by the count)
                out.loss = (double) g.loss().getFloat() * b.size();
                out.correct = g.correct().getLong();
                out.count = b.size();
                out.grad = FloatSum.of(spec.learnable().pack(toHost(g.grads())));
                out.buffers = FloatSum.of(spec.buffers().pack(toHost(staged)));
                if (in.metaStep() && spec.mode() == MetaMode.LOCAL) {
                    metaSums(spec, shard, in, r, g.grads(), scratch, out);
                }
            }
        });
    }

    /**
     * Round two of a global meta step: the optimizer's direction from the mean gradient (kept for
     * the update), and the sums at theta - s * alpha * d with d the mean gradient or that direction.
     */
    static ShardResult metaGradient(JobSpec spec, ShardData shard, StepInput in) {
        return onReplica(spec, shard, in, (r, out) -> {
            Map<String, NDArray> u = r.prepare(in);
            try (NDManager scratch = r.weights().manager().newSubManager()) {
                Map<String, NDArray> d = new LinkedHashMap<>();
                if (spec.meta().direction() == MetaLrSettings.Direction.SGD) {
                    List<String> names = spec.learnable().names();
                    float[] meanGrad = in.lookahead().gradient();
                    for (int i = 0; i < names.size(); i++) {
                        d.put(names.get(i), scratch.create(spec.learnable().view(meanGrad, i), r.weights().get(names.get(i)).getShape()));
                    }
                } else {
                    u.forEach((name, v) -> d.put(name, Scratch.alias(v, scratch)));
                }
                metaSums(spec, shard, in, r, d, scratch, out);
            }
        });
    }

    private static void metaSums(JobSpec spec, ShardData shard, StepInput in, Replica r, Map<String, NDArray> d,
            NDManager scratch, ShardResult out) {
        Map<String, NDArray> theta = new LinkedHashMap<>();
        for (String name : r.learnable) {
            theta.put(name, Scratch.alias(r.weights().get(name), scratch));
        }
        int[] global = spec.metaShards().metaBatch(shard.index, spec.seed(), in.epoch(), in.step(), spec.metaBatchSize());
        Batch meta = shard.meta.batch(scratch, shard.metaLocal(global));
        MetaGradient.Result m = MetaGradient.compute(r.net, r.learnable, r.groupOf, r.groups.size(), theta, d, in.lr(),
                spec.meta().lookahead().sign,
                name -> r.lookaheadBuffers.getOrDefault(name, r.weights().get(name)), meta,
                spec.meta().normalize() == MetaLrSettings.Normalize.COSINE, scratch);
        out.metaLoss = m.loss();
        if (spec.shardsSendValGradient()) {
            out.valGrad = FloatSum.of(spec.learnable().pack(toHost(m.valGrads())));
        }
        out.dot = m.sums().dot();
        out.valNormSq = m.sums().valNormSq();
        out.dirNormSq = m.sums().dirNormSq();
    }

    /**
     * The scores of the shard's images of each of {@code splits} under the given weights (all
     * tensors, packed), each split in batches of {@code batchSize} from its first image: the single
     * process's {@link Evaluator} code on the same batches when one shard holds the whole split.
     * One row set per split, empty where the shard holds none of it.
     */
    static ScoreRows[] score(ExecutorEvaluation.Model model, ShardData shard, int[] splits, float[] tensors, int batchSize) {
        ScoreRows[] out = new ScoreRows[splits.length];
        ShardData.Part[] parts = new ShardData.Part[splits.length];
        for (int i = 0; i < splits.length; i++) {
            parts[i] = shard.part(splits[i]);
            out[i] = new ScoreRows(new int[0], new int[0], new float[0][]);
        }
        if (java.util.Arrays.stream(parts).allMatch(p -> p == null)) {
            return out;
        }
        Autograd.disableOnThisThread();
        Network net = model.network();
        try (Weights w = Weights.fromHost(net, model.layout().unpack(tensors), Devices.forCurrentTask(model.device()))) {
            for (int i = 0; i < splits.length; i++) {
                ShardData.Part part = parts[i];
                if (part == null) {
                    continue;
                }
                int[] labels = new int[part.images().size()];
                for (int k = 0; k < labels.length; k++) {
                    labels[k] = part.images().label(k);
                }
                out[i] = new ScoreRows(part.keys(), labels, Evaluator.probabilities(w, part.images(), batchSize));
            }
        }
        return out;
    }

    private static Map<String, float[]> toHost(Map<String, NDArray> arrays) {
        Map<String, float[]> out = new LinkedHashMap<>();
        arrays.forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    private static String key(String runId, int shard) {
        return runId + "/" + shard;
    }

    /** Frees the replicas of a finished run in this JVM. */
    static void release(String runId) {
        REPLICAS.entrySet().removeIf(e -> {
            if (e.getKey().startsWith(runId + "/")) {
                synchronized (e.getValue()) {
                    e.getValue().close();
                }
                return true;
            }
            return false;
        });
    }

    /** How many replicas, of any run, this JVM holds (for tests). */
    static int replicas() {
        return REPLICAS.size();
    }
}
