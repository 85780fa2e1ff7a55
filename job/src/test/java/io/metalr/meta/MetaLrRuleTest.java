package io.metalr.meta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.meta.MetaLrSettings.Direction;
import io.metalr.meta.MetaLrSettings.Lookahead;
import io.metalr.meta.MetaLrSettings.LrUpdate;
import io.metalr.meta.MetaLrSettings.Normalize;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The learning-rate rule as arithmetic, checked against values worked out by hand. */
class MetaLrRuleTest {

    private static final double TOL = 1e-15;

    private static MetaLrSettings settings(Lookahead look, LrUpdate update, Normalize norm, double eta, double lo, double hi) {
        return new MetaLrSettings(look, update, Direction.SGD, norm, eta, lo, hi, 0, 1);
    }

    private static GroupSums sums(double[] dot, double[] vv, double[] dd) {
        return new GroupSums(dot, vv, dd);
    }

    private static GroupSums dots(double... dot) {
        return new GroupSums(dot, new double[dot.length], new double[dot.length]);
    }

    private static boolean[] all(int n) {
        boolean[] b = new boolean[n];
        java.util.Arrays.fill(b, true);
        return b;
    }

    @Test
    void multiplicativeDescentByHand() {
        MetaLrRule rule = new MetaLrRule(settings(Lookahead.DESCENT, LrUpdate.MULTIPLICATIVE, Normalize.NONE, 0.1, 1e-6, 1e-2));
        // descent: h = -<g_val, d>
        MetaLrRule.Result r = rule.update(new double[] {1e-3, 2e-3}, dots(0.5, -2.0), all(2), false);
        assertArrayEquals(new double[] {-0.5, 2.0}, r.hypergradient(), TOL);
        // 1e-3 * (1 - 0.1 * -0.5) = 1.05e-3 ; 2e-3 * (1 - 0.1 * 2) = 1.6e-3
        assertArrayEquals(new double[] {1.05e-3, 1.6e-3}, r.lrAfter(), 1e-18);
    }

    @Test
    void additiveDescentByHand() {
        MetaLrRule rule = new MetaLrRule(settings(Lookahead.DESCENT, LrUpdate.ADDITIVE, Normalize.NONE, 1e-3, 1e-6, 1e-2));
        MetaLrRule.Result r = rule.update(new double[] {1e-3, 4e-3}, dots(0.5, 1.0), all(2), false);
        assertArrayEquals(new double[] {-0.5, -1.0}, r.hypergradient(), TOL);
        // 1e-3 - 1e-3 * -0.5 = 1.5e-3 ; 4e-3 - 1e-3 * -1 = 5e-3
        assertArrayEquals(new double[] {1.5e-3, 5e-3}, r.lrAfter(), 1e-18);
    }

    @Test
    void additiveIsNotMultiplicative() {
        // the same inputs must give different results under the two rules (catches a swapped switch)
        double[] lr = {2e-3};
        GroupSums s = dots(1.0);
        double mult = new MetaLrRule(settings(Lookahead.DESCENT, LrUpdate.MULTIPLICATIVE, Normalize.NONE, 0.1, 1e-6, 1))
                .update(lr, s, all(1), false).lrAfter()[0];
        double add = new MetaLrRule(settings(Lookahead.DESCENT, LrUpdate.ADDITIVE, Normalize.NONE, 0.1, 1e-6, 1))
                .update(lr, s, all(1), false).lrAfter()[0];
        assertEquals(2e-3 * (1 + 0.1), mult, 1e-18);
        assertEquals(2e-3 + 0.1, add, 1e-15);
    }

    @Test
    void clampsAtUpperBound() {
        MetaLrRule rule = new MetaLrRule(settings(Lookahead.DESCENT, LrUpdate.MULTIPLICATIVE, Normalize.NONE, 0.1, 1e-6, 1e-2));
        // h = -10: 9e-3 * 2 = 1.8e-2 > 1e-2
        MetaLrRule.Result r = rule.update(new double[] {9e-3}, dots(10), all(1), false);
        assertEquals(1e-2, r.lrAfter()[0], 0.0);
    }

    @Test
    void clampsAtLowerBound() {
        MetaLrRule rule = new MetaLrRule(settings(Lookahead.DESCENT, LrUpdate.MULTIPLICATIVE, Normalize.NONE, 0.1, 1e-6, 1e-2));
        // h = 20: 9e-3 * (1 - 2) < 0: negative LRs are clamped to the lower bound
        MetaLrRule.Result r = rule.update(new double[] {9e-3}, dots(-20), all(1), false);
        assertEquals(1e-6, r.lrAfter()[0], 0.0);
        MetaLrRule add = new MetaLrRule(settings(Lookahead.DESCENT, LrUpdate.ADDITIVE, Normalize.NONE, 1, 1e-5, 1e-2));
        assertEquals(1e-5, add.update(new double[] {1e-3}, dots(-5), all(1), false).lrAfter()[0], 0.0);
        assertEquals(1e-2, add.update(new double[] {1e-3}, dots(5), all(1), false).lrAfter()[0], 0.0);
    }

    @Test
    void ascentFlipsTheSignOfH() {
        GroupSums s = dots(0.5, -2.0);
        double[] lr = {1e-3, 2e-3};
        MetaLrRule.Result down = new MetaLrRule(settings(Lookahead.DESCENT, LrUpdate.MULTIPLICATIVE, Normalize.NONE, 0.1, 1e-6, 1e-2))
                .update(lr, s, all(2), false);
        MetaLrRule.Result up = new MetaLrRule(settings(Lookahead.ASCENT, LrUpdate.MULTIPLICATIVE, Normalize.NONE, 0.1, 1e-6, 1e-2))
                .update(lr, s, all(2), false);
        for (int j = 0; j < 2; j++) {
            assertEquals(-down.hypergradient()[j], up.hypergradient()[j], TOL);
        }
        // ascent: h = +<g, d>: 1e-3*(1 - 0.05) ; 2e-3*(1 + 0.2)
        assertArrayEquals(new double[] {0.95e-3, 2.4e-3}, up.lrAfter(), 1e-18);
        assertEquals(1, Lookahead.DESCENT.sign);
        assertEquals(-1, Lookahead.ASCENT.sign);
    }

    @Test
    void cosineNormalisationByHand() {
        MetaLrRule rule = new MetaLrRule(settings(Lookahead.DESCENT, LrUpdate.MULTIPLICATIVE, Normalize.COSINE, 0.1, 1e-6, 1e-2));
        // dot 6, |g|^2 = 4, |d|^2 = 9: cos = 6 / (2*3) = 1, h = -1
        MetaLrRule.Result r = rule.update(new double[] {1e-3}, sums(new double[] {6}, new double[] {4}, new double[] {9}), all(1), false);
        assertEquals(-1.0, r.hypergradient()[0], TOL);
        assertEquals(1.1e-3, r.lrAfter()[0], 1e-18);
    }

    @Test
    void cosineIsScaleInvariant() {
        MetaLrRule rule = new MetaLrRule(settings(Lookahead.DESCENT, LrUpdate.MULTIPLICATIVE, Normalize.COSINE, 0.1, 1e-6, 1e-2));
        double[] lr = {1e-3, 3e-3, 5e-3};
        double[] dot = {0.3, -1.7, 2.2};
        double[] vv = {1.1, 4.0, 9.5};
        double[] dd = {0.7, 2.5, 3.3};
        MetaLrRule.Result base = rule.update(lr, sums(dot, vv, dd), all(3), false);
        for (double a : new double[] {1e-3, 7.0, 1e4}) {
            for (double b : new double[] {1e-2, 0.5, 300}) {
                double[] dot2 = new double[3], vv2 = new double[3], dd2 = new double[3];
                for (int j = 0; j < 3; j++) {
                    // grad scaled by a, direction by b
                    dot2[j] = dot[j] * a * b;
                    vv2[j] = vv[j] * a * a;
                    dd2[j] = dd[j] * b * b;
                }
                MetaLrRule.Result scaled = rule.update(lr, sums(dot2, vv2, dd2), all(3), false);
                for (int j = 0; j < 3; j++) {
                    assertEquals(base.hypergradient()[j], scaled.hypergradient()[j], 1e-12, "a=" + a + " b=" + b);
                    assertEquals(base.lrAfter()[j], scaled.lrAfter()[j], 1e-15, "a=" + a + " b=" + b);
                }
                assertTrue(Math.abs(base.hypergradient()[0]) <= 1 + 1e-12, "cosine stays in [-1, 1]");
            }
        }
        // without normalisation the same scaling does change h (the test above can fail)
        MetaLrRule plain = new MetaLrRule(settings(Lookahead.DESCENT, LrUpdate.MULTIPLICATIVE, Normalize.NONE, 0.1, 1e-6, 1e-2));
        double h1 = plain.update(lr, sums(dot, vv, dd), all(3), false).hypergradient()[0];
        double h2 = plain.update(lr, sums(new double[] {dot[0] * 10, dot[1], dot[2]}, vv, dd), all(3), false).hypergradient()[0];
        assertEquals(10 * h1, h2, 1e-12);
    }

    @Test
    void cosineWithZeroNormGivesZero() {
        MetaLrRule rule = new MetaLrRule(settings(Lookahead.DESCENT, LrUpdate.MULTIPLICATIVE, Normalize.COSINE, 0.1, 1e-6, 1e-2));
        double[] lr = {1e-3, 2e-3, 3e-3};
        MetaLrRule.Result r = rule.update(lr,
                sums(new double[] {0, 0, 0}, new double[] {0, 5, 0}, new double[] {3, 0, 0}), all(3), false);
        assertArrayEquals(new double[] {0, 0, 0}, r.hypergradient(), 0.0);
        for (double h : r.hypergradient()) {
            assertTrue(Double.isFinite(h));
        }
        assertArrayEquals(lr, r.lrAfter(), 0.0);
        MetaLrRule add = new MetaLrRule(settings(Lookahead.DESCENT, LrUpdate.ADDITIVE, Normalize.COSINE, 0.1, 1e-6, 1e-2));
        assertArrayEquals(lr, add.update(lr, sums(new double[3], new double[3], new double[3]), all(3), false).lrAfter(), 0.0);
    }

    @Test
    void frozenAndHeldGroupsKeepTheirRate() {
        MetaLrRule rule = new MetaLrRule(settings(Lookahead.DESCENT, LrUpdate.MULTIPLICATIVE, Normalize.NONE, 0.1, 1e-6, 1e-2));
        // group 0 frozen with a rate outside the clamp range (not clamped either), group 2 a held head
        double[] lr = {0.5, 1e-3, 4e-3};
        boolean[] learnable = {false, true, false};
        MetaLrRule.Result r = rule.update(lr, dots(3, 3, 3), learnable, false);
        assertEquals(0.5, r.lrAfter()[0], 0.0);
        assertEquals(1e-3 * 1.3, r.lrAfter()[1], 1e-18);
        assertEquals(4e-3, r.lrAfter()[2], 0.0);
        // the input is not modified
        assertArrayEquals(new double[] {0.5, 1e-3, 4e-3}, lr, 0.0);
    }

    @Test
    void tiedModeMovesOneSharedRateByTheSummedHypergradient() {
        MetaLrRule rule = new MetaLrRule(settings(Lookahead.DESCENT, LrUpdate.MULTIPLICATIVE, Normalize.NONE, 0.1, 1e-6, 1e-2));
        double[] lr = {2e-3, 2e-3, 2e-3};
        MetaLrRule.Result r = rule.update(lr, dots(0.5, -1.5, 3.0), all(3), true);
        // h = -(0.5 - 1.5 + 3) = -2 ; 2e-3 * (1 + 0.2) = 2.4e-3 for every group
        assertArrayEquals(new double[] {-2, -2, -2}, r.hypergradient(), TOL);
        assertArrayEquals(new double[] {2.4e-3, 2.4e-3, 2.4e-3}, r.lrAfter(), 1e-18);
    }

    @Test
    void tiedModeSumsOnlyLearnableGroups() {
        MetaLrRule rule = new MetaLrRule(settings(Lookahead.DESCENT, LrUpdate.MULTIPLICATIVE, Normalize.NONE, 0.1, 1e-6, 1e-2));
        double[] lr = {1e-3, 1e-3, 1e-3};
        MetaLrRule.Result r = rule.update(lr, dots(1, 2, 100), new boolean[] {true, true, false}, true);
        assertEquals(-3, r.hypergradient()[0], TOL);
        assertArrayEquals(new double[] {1.3e-3, 1.3e-3, 1e-3}, r.lrAfter(), 1e-18);
    }

    @Test
    void tiedCosineUsesSummedNorms() {
        MetaLrRule rule = new MetaLrRule(settings(Lookahead.DESCENT, LrUpdate.MULTIPLICATIVE, Normalize.COSINE, 0.1, 1e-6, 1e-2));
        // dot 2+4 = 6, |g|^2 = 1+3 = 4, |d|^2 = 5+4 = 9: h = -6/6 = -1
        MetaLrRule.Result r = rule.update(new double[] {1e-3, 1e-3},
                sums(new double[] {2, 4}, new double[] {1, 3}, new double[] {5, 4}), all(2), true);
        assertEquals(-1, r.hypergradient()[0], TOL);
        assertArrayEquals(new double[] {1.1e-3, 1.1e-3}, r.lrAfter(), 1e-18);
    }

    /**
     * With one shared rate, a held head (meta.hold_head_epochs, default 5, which TrainStep applies to
     * the hypergradient strategy too) must not reset the shared rate: two consecutive steps with
     * h = -2 should compound, 1e-3 -> 1.2e-3 -> 1.44e-3.
     */
    @Test
    void tiedModeWithHeldHeadCompounds() {
        MetaLrRule rule = new MetaLrRule(settings(Lookahead.DESCENT, LrUpdate.MULTIPLICATIVE, Normalize.NONE, 0.1, 1e-6, 1e-2));
        boolean[] headHeld = {true, true, false};
        double[] lr = {1e-3, 1e-3, 1e-3};
        double[] after1 = rule.update(lr, dots(1, 1, 0), headHeld, true).lrAfter();
        assertArrayEquals(new double[] {1.2e-3, 1.2e-3, 1e-3}, after1, 1e-18);
        double[] after2 = rule.update(after1, dots(1, 1, 0), headHeld, true).lrAfter();
        assertEquals(1.44e-3, after2[0], 1e-18, "the shared rate must compound from its own value");
        assertEquals(1.44e-3, after2[1], 1e-18);
        assertEquals(1e-3, after2[2], 0.0);
    }

    @Test
    void groupCountMismatchIsAnError() {
        MetaLrRule rule = new MetaLrRule(MetaLrSettings.paper());
        assertThrows(IllegalArgumentException.class, () -> rule.update(new double[2], dots(1, 2, 3), all(3), false));
        assertThrows(IllegalArgumentException.class, () -> rule.update(new double[3], dots(1, 2, 3), all(2), false));
    }

    @Test
    void groupSumsAdd() {
        GroupSums a = sums(new double[] {1, 2}, new double[] {3, 4}, new double[] {5, 6});
        GroupSums b = sums(new double[] {10, 20}, new double[] {30, 40}, new double[] {50, 60});
        GroupSums c = a.plus(b);
        assertArrayEquals(new double[] {11, 22}, c.dot(), 0);
        assertArrayEquals(new double[] {33, 44}, c.valNormSq(), 0);
        assertArrayEquals(new double[] {55, 66}, c.dirNormSq(), 0);
        assertArrayEquals(new double[] {1, 2}, a.dot(), 0, "plus does not modify its operands");
        assertEquals(4, GroupSums.zeros(4).groups());
    }

    @Test
    void paperDefaults() {
        MetaLrSettings p = MetaLrSettings.paper();
        assertEquals(Lookahead.DESCENT, p.lookahead());
        assertEquals(LrUpdate.MULTIPLICATIVE, p.update());
        assertEquals(Direction.SGD, p.direction());
        assertEquals(Normalize.NONE, p.normalize());
        assertEquals(0.1, p.hyperLr());
        assertEquals(1e-6, p.lrLower());
        assertEquals(1e-2, p.lrUpper());
    }

    private static void assertNames(String key, Executable e) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        assertTrue(ex.getMessage().contains(key), "message should name " + key + ": " + ex.getMessage());
    }

    @Test
    void settingsValidationNamesTheKey() {
        Lookahead l = Lookahead.DESCENT;
        LrUpdate u = LrUpdate.MULTIPLICATIVE;
        Direction d = Direction.SGD;
        Normalize n = Normalize.NONE;
        assertNames("meta.hyper_lr", () -> new MetaLrSettings(l, u, d, n, -0.1, 1e-6, 1e-2, 0, 1));
        assertNames("meta.hyper_lr", () -> new MetaLrSettings(l, u, d, n, Double.NaN, 1e-6, 1e-2, 0, 1));
        assertNames("meta.hyper_lr", () -> new MetaLrSettings(l, u, d, n, Double.POSITIVE_INFINITY, 1e-6, 1e-2, 0, 1));
        assertNames("meta.lr_lower", () -> new MetaLrSettings(l, u, d, n, 0.1, 0, 1e-2, 0, 1));
        assertNames("meta.lr_lower", () -> new MetaLrSettings(l, u, d, n, 0.1, -1e-6, 1e-2, 0, 1));
        assertNames("meta.lr_upper", () -> new MetaLrSettings(l, u, d, n, 0.1, 1e-2, 1e-3, 0, 1));
        assertNames("meta.lr_upper", () -> new MetaLrSettings(l, u, d, n, 0.1, 1e-6, Double.POSITIVE_INFINITY, 0, 1));
        assertNames("meta.lr_upper", () -> new MetaLrSettings(l, u, d, n, 0.1, 1e-6, Double.NaN, 0, 1));
        assertNames("meta.hold_head_epochs", () -> new MetaLrSettings(l, u, d, n, 0.1, 1e-6, 1e-2, -1, 1));
        assertNames("meta.every", () -> new MetaLrSettings(l, u, d, n, 0.1, 1e-6, 1e-2, 0, 0));
        // boundaries that are allowed
        new MetaLrSettings(l, u, d, n, 0.0, 1e-3, 1e-3, 0, 1);
    }
}
