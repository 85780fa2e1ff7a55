package io.metalr.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.metalr.data.Batch;
import io.metalr.data.ImageSet;
import io.metalr.data.SyntheticImages;
import io.metalr.groups.LayerGroups;
import io.metalr.meta.MetaLrSettings;
import io.metalr.model.Models;
import io.metalr.nn.Network;
import io.metalr.nn.Weights;
import io.metalr.optim.Optimizer;
import io.metalr.optim.Optimizers;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real short {@code hd} run, checked against a reference that does not use the code under test:
 * with plain SGD (no momentum, no weight decay) the step is theta_{t+1} = theta_t - alpha_t g_t, so
 * the saved weights give u_{t-1} = (theta_{t-1} - theta_t) / alpha_{t-1} and
 * g_t = (theta_t - theta_{t+1}) / alpha_t, and every logged rate must be
 * clamp(alpha_{t-1} + beta <g_t, u_{t-1}>).
 */
class HdRunTest {

    private static final double ALPHA0 = 0.02;
    private static final double BETA = 1e-3; // SGD-HD's
    private static final int STEPS = 6;

    @Test
    void everyRateIsThePreviousPlusBetaTimesTheGradientDotThePreviousStep() {
        Network net = Models.create("small_resnet", 1, 3);
        LayerGroups groups = LayerGroups.auto(net);
        StrategyPlan plan = StrategyPlan.of("hd", groups, new StrategyPlan.Options(ALPHA0, 0.1, 2, 0.8, BETA));
        // MetaLR's own settings would move the rates differently (multiplicative, head held): hd ignores them
        MetaLrSettings meta = new MetaLrSettings(MetaLrSettings.Lookahead.DESCENT, MetaLrSettings.LrUpdate.MULTIPLICATIVE,
                MetaLrSettings.Direction.SGD, MetaLrSettings.Normalize.NONE, 0.1, 1e-6, 1.0, 5, 1);
        ImageSet data = SyntheticImages.generate("stripes", 3, 48, 1, 12, 1);
        Optimizers.Settings sgd = new Optimizers.Settings("sgd", 0, 0.9, 0.999, 1e-8, 0, false);
        List<String> params = new ArrayList<>();
        for (int g = 0; g < groups.size(); g++) {
            params.addAll(groups.get(g).params());
        }
        List<double[]> theta = new ArrayList<>();
        List<StepReport> reports = new ArrayList<>();
        try (Weights w = Weights.initialize(net, 0, Device.cpu());
                Optimizer opt = Optimizers.create(sgd, w.manager());
                TrainStep step = new TrainStep(w, groups, opt, meta, plan, false)) {
            theta.add(flat(w.toHost(), params));
            for (int s = 0; s < STEPS; s++) {
                try (NDManager batches = NDManager.newBaseManager(Device.cpu())) {
                    Batch b = data.batch(batches, new int[] {8 * s % 48, (8 * s + 1) % 48, (8 * s + 2) % 48, (8 * s + 3) % 48,
                        (8 * s + 4) % 48, (8 * s + 5) % 48, (8 * s + 6) % 48, (8 * s + 7) % 48});
                    // a meta batch offered: hd must not look ahead on it
                    Batch m = data.batch(batches, new int[] {(5 * s + 7) % 48, (5 * s + 11) % 48, (5 * s + 13) % 48});
                    reports.add(step.run(b, m, 0, s));
                }
                theta.add(flat(w.toHost(), params));
            }
        }
        boolean moved = false;
        for (int s = 0; s < STEPS; s++) {
            StepReport r = reports.get(s);
            assertTrue(Double.isNaN(r.metaLoss()), "no lookahead pass at step " + s + ": meta loss " + r.metaLoss());
            for (int j = 0; j < groups.size(); j++) {
                assertEquals(r.lrAfter()[0], r.lrAfter()[j], 0.0, "one rate for every group, step " + s + " group " + j);
            }
            if (s == 0) {
                assertEquals(ALPHA0, r.lrAfter()[0], 0.0, "the first step keeps alpha_0");
                assertEquals(0, r.hypergradient().length, "no u_{t-1} at the first step");
                continue;
            }
            double alphaPrev = reports.get(s - 1).lrAfter()[0];
            double alpha = r.lrAfter()[0];
            assertEquals(alphaPrev, r.lrBefore()[0], 0.0, "step " + s + " starts at the previous rate");
            double[] before = theta.get(s - 1), at = theta.get(s), after = theta.get(s + 1);
            double dot = 0;
            for (int i = 0; i < at.length; i++) {
                double uPrev = (before[i] - at[i]) / alphaPrev;
                double g = (at[i] - after[i]) / alpha;
                dot += g * uPrev;
            }
            double want = Math.min(1.0, Math.max(1e-6, alphaPrev + BETA * dot));
            assertEquals(want - alphaPrev, alpha - alphaPrev, 1e-4 * Math.abs(want - alphaPrev) + 1e-12, "rate change, step " + s);
            for (int j = 0; j < groups.size(); j++) {
                assertEquals(-dot, r.hypergradient()[j], 1e-4 * Math.abs(dot), "h = -<g_t, u_{t-1}>, step " + s + " group " + j);
            }
            moved |= Math.abs(alpha - alphaPrev) > 1e-3 * alphaPrev;
        }
        assertTrue(moved, "the rate moved by more than 0.1% in some step: the check is not of a constant");
    }

    private static double[] flat(Map<String, float[]> weights, List<String> params) {
        int n = 0;
        for (String p : params) {
            n += weights.get(p).length;
        }
        double[] out = new double[n];
        int k = 0;
        for (String p : params) {
            for (float v : weights.get(p)) {
                out[k++] = v;
            }
        }
        return out;
    }
}
