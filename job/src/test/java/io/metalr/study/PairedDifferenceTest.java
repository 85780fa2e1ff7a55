package io.metalr.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.List;

/** The paired difference's statistics against values computed by hand. */
class PairedDifferenceTest {

    @Test
    void meanSdAndStudentIntervalOfFiveDiffs() {
        PairedDifference d = PairedDifference.of(List.of(0L, 1L, 2L, 3L, 4L), new double[] {1, 2, 3, 4, 5});
        assertEquals(5, d.n());
        assertEquals(3.0, d.mean(), 1e-12);
        assertEquals(Math.sqrt(2.5), d.sd(), 1e-12); // 1.5811
        assertEquals(2.7764, d.t(), 1e-4); // t_{0.975, 4} from the table
        assertEquals(1.9632, d.halfWidth(), 1e-4); // 2.7764 * 1.5811 / sqrt(5)
        assertEquals(1.0368, d.low(), 1e-4);
        assertEquals(4.9632, d.high(), 1e-4);
    }

    @Test
    void otherDegreesOfFreedomAndSigns() {
        // diffs {-0.01, 0.03}: mean 0.01, sd 0.028284, t_{0.975, 1} = 12.7062, half width 0.254124
        PairedDifference two = PairedDifference.of(List.of(3L, 7L), new double[] {-0.01, 0.03});
        assertEquals(0.01, two.mean(), 1e-12);
        assertEquals(0.0282843, two.sd(), 1e-6);
        assertEquals(12.7062, two.t(), 1e-4);
        assertEquals(0.254124, two.halfWidth(), 1e-5);
        // t_{0.975, 2} = 4.3027 (the three-seed interval)
        assertEquals(4.3027, PairedDifference.of(List.of(0L, 1L, 2L), new double[] {0.014, 0.008, 0.039}).t(), 1e-4);
        assertEquals("+1.0 [-24.4, +26.4]", two.points());
    }

    @Test
    void oneOrNoPairHasNoInterval() {
        PairedDifference one = PairedDifference.of(List.of(0L), new double[] {0.02});
        assertEquals(0.02, one.mean(), 1e-12);
        assertTrue(Double.isNaN(one.low()) && Double.isNaN(one.sd()));
        assertEquals("+2.0", one.points());
        assertEquals("-", PairedDifference.of(List.of(), new double[0]).points());
        assertEquals(null, one.toMap().get("ci95_low"));
    }
}
