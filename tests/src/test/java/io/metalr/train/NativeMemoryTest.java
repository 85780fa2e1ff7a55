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

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Long runs must not accumulate NDArrays in long-lived managers: after the optimizer state exists,
 * the arrays reachable from the weights' manager (which includes its sub-managers: optimizer
 * state, lookahead buffers, any unclosed step scratch) stay the same in number however many steps run.
 */
class NativeMemoryTest {

    @ParameterizedTest(name = "{0} {1} {2} {3}")
    @CsvSource({
        "metalr, adam, SGD, 300",
        "metalr, sgd, OPTIMIZER, 60",
        "full, adamw, SGD, 60",
        "metalr_global, adam, OPTIMIZER, 60",
        "hd, adam, SGD, 60",
    })
    void trainStepsDoNotLeakArraysIntoTheWeightsManager(String strategy, String optimizer,
            MetaLrSettings.Direction direction, int steps) {
        Network net = Models.create("small_resnet", 1, 3);
        LayerGroups groups = LayerGroups.auto(net);
        StrategyPlan plan = StrategyPlan.of(strategy, groups, new StrategyPlan.Options(0.005, 0.1, 2, 0.8, 1e-7));
        MetaLrSettings meta = new MetaLrSettings(MetaLrSettings.Lookahead.DESCENT, MetaLrSettings.LrUpdate.MULTIPLICATIVE,
                direction, MetaLrSettings.Normalize.NONE, 0.1, 1e-6, 1e-2, 0, 1);
        ImageSet data = SyntheticImages.generate("stripes", 3, 32, 1, 8, 1);
        Optimizers.Settings os = new Optimizers.Settings(optimizer, 1e-4, 0.9, 0.999, 1e-8, 0.9, false);
        try (Weights w = Weights.initialize(net, 0, Device.cpu());
                Optimizer opt = Optimizers.create(os, w.manager());
                TrainStep step = new TrainStep(w, groups, opt, meta, plan, false)) {
            int warmup = 3;
            int baseline = -1;
            for (int s = 0; s < steps; s++) {
                if (s == warmup) {
                    baseline = w.manager().getManagedArrays().size();
                }
                try (NDManager batches = NDManager.newBaseManager(Device.cpu())) {
                    int[] idx = {(4 * s) % 32, (4 * s + 1) % 32, (4 * s + 2) % 32, (4 * s + 3) % 32};
                    int[] metaIdx = {(5 * s + 7) % 32, (5 * s + 11) % 32, (5 * s + 13) % 32, (5 * s + 17) % 32};
                    Batch b = data.batch(batches, idx);
                    Batch m = plan.learning() == StrategyPlan.Learning.FIXED ? null : data.batch(batches, metaIdx);
                    StepReport r = step.run(b, m, 0, s);
                    assertTrue(Double.isFinite(r.trainLoss()));
                }
                if (s > warmup && s % 25 == 0) {
                    assertEquals(baseline, w.manager().getManagedArrays().size(), "after step " + s);
                }
            }
            int after = w.manager().getManagedArrays().size();
            assertEquals(baseline, after, "arrays held by the weights' manager after " + steps + " steps");
            // the count is what it should be: the weights, the lookahead buffers and the optimizer state
            long tensors = net.params().size();
            long buffers = net.params().stream().filter(p -> !p.trainable()).count();
            long learnable = net.params().stream().filter(p -> p.trainable()).count();
            // hd keeps each parameter's previous direction with the optimizer's state
            long slots = (optimizer.startsWith("adam") ? 2 : 1) + (plan.learning() == StrategyPlan.Learning.HD ? 1 : 0);
            assertEquals(tensors + buffers + slots * learnable, after);
            // evaluation passes do not leak either
            for (int k = 0; k < 20; k++) {
                Evaluator.evaluate(w, data, 16);
            }
            assertEquals(after, w.manager().getManagedArrays().size(), "after evaluations");
        }
    }
}
