package io.metalr.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.spark.DistributedTrainer;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The overhead is the Spark step minus the one-process step; its fixed and per-MB parts come from a line. */
class OverheadTest {

    /** A step of {@code ms} wall time of which the engine counted {@code computeMs} as compute. */
    private static DistributedTrainer.Step step(double ms, double computeMs, long driverBytes, long executorBytes) {
        return new DistributedTrainer.Step(null, ms / 1000, computeMs / 1000, driverBytes, executorBytes);
    }

    @Test
    void theOverheadIsTheSparkStepMinusTheOneProcessStepNotWallMinusCompute() {
        // the engine counts 900 of each 1000 ms as compute (host copies, packing, the driver's update
        // included), but the same step takes 800 ms in one process: the user pays 200 ms, not 100
        List<DistributedTrainer.Step> steps = new ArrayList<>();
        steps.add(step(5000, 100, 1, 0)); // warm-up steps: slow, not counted
        steps.add(step(4000, 100, 1, 0));
        for (int i = 0; i < 5; i++) {
            steps.add(step(1000, 900, 1_000_000, 0));
        }
        Overhead o = Overhead.of(SparkSteps.of(steps, 2), 800);
        assertEquals(200, o.ms(), 1e-9);
        assertEquals(0.2, o.share(), 1e-12);
    }

    @Test
    void aSparkStepFasterThanOneProcessHasANegativeOverhead() {
        Overhead o = new Overhead(900, 1000);
        assertEquals(-100, o.ms(), 1e-9);
        assertEquals(-100.0 / 900, o.share(), 1e-12);
    }

    @Test
    void stepTimesMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new Overhead(0, 800));
        assertThrows(IllegalArgumentException.class, () -> new Overhead(1000, Double.NaN));
    }

    @Test
    void pointsOnALineGiveItsInterceptAndSlope() {
        // 30 ms per step whatever moves, 2 ms per MB
        Overhead.Line l = Overhead.Line.fit(new double[] {0.007, 1.25, 179}, new double[] {30.014, 32.5, 388});
        assertEquals(30, l.fixedMs(), 1e-9);
        assertEquals(2, l.msPerMb(), 1e-12);
    }

    @Test
    void scatteredPointsGiveTheLeastSquaresLine() {
        // x = 0, 1, 2; y = 1, 2, 4: slope = sum((x-1)(y-7/3)) / sum((x-1)^2) = 3/2, intercept 7/3 - 3/2
        Overhead.Line l = Overhead.Line.fit(new double[] {0, 1, 2}, new double[] {1, 2, 4});
        assertEquals(1.5, l.msPerMb(), 1e-12);
        assertEquals(7.0 / 3 - 1.5, l.fixedMs(), 1e-12);
    }

    @Test
    void aLineNeedsTwoPayloads() {
        IllegalArgumentException one = assertThrows(IllegalArgumentException.class,
                () -> Overhead.Line.fit(new double[] {1}, new double[] {5}));
        assertTrue(one.getMessage().contains("at least two"), one.getMessage());
        IllegalArgumentException same = assertThrows(IllegalArgumentException.class,
                () -> Overhead.Line.fit(new double[] {2, 2}, new double[] {5, 7}));
        assertTrue(same.getMessage().contains("same MB"), same.getMessage());
    }

    @Test
    void growthIsTheRatioAndNeedsANonZeroBase() {
        assertEquals(1.1, Overhead.growth(110, 100), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> Overhead.growth(5, 0));
    }
}
