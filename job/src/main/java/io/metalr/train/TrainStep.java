package io.metalr.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.metalr.data.Batch;
import io.metalr.groups.LayerGroups;
import io.metalr.meta.GroupSums;
import io.metalr.meta.MetaLrSettings;
import io.metalr.nn.Network;
import io.metalr.nn.ParamLookup;
import io.metalr.nn.Scratch;
import io.metalr.nn.Weights;
import io.metalr.optim.Optimizer;
import io.metalr.train.fit.LrController;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One optimizer step, with a MetaLR learning-rate update when one is due:
 *
 * <ol>
 *   <li>g = grad of the training loss at theta (running stats move once, as in PyTorch, but
 *       only when the loss is finite: a skipped step leaves the model untouched);
 *   <li>the optimizer advances its state and proposes u (theta will move by -alpha * u);
 *   <li>meta step: theta' = theta - s * alpha_group * d with d = g (paper) or u (optimizer
 *       direction); one forward and backward of the validation loss at theta', with scratch
 *       batch-norm buffers so the model's running stats are not touched; per-group sums of
 *       {@code <grad L_val(theta'), d>}; the rule turns them into new rates;
 *   <li>theta -= alpha_new_group * u.
 * </ol>
 *
 * Strategy {@code hd} has no meta pass: step 3 is instead the per-group {@code <g, u_prev>} with the
 * previous step's direction, kept in the optimizer's state ({@link io.metalr.meta.HypergradientDescent}).
 *
 * <p>{@link #prepare} does 1 to 3, {@link Pending#commit} does 4 with the rates the caller's
 * {@link LrController} chose; {@link #run} is the three in a row.
 *
 * <p>Cost: two forward/backward passes on a meta step, one otherwise. No second-order graph and no
 * copy of the model: theta' is a temporary of the step.
 */
public final class TrainStep implements AutoCloseable {

    private final Network net;
    private final Weights weights;
    private final LayerGroups groups;
    private final Optimizer optimizer;
    private final LrController rates;
    private final StrategyPlan plan;
    private final List<String> learnableParams = new ArrayList<>();
    private final int[] groupOfLearnable;
    /** Batch-norm buffers for the lookahead's forward: written to, never read. */
    private final NDManager bufferManager;
    private final Map<String, NDArray> lookaheadBuffers;

    public TrainStep(
            Weights weights,
            LayerGroups groups,
            Optimizer optimizer,
            MetaLrSettings meta,
            StrategyPlan plan,
            boolean skipNonFinite) {
        this.net = weights.network();
        this.weights = weights;
        this.groups = groups;
        this.optimizer = optimizer;
        this.rates = new LrController(meta, plan, groups.headIndex(), skipNonFinite);
        this.plan = plan;
        for (int g = 0; g < groups.size(); g++) {
            if (plan.trainable()[g]) {
                learnableParams.addAll(groups.get(g).params());
            }
        }
        groupOfLearnable = MetaGradient.groupIndex(groups, learnableParams);
        bufferManager = weights.manager().newSubManager();
        lookaheadBuffers = weights.scratchBuffers(bufferManager);
    }

    public double[] learningRates() {
        return rates.rates();
    }

    /** Restores rates from a checkpoint. */
    public void setLearningRates(double[] rates) {
        this.rates.restore(rates);
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    /**
     * A step computed up to the weight update: its training loss and, after a meta pass, the sums
     * for the rule. Nothing has moved when the loss is not finite ({@link #finite()} false): then
     * only {@link #close} it. Else the model's running statistics and the optimizer have advanced,
     * and {@link #commit} applies theta -= alpha * u.
     */
    public final class Pending implements AutoCloseable {
        private final NDManager scratch;
        private final double trainLoss;
        private final long correct;
        private final int count;
        private final Map<String, NDArray> theta = new LinkedHashMap<>();
        private final Map<String, NDArray> u = new LinkedHashMap<>();
        private double metaLoss = Double.NaN;
        private GroupSums sums;
        private boolean closed;

        private Pending(NDManager scratch, double trainLoss, long correct, int count) {
            this.scratch = scratch;
            this.trainLoss = trainLoss;
            this.correct = correct;
            this.count = count;
        }

        public boolean finite() {
            return Double.isFinite(trainLoss);
        }

        public double trainLoss() {
            return trainLoss;
        }

        public long correct() {
            return correct;
        }

        public int count() {
            return count;
        }

        /** NaN when no meta pass ran. */
        public double metaLoss() {
            return metaLoss;
        }

        /** The meta pass's per-group sums; null when none ran. */
        public GroupSums sums() {
            return sums;
        }

        /** theta -= lr[group] * u, and the step is done. */
        public void commit(double[] lr) {
            try {
                for (int i = 0; i < learnableParams.size(); i++) {
                    String name = learnableParams.get(i);
                    theta.get(name).subi(u.get(name).muli(lr[groupOfLearnable[i]]));
                }
            } finally {
                close();
            }
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                scratch.close();
            }
        }
    }

    /**
     * Steps 1 to 3 at the rates {@code lr}: the meta pass runs when {@code meta} is not null and
     * this is a meta step of the plan.
     */
    public Pending prepare(Batch train, Batch meta, int epoch, long step, double[] lr) {
        NDManager scratch = weights.manager().newSubManager();
        try {
            // running stats move on copies, committed only once the loss is known to be finite
            Map<String, NDArray> staged = ModelCompute.stagedCopies(weights, lookaheadBuffers.keySet(), scratch);
            ParamLookup trainView = name -> {
                NDArray b = staged.get(name);
                return b != null ? b : weights.get(name);
            };
            ModelCompute.Gradients g =
                    ModelCompute.lossAndGradients(net, trainView, learnableParams, train, scratch);
            Pending p = new Pending(scratch, g.loss().getFloat(), g.correct().getLong(), train.size());
            if (!p.finite()) {
                return p;
            }
            // the model's buffer takes over the staged tensor (no copy); the staged handle is released
            staged.forEach((name, b) -> weights.get(name).intern(b));
            optimizer.beginStep();
            for (String name : learnableParams) {
                NDArray t = Scratch.alias(weights.get(name), scratch);
                p.theta.put(name, t);
                p.u.put(name, optimizer.direction(name, t, g.grads().get(name), scratch));
            }
            if (plan.learning() == StrategyPlan.Learning.HD) {
                p.sums = hypergradientSums(g.grads(), p.u, scratch);
            }
            MetaLrSettings settings = rates.settings();
            if (meta != null && plan.metaStep(step, settings.every())) {
                Map<String, NDArray> d = settings.direction() == MetaLrSettings.Direction.SGD ? g.grads() : p.u;
                MetaGradient.Result pass = MetaGradient.compute(
                        net, learnableParams, groupOfLearnable, groups.size(), p.theta, d, lr,
                        settings.lookahead().sign, this::lookaheadFixed, meta,
                        settings.normalize() == MetaLrSettings.Normalize.COSINE, scratch);
                p.metaLoss = pass.loss();
                p.sums = pass.sums();
            }
            return p;
        } catch (RuntimeException | Error e) {
            scratch.close();
            throw e;
        }
    }

    /**
     * Runs one step. {@code meta} may be null: then (or when this step is not a meta step, or the
     * strategy learns no rates) the rates stay as they are.
     */
    public StepReport run(Batch train, Batch meta, int epoch, long step) {
        double[] before = rates.rates();
        try (Pending p = prepare(train, meta, epoch, step, before)) {
            if (!p.finite()) {
                if (!rates.skipsNonFinite()) {
                    throw rates.diverged("training loss", p.trainLoss(), epoch, step);
                }
                return new StepReport(step, epoch, p.trainLoss(), p.correct(), p.count(), Double.NaN, before,
                        rates.rates(), new double[0], true);
            }
            LrController.Update up = rates.afterMetaPass(epoch, step, p.metaLoss(), p.sums());
            double[] after = rates.rates();
            p.commit(after);
            return new StepReport(step, epoch, p.trainLoss(), p.correct(), p.count(), p.metaLoss(), before, after,
                    up.hypergradient(), false);
        }
    }

    /**
     * Hypergradient descent's per-group {@code <g_t, u_{t-1}>} (null on the first step: no
     * u_{t-1}), and this step's u kept in the optimizer's state for the next.
     */
    private GroupSums hypergradientSums(Map<String, NDArray> grads, Map<String, NDArray> u, NDManager scratch) {
        NDList dots = new NDList();
        for (String name : learnableParams) {
            NDArray prev = optimizer.previousDirection(name, scratch);
            if (prev != null) {
                dots.add(grads.get(name).mul(prev).sum());
            }
            optimizer.rememberDirection(name, u.get(name));
        }
        if (dots.isEmpty()) {
            return null;
        }
        if (dots.size() != learnableParams.size()) {
            throw new IllegalStateException("hd: the optimizer remembers the previous direction of " + dots.size() + " of "
                    + learnableParams.size() + " trained parameters");
        }
        double[] host = NDArrays.stack(dots).toType(DataType.FLOAT64, false).toDoubleArray();
        GroupSums sums = GroupSums.zeros(groups.size());
        for (int i = 0; i < host.length; i++) {
            sums.dot()[groupOfLearnable[i]] += host[i];
        }
        return sums;
    }

    /** At the lookahead: frozen parameters as they are, batch-norm buffers from the scratch set. */
    private NDArray lookaheadFixed(String name) {
        NDArray buffer = lookaheadBuffers.get(name);
        return buffer != null ? buffer : weights.get(name);
    }

    @Override
    public void close() {
        bufferManager.close();
    }
}
