package io.metalr.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

/** The comparison picks on validation, never on test, and compares MetaLR with the best tuned baseline. */
class ComparisonTest {

    private static int next;

    private static TrialResult ok(int config, String variant, String strategy, double valAuc, double testAcc, double testAuc) {
        return new TrialResult(next++, config, variant, strategy, "c" + config, 0L, null, TrialResult.OK, null,
                0.5, valAuc, 1.0, testAcc, testAuc, 1.0, 0, 10L, "0.01", 1.0, 0, 1, "");
    }

    private static TrialResult failed(int config, String variant, String strategy) {
        return new TrialResult(next++, config, variant, strategy, "c" + config, 1L, null, TrialResult.FAILED, "diverged: x",
                null, null, null, null, null, null, null, null, null, null, 0, 1, "");
    }

    @Test
    void bestIsChosenOnValidationAmongCompleteConfigurations() {
        List<TrialResult> rows = new ArrayList<>();
        // full: config 0 validates better, config 1 tests better -> config 0
        rows.add(ok(0, "full", "full", 0.90, 0.60, 0.70));
        rows.add(ok(0, "full", "full", 0.80, 0.62, 0.72));
        rows.add(ok(1, "full", "full", 0.70, 0.90, 0.95));
        rows.add(ok(1, "full", "full", 0.72, 0.92, 0.96));
        // llrd: config 2 has the best validation of all but a failed seed -> config 3
        rows.add(ok(2, "llrd", "llrd", 0.99, 0.99, 0.99));
        rows.add(failed(2, "llrd", "llrd"));
        rows.add(ok(3, "llrd", "llrd", 0.60, 0.50, 0.55));
        rows.add(ok(3, "llrd", "llrd", 0.64, 0.54, 0.59));
        // two MetaLR arms; one never completes
        rows.add(ok(4, "paper", "metalr", 0.88, 0.70, 0.80));
        rows.add(ok(4, "paper", "metalr", 0.86, 0.74, 0.84));
        rows.add(failed(5, "broken", "metalr"));

        Comparison c = Comparison.of(rows, "auc");
        assertEquals(0, c.best().get("full").config());
        assertEquals(3, c.best().get("llrd").config());
        assertEquals(4, c.best().get("paper").config());
        assertTrue(c.best().containsKey("broken"));
        assertNull(c.best().get("broken"));
        assertEquals(0, c.baseline().config(), "full (val 0.85) beats llrd (val 0.62)");

        Comparison.ConfigSummary full = c.configurations().get(0);
        assertEquals(0.85, full.valAuc().mean(), 1e-12);
        assertEquals(Math.sqrt((0.05 * 0.05 * 2) / 1), full.valAuc().sd(), 1e-12);
        assertEquals(0.61, full.testAccuracy().mean(), 1e-12);
        Comparison.ConfigSummary withFailure = c.configurations().get(2);
        assertEquals(1, withFailure.failed());
        assertEquals(1, withFailure.testAuc().n());
        assertEquals(0.0, withFailure.testAuc().sd());

        assertEquals(1, c.differences().size());
        assertEquals(0.72 - 0.61, c.differences().get(0).testAccuracy(), 1e-12);
        assertEquals(0.82 - 0.71, c.differences().get(0).testAuc(), 1e-12);
        String md = c.markdown();
        assertTrue(md.contains("| paper | 4 | c4 | 0.720 ± 0.028 | +0.110 |"), md);
        assertTrue(md.contains("diverged: x"), md);
    }

    @Test
    void lossIsSelectedLowestFirst() {
        List<TrialResult> rows = List.of(
                new TrialResult(0, 0, "", "full", "a", 0L, null, TrialResult.OK, null, 0.5, 0.5, 2.0, 0.5, 0.5, 1.0, 0, 1L, "", 1.0, 0, 1, ""),
                new TrialResult(1, 1, "", "full", "b", 0L, null, TrialResult.OK, null, 0.5, 0.5, 1.0, 0.5, 0.5, 1.0, 0, 1L, "", 1.0, 0, 1, ""));
        assertEquals(1, Comparison.of(rows, "loss").best().get("full").config());
        assertEquals(0, Comparison.of(rows, "auc").best().get("full").config(), "a tie keeps the first configuration");
    }
}
