package io.metalr.train;

import ai.djl.Device;
import io.metalr.config.JobConfig;
import io.metalr.data.ImageSet;
import io.metalr.eval.ClassificationMetrics;
import io.metalr.train.fit.FitListener;
import io.metalr.train.fit.FitLoop;
import io.metalr.train.fit.InProcessEngine;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A single-process run: {@link FitLoop} over an {@link InProcessEngine}, without checkpoints (for
 * sweeps, folds and tests); and the records every run's result is told in.
 */
public final class Trainer {

    /** One epoch's summary. */
    public record EpochResult(int epoch, long steps, double trainLoss, double trainAccuracy,
            ClassificationMetrics val, double[] lr, double seconds) {}

    /** The run's result; {@code bestWeights} are the selected model's tensors on the host. */
    public record Outcome(List<EpochResult> epochs, int bestEpoch, ClassificationMetrics bestVal,
            ClassificationMetrics test, LinkedHashMap<String, float[]> bestWeights, double[] finalLr,
            long steps, long skippedSteps, double seconds) {}

    private final JobConfig cfg;
    private final RunSetup setup;
    private final Device device;
    private final Consumer<String> log;

    public Trainer(JobConfig cfg, RunSetup setup, Device device, Consumer<String> log) {
        this.cfg = cfg;
        this.setup = setup;
        this.device = device;
        this.log = log;
    }

    /** The setup's network, groups and plan, from {@code initial} weights (given to {@link #fit}). */
    public Trainer(JobConfig cfg, io.metalr.nn.Network net, io.metalr.groups.LayerGroups groups, StrategyPlan plan,
            Device device, Consumer<String> log) {
        this(cfg, new RunSetup(net, groups, plan, null), device, log);
    }

    /** Trains from {@code initial}; {@code onStep} (may be null) sees every step. */
    public Outcome fit(Map<String, float[]> initial, ImageSet train, ImageSet val, ImageSet test, Consumer<StepReport> onStep) {
        RunSetup s = new RunSetup(setup.net(), setup.groups(), setup.plan(), new LinkedHashMap<>(initial));
        List<FitListener> listeners = onStep == null ? List.of() : List.of((r, t) -> onStep.accept(r));
        try (InProcessEngine engine = new InProcessEngine(cfg, s, device, train, val, test)) {
            return new FitLoop(cfg, s, engine, listeners, null, null, log).run();
        }
    }
}
