package io.metalr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.metalr.config.JobConfig;
import io.metalr.train.RunSetup;
import io.metalr.train.StepReport;
import io.metalr.train.Trainer;
import io.metalr.train.fit.FitLoop;
import io.metalr.train.fit.StepEngine;

import java.util.ArrayList;
import java.util.List;

/**
 * A training run as the equivalence tests compare them (its outcome and every step's report), and
 * the one comparison: two runs that must be one, bitwise (steps, rates, hypergradients, weights,
 * validation and test metrics).
 */
public final class TrainedRuns {

    private TrainedRuns() {}

    public record Run(Trainer.Outcome out, List<StepReport> steps) {}

    /** Trains through {@link FitLoop} on {@code engine}, closing it, with no checkpoints and no metrics log. */
    public static Run run(JobConfig cfg, RunSetup setup, StepEngine engine) {
        List<StepReport> steps = new ArrayList<>();
        try (engine) {
            Trainer.Outcome out = new FitLoop(cfg, setup, engine, List.of((r, t) -> steps.add(r)), null, null, s -> { }).run();
            return new Run(out, steps);
        }
    }

    public static void assertSameRun(Run expected, Run actual) {
        assertEquals(expected.steps().size(), actual.steps().size(), "steps");
        for (int i = 0; i < expected.steps().size(); i++) {
            StepReport a = expected.steps().get(i), b = actual.steps().get(i);
            String at = "step " + i;
            assertEquals(a.step(), b.step(), at);
            assertEquals(a.epoch(), b.epoch(), at);
            assertEquals(a.count(), b.count(), at);
            assertEquals(a.correct(), b.correct(), at);
            assertEquals(a.trainLoss(), b.trainLoss(), at);
            assertEquals(a.metaLoss(), b.metaLoss(), at);
            assertArrayEquals(a.lrBefore(), b.lrBefore(), at);
            assertArrayEquals(a.lrAfter(), b.lrAfter(), at);
            assertArrayEquals(a.hypergradient(), b.hypergradient(), at);
            assertEquals(a.skipped(), b.skipped(), at);
        }
        assertEquals(expected.out().steps(), actual.out().steps());
        assertEquals(expected.out().bestEpoch(), actual.out().bestEpoch());
        assertArrayEquals(expected.out().finalLr(), actual.out().finalLr());
        assertEquals(expected.out().bestWeights().keySet(), actual.out().bestWeights().keySet());
        expected.out().bestWeights().forEach((name, v) -> assertArrayEquals(v, actual.out().bestWeights().get(name), name));
        for (int e = 0; e < expected.out().epochs().size(); e++) {
            Trainer.EpochResult x = expected.out().epochs().get(e), y = actual.out().epochs().get(e);
            assertEquals(x.val(), y.val(), "epoch " + e + " validation");
            assertEquals(x.trainLoss(), y.trainLoss(), "epoch " + e + " train loss");
            assertEquals(x.trainAccuracy(), y.trainAccuracy(), "epoch " + e + " train accuracy");
        }
        assertNotNull(expected.out().test(), "test metrics");
        assertEquals(expected.out().test(), actual.out().test(), "test metrics");
    }
}
