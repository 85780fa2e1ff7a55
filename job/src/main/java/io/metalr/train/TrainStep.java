package io.metalr.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.metalr.data.Batch;
import io.metalr.groups.LayerGroups;
import io.metalr.meta.MetaLrRule;
import io.metalr.meta.MetaLrSettings;
import io.metalr.nn.Network;
import io.metalr.nn.ParamLookup;
import io.metalr.nn.Scratch;
import io.metalr.nn.Weights;
import io.metalr.optim.Optimizer;

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
 * Cost: two forward/backward passes on a meta step, one otherwise. No second-order graph and no
 * copy of the model: theta' is a temporary of the step.
 */
public final class TrainStep implements AutoCloseable {

    private final Network net;
    private final Weights weights;
    private final LayerGroups groups;
    private final Optimizer optimizer;
    private final MetaLrRule rule;
    private final StrategyPlan plan;
    private final boolean skipNonFinite;
    private final double[] lr;
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
        this.rule = new MetaLrRule(meta);
        this.plan = plan;
        this.skipNonFinite = skipNonFinite;
        this.lr = plan.initialLr().clone();
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
        return lr.clone();
    }

    /** Restores rates from a checkpoint. */
    public void setLearningRates(double[] rates) {
        if (rates.length != lr.length) {
            throw new IllegalArgumentException("expected " + lr.length + " group rates, got " + rates.length);
        }
        System.arraycopy(rates, 0, lr, 0, lr.length);
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    /**
     * Runs one step. {@code meta} may be null: then (or when this step is not a meta step, or the
     * strategy learns no rates) the rates stay as they are.
     */
    public StepReport run(Batch train, Batch meta, int epoch, long step) {
        double[] before = lr.clone();
        try (NDManager scratch = weights.manager().newSubManager()) {
            // running stats move on copies, committed only once the loss is known to be finite
            Map<String, NDArray> staged = ModelCompute.stagedCopies(weights, lookaheadBuffers.keySet(), scratch);
            ParamLookup trainView = name -> {
                NDArray b = staged.get(name);
                return b != null ? b : weights.get(name);
            };
            ModelCompute.Gradients g =
                    ModelCompute.lossAndGradients(net, trainView, learnableParams, train, scratch);
            double trainLoss = g.loss().getFloat();
            long correct = g.correct().getLong();
            if (!Double.isFinite(trainLoss)) {
                return nonFinite("training loss", trainLoss, epoch, step, before, correct, train.size());
            }
            // the model's buffer takes over the staged tensor (no copy); the staged handle is released
            staged.forEach((name, b) -> weights.get(name).intern(b));
            optimizer.beginStep();
            Map<String, NDArray> theta = new LinkedHashMap<>();
            Map<String, NDArray> u = new LinkedHashMap<>();
            for (String name : learnableParams) {
                NDArray t = Scratch.alias(weights.get(name), scratch);
                theta.put(name, t);
                u.put(name, optimizer.direction(name, t, g.grads().get(name), scratch));
            }
            double metaLoss = Double.NaN;
            double[] h = new double[0];
            if (meta != null && plan.metaStep(step, rule.settings().every())) {
                Map<String, NDArray> d = rule.settings().direction() == MetaLrSettings.Direction.SGD ? g.grads() : u;
                MetaGradient.Result pass = MetaGradient.compute(
                        net, learnableParams, groupOfLearnable, groups.size(), theta, d, lr,
                        rule.settings().lookahead().sign, this::lookaheadFixed, meta,
                        rule.settings().normalize() == MetaLrSettings.Normalize.COSINE, scratch);
                metaLoss = pass.loss();
                if (!Double.isFinite(metaLoss)) {
                    if (!skipNonFinite) {
                        throw diverged("meta (validation) loss", metaLoss, epoch, step);
                    }
                } else {
                    MetaLrRule.Result r = rule.update(lr, pass.sums(),
                            plan.learnableRates(epoch, rule.settings().holdHeadEpochs(), groups.headIndex()),
                            plan.learning() == StrategyPlan.Learning.TIED);
                    h = r.hypergradient();
                    System.arraycopy(r.lrAfter(), 0, lr, 0, lr.length);
                }
            }
            for (int i = 0; i < learnableParams.size(); i++) {
                String name = learnableParams.get(i);
                theta.get(name).subi(u.get(name).muli(lr[groupOfLearnable[i]]));
            }
            return new StepReport(step, epoch, trainLoss, correct, train.size(), metaLoss, before, lr.clone(), h, false);
        }
    }

    /** At the lookahead: frozen parameters as they are, batch-norm buffers from the scratch set. */
    private NDArray lookaheadFixed(String name) {
        NDArray buffer = lookaheadBuffers.get(name);
        return buffer != null ? buffer : weights.get(name);
    }

    private StepReport nonFinite(String what, double value, int epoch, long step, double[] before, long correct, int n) {
        if (!skipNonFinite) {
            throw diverged(what, value, epoch, step);
        }
        return new StepReport(step, epoch, value, correct, n, Double.NaN, before, lr.clone(), new double[0], true);
    }

    private TrainingDivergedException diverged(String what, double value, int epoch, long step) {
        return TrainingDivergedException.nonFinite(what, value, epoch, step, lr);
    }

    @Override
    public void close() {
        bufferManager.close();
    }
}
