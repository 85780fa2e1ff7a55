package io.metalr.train.fit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.metalr.groups.LayerGroups;
import io.metalr.meta.GroupSums;
import io.metalr.meta.MetaLrSettings;
import io.metalr.model.Models;
import io.metalr.train.StrategyPlan;

import org.junit.jupiter.api.Test;

/** hd through the one place rates change: one global rate, the groups' dots summed, no meta loss needed. */
class LrControllerHdTest {

    private static final LayerGroups GROUPS = LayerGroups.auto(Models.create("small_resnet", 1, 3));

    private static LrController controller(double beta) {
        StrategyPlan plan = StrategyPlan.of("hd", GROUPS, new StrategyPlan.Options(1e-3, 0.1, 2, 0.8, beta));
        // meta.hyper_lr, update and hold_head_epochs are MetaLR's: hd must not use them
        MetaLrSettings meta = new MetaLrSettings(MetaLrSettings.Lookahead.DESCENT, MetaLrSettings.LrUpdate.MULTIPLICATIVE,
                MetaLrSettings.Direction.SGD, MetaLrSettings.Normalize.NONE, 0.5, 1e-6, 1e-2, 5, 1);
        return new LrController(meta, plan, GROUPS.headIndex(), false);
    }

    @Test
    void theGroupsDotsMoveOneSharedRate() {
        int d = GROUPS.size();
        LrController c = controller(1e-4);
        double[] dot = new double[d];
        for (int j = 0; j < d; j++) {
            dot[j] = j + 1; // sum d(d+1)/2
        }
        double sum = d * (d + 1) / 2.0;
        // no meta pass: the meta loss is NaN and must not count as divergence
        LrController.Update up = c.afterMetaPass(0, 1, Double.NaN, new GroupSums(dot, new double[d], new double[d]));
        double want = 1e-3 + 1e-4 * sum;
        for (int j = 0; j < d; j++) {
            assertEquals(want, c.rates()[j], 1e-15, "group " + j);
            assertEquals(-sum, up.hypergradient()[j], 1e-12, "group " + j);
        }
        // the next step starts from the moved rate, including the head (no hold)
        c.afterMetaPass(0, 2, Double.NaN, new GroupSums(new double[d], new double[d], new double[d]));
        assertEquals(want, c.rates()[GROUPS.headIndex()], 1e-15);
    }

    @Test
    void theFirstStepKeepsTheRate() {
        LrController c = controller(1e-4);
        LrController.Update up = c.afterMetaPass(0, 0, Double.NaN, null);
        assertEquals(0, up.hypergradient().length);
        double[] start = new double[GROUPS.size()];
        java.util.Arrays.fill(start, 1e-3);
        assertArrayEquals(start, c.rates(), 0.0);
    }
}
