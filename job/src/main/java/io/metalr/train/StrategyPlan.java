package io.metalr.train;

import io.metalr.groups.LayerGroups;

import java.util.Arrays;
import java.util.Locale;

/**
 * What a fine-tuning strategy means for the trainer: which groups train, their initial learning
 * rates, whether the rates are learnt (per group, or one shared rate), and whether the run starts
 * from pretrained weights. MetaLR and every baseline run through the same trainer this way.
 */
public record StrategyPlan(
        String strategy, boolean[] trainable, double[] initialLr, Learning learning, boolean pretrained, double hdHyperLr) {

    /** How the learning rates evolve. */
    public enum Learning {
        FIXED,
        PER_GROUP,
        TIED,
        /** Hypergradient descent (Baydin et al. 2018): one global rate moved by the training loss's
         *  hypergradient, no lookahead pass. */
        HD
    }

    public static final String[] NAMES = {
        "metalr", "full", "linear_probe", "partial", "llrd", "metalr_global", "hd", "fixed_groups", "scratch"
    };

    /** Strategy options, as {@code strategy_options} in the config. */
    public record Options(double lr, double backboneLrScale, int partialGroups, double llrdFactor, double hdHyperLr) {}

    /** What {@code strategy = hypergradient} (an older name) is told. */
    public static final String RENAMED_HYPERGRADIENT =
            "strategy 'hypergradient' was renamed to metalr_global; the true hypergradient descent is hd";

    /** A plan whose rates are not learnt by hypergradient descent (hd_hyper_lr unused). */
    public StrategyPlan(String strategy, boolean[] trainable, double[] initialLr, Learning learning, boolean pretrained) {
        this(strategy, trainable, initialLr, learning, pretrained, 0);
    }

    /** Whether the rates are learnt by MetaLR's validation lookahead (a meta pass and a meta batch). */
    public boolean looksAhead() {
        return learning == Learning.PER_GROUP || learning == Learning.TIED;
    }

    /** Whether step {@code step} runs a meta step: the rates are learnt by lookahead and it is every k-th step. */
    public boolean metaStep(long step, int every) {
        return looksAhead() && step % every == 0;
    }

    /** Which rates may move in an epoch: trained groups, except the head while it is held. */
    public boolean[] learnableRates(int epoch, int holdHeadEpochs, int headIndex) {
        boolean[] out = trainable.clone();
        if (epoch < holdHeadEpochs) {
            out[headIndex] = false;
        }
        return out;
    }

    public static StrategyPlan of(String strategy, LayerGroups groups, Options o) {
        int d = groups.size();
        int head = groups.headIndex();
        boolean[] all = new boolean[d];
        Arrays.fill(all, true);
        double[] same = new double[d];
        Arrays.fill(same, o.lr());
        double[] backboneScaled = same.clone();
        for (int j = 0; j < head; j++) {
            backboneScaled[j] = o.lr() * o.backboneLrScale();
        }
        return switch (strategy.toLowerCase(Locale.ROOT)) {
            // the public code: 0.1*lr for the backbone groups, lr for the head, all learnt
            case "metalr" -> new StrategyPlan("metalr", all, backboneScaled, Learning.PER_GROUP, true);
            case "full" -> new StrategyPlan("full", all, same, Learning.FIXED, true);
            case "scratch" -> new StrategyPlan("scratch", all, same, Learning.FIXED, false);
            case "metalr_global" -> new StrategyPlan("metalr_global", all, same, Learning.TIED, true);
            // every group from the first step, so no held head either
            case "hd" -> new StrategyPlan("hd", all, same, Learning.HD, true, o.hdHyperLr());
            case "hypergradient" -> throw new IllegalArgumentException(RENAMED_HYPERGRADIENT);
            case "fixed_groups" -> new StrategyPlan("fixed_groups", all, backboneScaled, Learning.FIXED, true);
            case "linear_probe" -> {
                boolean[] t = new boolean[d];
                t[head] = true;
                yield new StrategyPlan("linear_probe", t, same, Learning.FIXED, true);
            }
            case "partial" -> {
                if (o.partialGroups() < 1 || o.partialGroups() > d) {
                    throw new IllegalArgumentException(
                            "strategy_options.partial_groups must be in 1.." + d + ", got " + o.partialGroups());
                }
                boolean[] t = new boolean[d];
                for (int j = d - o.partialGroups(); j < d; j++) {
                    t[j] = true;
                }
                yield new StrategyPlan("partial", t, same, Learning.FIXED, true);
            }
            case "llrd" -> {
                if (!(o.llrdFactor() > 0 && o.llrdFactor() <= 1)) {
                    throw new IllegalArgumentException(
                            "strategy_options.llrd_factor must be in (0, 1], got " + o.llrdFactor());
                }
                double[] lr = new double[d];
                for (int j = 0; j < d; j++) {
                    lr[j] = o.lr() * Math.pow(o.llrdFactor(), head - j);
                }
                yield new StrategyPlan("llrd", all, lr, Learning.FIXED, true);
            }
            default -> throw new IllegalArgumentException(
                    "unknown strategy '" + strategy + "'; known: " + String.join(", ", NAMES));
        };
    }
}
