package io.metalr.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;

import io.metalr.TestImages;
import io.metalr.TestSpark;
import io.metalr.config.JobConfig;
import io.metalr.train.RunSetup;
import io.metalr.train.StepReport;
import io.metalr.train.Trainer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

/**
 * With {@code train.on_nan = skip}, a distributed run reports a skipped step to its listeners as
 * the single-process loop does: metrics.jsonl, lr.csv and the progress lines hold every step, the
 * skipped ones marked, not only those that trained.
 */
class DistributedNanSkipTest {

    private static final JobConfig CFG = JobConfig.of(ConfigFactory.parseString(String.join("\n",
            "model.name = small_resnet", "strategy = metalr", "train.epochs = 2", "train.batch_size = 8",
            "train.on_nan = skip", "train.log_every = 0", "meta.hold_head_epochs = 0")));

    @Test
    void aSkippedStepIsReportedAndMarked() {
        RunSetup setup = RunSetup.from(CFG, 1, 3);
        List<StepReport> reports = new ArrayList<>();
        Trainer.Outcome out = new DistributedTrainer(CFG, setup, MetaMode.GLOBAL, 2, s -> { })
                .fit(TestSpark.context(), TestImages.withNanImage("train", 80, 17, 1), TestImages.withNanImage("val", 30, -1, 2), null,
                        step -> reports.add(step.report()));

        assertTrue(out.skippedSteps() > 0, "the NaN image made a step's loss non-finite");
        assertEquals(out.steps(), reports.size(), "one report per step, skipped ones included");
        List<StepReport> skipped = reports.stream().filter(StepReport::skipped).toList();
        assertEquals(out.skippedSteps(), skipped.size());
        for (StepReport r : skipped) {
            assertTrue(Double.isNaN(r.trainLoss()), "step " + r.step() + " loss " + r.trainLoss());
            assertEquals(java.util.Arrays.toString(r.lrBefore()), java.util.Arrays.toString(r.lrAfter()),
                    "a skipped step leaves the rates as they were");
        }
        for (int i = 0; i < reports.size(); i++) {
            assertEquals(i, reports.get(i).step(), "steps in order, none missing");
        }
    }
}
