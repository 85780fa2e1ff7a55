package io.metalr.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.groups.LayerGroups;
import io.metalr.model.Models;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

/** What each strategy means: trainable groups, initial rates, how rates evolve, pretrained or not. */
class StrategyPlanTest {

    private static final LayerGroups GROUPS = LayerGroups.auto(Models.create("resnet18", 3, 10)); // 10 groups
    private static final int D = 10;
    private static final StrategyPlan.Options OPT = new StrategyPlan.Options(0.01, 0.1, 3, 0.5, 0);

    private static StrategyPlan plan(String s) {
        return StrategyPlan.of(s, GROUPS, OPT);
    }

    private static boolean[] allTrue() {
        boolean[] b = new boolean[D];
        java.util.Arrays.fill(b, true);
        return b;
    }

    private static double[] filled(double v) {
        double[] a = new double[D];
        java.util.Arrays.fill(a, v);
        return a;
    }

    @Test
    void metalr() {
        StrategyPlan p = plan("metalr");
        assertEquals("metalr", p.strategy());
        assertArrayEquals(allTrue(), p.trainable());
        for (int j = 0; j < D - 1; j++) {
            assertEquals(0.1 * 0.01, p.initialLr()[j], 1e-18, "backbone group " + j);
        }
        assertEquals(0.01, p.initialLr()[D - 1], 0.0);
        assertEquals(StrategyPlan.Learning.PER_GROUP, p.learning());
        assertTrue(p.pretrained());
        // the scale is an option
        StrategyPlan q = StrategyPlan.of("metalr", GROUPS, new StrategyPlan.Options(0.02, 0.25, 2, 0.8, 0));
        assertEquals(0.005, q.initialLr()[0], 1e-18);
        assertEquals(0.02, q.initialLr()[D - 1], 0.0);
    }

    @Test
    void full() {
        StrategyPlan p = plan("full");
        assertArrayEquals(allTrue(), p.trainable());
        assertArrayEquals(filled(0.01), p.initialLr(), 0.0);
        assertEquals(StrategyPlan.Learning.FIXED, p.learning());
        assertTrue(p.pretrained());
    }

    @Test
    void linearProbe() {
        StrategyPlan p = plan("linear_probe");
        boolean[] expected = new boolean[D];
        expected[D - 1] = true;
        assertArrayEquals(expected, p.trainable());
        assertEquals(0.01, p.initialLr()[D - 1], 0.0);
        assertEquals(StrategyPlan.Learning.FIXED, p.learning());
        assertTrue(p.pretrained());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 9, 10})
    void partial(int k) {
        StrategyPlan p = StrategyPlan.of("partial", GROUPS, new StrategyPlan.Options(0.01, 0.1, k, 0.8, 0));
        for (int j = 0; j < D; j++) {
            assertEquals(j >= D - k, p.trainable()[j], "group " + j + " with k=" + k);
        }
        assertArrayEquals(filled(0.01), p.initialLr(), 0.0);
        assertEquals(StrategyPlan.Learning.FIXED, p.learning());
        assertTrue(p.pretrained());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 11})
    void partialOutOfRangeNamesTheKey(int k) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StrategyPlan.of("partial", GROUPS, new StrategyPlan.Options(0.01, 0.1, k, 0.8, 0)));
        assertTrue(e.getMessage().contains("strategy_options.partial_groups"), e.getMessage());
    }

    @Test
    void llrd() {
        StrategyPlan p = plan("llrd");
        assertArrayEquals(allTrue(), p.trainable());
        for (int j = 0; j < D; j++) {
            assertEquals(0.01 * Math.pow(0.5, D - 1 - j), p.initialLr()[j], 1e-15, "group " + j);
        }
        assertEquals(0.01, p.initialLr()[D - 1], 0.0, "the head gets train.lr");
        for (int j = 1; j < D; j++) {
            assertEquals(0.5, p.initialLr()[j - 1] / p.initialLr()[j], 1e-12);
        }
        assertEquals(StrategyPlan.Learning.FIXED, p.learning());
        assertTrue(p.pretrained());
        StrategyPlan one = StrategyPlan.of("llrd", GROUPS, new StrategyPlan.Options(0.01, 0.1, 2, 1.0, 0));
        assertArrayEquals(filled(0.01), one.initialLr(), 1e-18);
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, -0.5, 1.5, Double.NaN})
    void llrdFactorOutOfRangeNamesTheKey(double f) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StrategyPlan.of("llrd", GROUPS, new StrategyPlan.Options(0.01, 0.1, 2, f, 0)));
        assertTrue(e.getMessage().contains("strategy_options.llrd_factor"), e.getMessage());
    }

    @Test
    void metalrGlobalIsTied() {
        StrategyPlan p = plan("metalr_global");
        assertArrayEquals(allTrue(), p.trainable());
        assertArrayEquals(filled(0.01), p.initialLr(), 0.0);
        assertEquals(StrategyPlan.Learning.TIED, p.learning());
        assertTrue(p.pretrained());
    }

    @Test
    void hdLearnsOneRateOfEveryGroupWithoutALookahead() {
        StrategyPlan p = StrategyPlan.of("hd", GROUPS, new StrategyPlan.Options(0.01, 0.1, 3, 0.5, 1e-7));
        assertArrayEquals(allTrue(), p.trainable());
        assertArrayEquals(filled(0.01), p.initialLr(), 0.0);
        assertEquals(StrategyPlan.Learning.HD, p.learning());
        assertEquals(1e-7, p.hdHyperLr(), 0.0);
        assertTrue(p.pretrained());
        assertFalse(p.looksAhead());
        for (long step = 0; step < 4; step++) {
            assertFalse(p.metaStep(step, 1), "no meta pass at step " + step);
        }
        assertTrue(plan("metalr_global").metaStep(0, 1));
    }

    @Test
    void theOldHypergradientNameIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> plan("hypergradient"));
        assertTrue(e.getMessage().contains("renamed to metalr_global") && e.getMessage().contains("hd"), e.getMessage());
    }

    @Test
    void fixedGroupsIsTheMetalrStartNeverUpdated() {
        StrategyPlan p = plan("fixed_groups");
        assertArrayEquals(plan("metalr").initialLr(), p.initialLr(), 0.0);
        assertArrayEquals(allTrue(), p.trainable());
        assertEquals(StrategyPlan.Learning.FIXED, p.learning());
        assertTrue(p.pretrained());
    }

    @Test
    void scratchIsNotPretrained() {
        StrategyPlan p = plan("scratch");
        assertFalse(p.pretrained());
        assertArrayEquals(allTrue(), p.trainable());
        assertArrayEquals(filled(0.01), p.initialLr(), 0.0);
        assertEquals(StrategyPlan.Learning.FIXED, p.learning());
    }

    @Test
    void everyNamedStrategyBuildsAndOnlyThoseDo() {
        assertEquals(List.of("metalr", "full", "linear_probe", "partial", "llrd", "metalr_global", "hd", "fixed_groups", "scratch"),
                List.of(StrategyPlan.NAMES));
        for (String s : StrategyPlan.NAMES) {
            StrategyPlan p = plan(s);
            assertEquals(s, p.strategy());
            assertEquals(D, p.trainable().length);
            assertEquals(D, p.initialLr().length);
            assertTrue(p.trainable()[D - 1], s + " trains the head");
            for (double lr : p.initialLr()) {
                assertTrue(lr > 0, s);
            }
        }
        assertEquals("metalr", plan("MetaLR").strategy());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> plan("magic"));
        assertTrue(e.getMessage().contains("magic"), e.getMessage());
        assertTrue(e.getMessage().contains("linear_probe"), e.getMessage());
    }
}
