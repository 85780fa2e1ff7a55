package io.metalr.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.spark.DistributedTrainer;

import java.util.List;

import org.junit.jupiter.api.Test;

/** A run's figures are the medians of its steps after the warm-up, each figure on its own. */
class SparkStepsTest {

    private static DistributedTrainer.Step step(double seconds, double computeSeconds, long driver, long executor) {
        return new DistributedTrainer.Step(null, seconds, computeSeconds, driver, executor);
    }

    @Test
    void mediansOfTheStepsAfterTheWarmUp() {
        SparkSteps s = SparkSteps.of(List.of(
                step(9, 9, 999, 999), step(8, 8, 888, 888), // warm-up
                step(0.3, 0.2, 3_000_000, 40),
                step(0.1, 0.05, 1_000_000, 10),
                step(0.2, 0.1, 2_000_000, 30),
                step(0.5, 0.4, 2_000_000, 20)), 2);
        assertEquals(4, s.timed());
        assertEquals(250, s.ms(), 1e-9);
        assertEquals(150, s.computeMs(), 1e-9);
        assertEquals(2_000_000, s.driverBytes(), 0);
        assertEquals(2.0, s.driverMb(), 0);
        assertEquals(25, s.executorBytes(), 0);
    }

    @Test
    void aRunWithNoStepAfterTheWarmUpIsAnError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SparkSteps.of(List.of(step(1, 1, 1, 1), step(1, 1, 1, 1)), 2));
        assertTrue(e.getMessage().contains("2 warm-up steps"), e.getMessage());
    }
}
