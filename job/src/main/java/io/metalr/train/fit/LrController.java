package io.metalr.train.fit;

import io.metalr.meta.GroupSums;
import io.metalr.meta.HypergradientDescent;
import io.metalr.meta.MetaLrRule;
import io.metalr.meta.MetaLrSettings;
import io.metalr.train.StrategyPlan;
import io.metalr.train.TrainingDivergedException;

import java.util.Arrays;

/**
 * The group learning rates of a run and the one place they change: the MetaLR rule applied to a
 * meta pass's sums, or hypergradient descent ({@code hd}) to a step's {@code <g_t, u_{t-1}>}, within the strategy's plan (which rates may move this epoch, tied or per
 * group), and the policy for a non-finite loss ({@code train.on_nan}). Both step engines and
 * {@link io.metalr.train.TrainStep} go through it.
 */
public final class LrController {

    /** A meta step's outcome: the hypergradient per group, empty when the rates did not move. */
    public record Update(double[] hypergradient) {}

    private static final Update NONE = new Update(new double[0]);

    private final MetaLrRule rule;
    private final HypergradientDescent hd;
    private final StrategyPlan plan;
    private final int headIndex;
    private final boolean skipNonFinite;
    private final double[] lr;

    public LrController(MetaLrSettings meta, StrategyPlan plan, int headIndex, boolean skipNonFinite) {
        this.rule = new MetaLrRule(meta);
        this.hd = plan.learning() == StrategyPlan.Learning.HD
                ? new HypergradientDescent(plan.hdHyperLr(), meta.lrLower(), meta.lrUpper())
                : null;
        this.plan = plan;
        this.headIndex = headIndex;
        this.skipNonFinite = skipNonFinite;
        this.lr = plan.initialLr().clone();
    }

    public MetaLrSettings settings() {
        return rule.settings();
    }

    /** Whether step {@code step} runs a meta pass. */
    public boolean metaStep(long step) {
        return plan.metaStep(step, rule.settings().every());
    }

    /** Whether a step with a non-finite training loss is skipped (else the run fails). */
    public boolean skipsNonFinite() {
        return skipNonFinite;
    }

    /** A copy of the current rates. */
    public double[] rates() {
        return lr.clone();
    }

    /** Sets the rates (a resumed run's). */
    public void restore(double[] rates) {
        if (rates.length != lr.length) {
            throw new IllegalArgumentException("expected " + lr.length + " group rates, got " + rates.length);
        }
        System.arraycopy(rates, 0, lr, 0, lr.length);
    }

    /**
     * Applies the rule to a meta pass's sums ({@code sums} null: no meta pass, nothing moves). A
     * non-finite meta loss moves nothing when skipping, else fails the run. For {@code hd} the
     * sums' {@code dot} is the step's {@code <g_t, u_{t-1}>} per group (no meta pass, no meta loss).
     */
    public Update afterMetaPass(int epoch, long step, double metaLoss, GroupSums sums) {
        if (sums == null) {
            return NONE;
        }
        if (hd != null) {
            return hypergradientDescent(sums);
        }
        if (!Double.isFinite(metaLoss)) {
            if (!skipNonFinite) {
                throw diverged("meta (validation) loss", metaLoss, epoch, step);
            }
            return NONE;
        }
        MetaLrRule.Result r = rule.update(lr, sums, plan.learnableRates(epoch, rule.settings().holdHeadEpochs(), headIndex),
                plan.learning() == StrategyPlan.Learning.TIED);
        System.arraycopy(r.lrAfter(), 0, lr, 0, lr.length);
        return new Update(r.hypergradient());
    }

    /** One global rate: every group's, moved by the summed {@code <g_t, u_{t-1}>} of the trained groups. */
    private Update hypergradientDescent(GroupSums sums) {
        double dot = 0;
        for (int j = 0; j < lr.length; j++) {
            if (plan.trainable()[j]) {
                dot += sums.dot()[j];
            }
        }
        HypergradientDescent.Result r = hd.update(lr[0], dot);
        Arrays.fill(lr, r.lrAfter());
        double[] h = new double[lr.length];
        Arrays.fill(h, r.hypergradient());
        return new Update(h);
    }

    /** The failure of a run whose loss became non-finite, with the current rates. */
    public TrainingDivergedException diverged(String what, double value, int epoch, long step) {
        return TrainingDivergedException.nonFinite(what, value, epoch, step, lr);
    }
}
