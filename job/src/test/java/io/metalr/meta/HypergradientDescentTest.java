package io.metalr.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Baydin et al.'s additive rule, against values worked out by hand. */
class HypergradientDescentTest {

    private static final double TOL = 1e-15;

    @Test
    void aPositiveDotRaisesTheRateByBetaTimesIt() {
        // <g_t, u_{t-1}> = 2: h = -2, alpha = 1e-3 - 1e-4 * (-2) = 1.2e-3
        HypergradientDescent.Result r = new HypergradientDescent(1e-4, 1e-6, 1e-2).update(1e-3, 2.0);
        assertEquals(-2.0, r.hypergradient(), 0.0);
        assertEquals(1.2e-3, r.lrAfter(), TOL);
    }

    @Test
    void aNegativeDotLowersIt() {
        // <g_t, u_{t-1}> = -5: h = 5, alpha = 1e-3 - 1e-4 * 5 = 5e-4
        HypergradientDescent.Result r = new HypergradientDescent(1e-4, 1e-6, 1e-2).update(1e-3, -5.0);
        assertEquals(5.0, r.hypergradient(), 0.0);
        assertEquals(5e-4, r.lrAfter(), TOL);
    }

    @Test
    void theRateIsClampedToTheBounds() {
        HypergradientDescent rule = new HypergradientDescent(1e-3, 1e-6, 1e-2);
        // 1e-3 + 1e-3 * 100 = 0.101 > 1e-2
        assertEquals(1e-2, rule.update(1e-3, 100).lrAfter(), 0.0);
        // 1e-3 - 1e-3 * 100 = -0.099 < 1e-6
        assertEquals(1e-6, rule.update(1e-3, -100).lrAfter(), 0.0);
        // the hypergradient is reported unclamped
        assertEquals(-100, rule.update(1e-3, 100).hypergradient(), 0.0);
    }

    @Test
    void betaZeroKeepsTheRate() {
        assertEquals(3e-3, new HypergradientDescent(0, 1e-6, 1e-2).update(3e-3, 42).lrAfter(), 0.0);
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new HypergradientDescent(-1, 1e-6, 1e-2));
        assertThrows(IllegalArgumentException.class, () -> new HypergradientDescent(1e-3, 1e-2, 1e-6));
    }
}
