package io.metalr.train.fit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.typesafe.config.ConfigFactory;

import io.metalr.config.JobConfig;
import io.metalr.data.ImageSet;
import io.metalr.data.SyntheticImages;
import io.metalr.report.MetricsLog;
import io.metalr.spark.MetaMode;
import io.metalr.spark.RunFingerprint;
import io.metalr.train.RunSetup;
import io.metalr.train.Trainer;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.List;

/**
 * An in-process run stopped at a step and resumed from its newest checkpoint ends bitwise as an
 * undisturbed run, and its metrics log holds every step of the whole run.
 */
class InProcessResumeTest {

    @TempDir
    Path dir;

    private static JobConfig config(String strategy) {
        return JobConfig.of(ConfigFactory.parseString(String.join("\n",
                "device = cpu", "model.name = small_resnet", "strategy = " + strategy, "train.epochs = 2", "train.batch_size = 8",
                "train.log_every = 0", "train.select_metric = loss", "meta.hold_head_epochs = 1", "meta.direction = optimizer",
                // hd (which keeps u_{t-1} across the restart): below meta.lr_upper, a beta that moves the rate visibly
                strategy.equals("hd") ? "train.lr = 0.005\nstrategy_options.hd_hyper_lr = 1e-5" : "")));
    }

    private JobConfig cfg;
    private static final ImageSet TRAIN = SyntheticImages.generate("blobs", 3, 44, 1, 12, 5);
    private static final ImageSet VAL = SyntheticImages.generate("blobs", 3, 30, 1, 12, 6);

    private Trainer.Outcome run(CheckpointPolicy checkpoints, MetricsLog metrics, long dieAtStep) {
        RunSetup setup = RunSetup.from(cfg, 1, 3);
        FitListener die = (r, t) -> {
            if (r.step() == dieAtStep) {
                throw new IllegalStateException("killed at step " + dieAtStep);
            }
        };
        try (InProcessEngine engine = new InProcessEngine(cfg, setup, Device.cpu(), TRAIN, VAL, null)) {
            return new FitLoop(cfg, setup, engine, List.of(die), checkpoints, metrics, s -> { }).run();
        }
    }

    private CheckpointPolicy checkpoints(boolean resume) {
        RunSetup setup = RunSetup.from(cfg, 1, 3);
        return new CheckpointPolicy(dir.toUri().toString(), 4, 2, resume,
                RunFingerprint.of(cfg, 0, MetaMode.GLOBAL, setup.initial(), TRAIN, VAL, null));
    }

    private static String lines(MetricsLog m) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        m.writeLrCsv(out);
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @ValueSource(strings = {"metalr", "hd"})
    void resumedRunEqualsAnUndisturbedOne(String strategy) throws Exception {
        cfg = config(strategy);
        MetricsLog whole = new MetricsLog(RunSetup.from(cfg, 1, 3).groups().names());
        Trainer.Outcome undisturbed = run(null, whole, -1);
        assertEquals(12, undisturbed.steps(), "ceil(44 / 8) = 6 steps an epoch");
        assertTrue(!java.util.Arrays.equals(undisturbed.finalLr(), RunSetup.from(cfg, 1, 3).plan().initialLr()),
                "the rates moved");
        // killed in epoch 0 after the checkpoint of step 4 (step index 5 fails), resumed mid-epoch
        assertThrows(IllegalStateException.class, () -> run(checkpoints(false), null, 5));
        MetricsLog log = new MetricsLog(RunSetup.from(cfg, 1, 3).groups().names());
        Trainer.Outcome resumed = run(checkpoints(true), log, -1);

        assertEquals(undisturbed.steps(), resumed.steps());
        assertArrayEquals(undisturbed.finalLr(), resumed.finalLr());
        assertEquals(undisturbed.bestEpoch(), resumed.bestEpoch());
        undisturbed.bestWeights().forEach((name, v) -> assertArrayEquals(v, resumed.bestWeights().get(name), name));
        assertEquals(undisturbed.epochs().size(), resumed.epochs().size());
        for (int e = 0; e < undisturbed.epochs().size(); e++) {
            assertEquals(undisturbed.epochs().get(e).val(), resumed.epochs().get(e).val(), "epoch " + e);
            assertEquals(undisturbed.epochs().get(e).trainLoss(), resumed.epochs().get(e).trainLoss(), "epoch " + e);
            assertEquals(undisturbed.epochs().get(e).trainAccuracy(), resumed.epochs().get(e).trainAccuracy(), "epoch " + e);
        }
        assertEquals(12, log.stepCount(), "the log holds the steps before the restart too");
        assertEquals(lines(whole), lines(log));
        for (int i = 0; i < 12; i++) {
            assertEquals(whole.trainLoss(i), log.trainLoss(i), "step " + i);
        }
    }
}
