package io.metalr.train.fit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.typesafe.config.ConfigFactory;

import io.metalr.config.JobConfig;
import io.metalr.data.ImageSet;
import io.metalr.data.MetaHoldout;
import io.metalr.data.MetaHoldoutTest;
import io.metalr.train.RunSetup;
import io.metalr.train.Trainer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * meta.source = holdout in one process: the gradient batches come only from the rest of the
 * training set, the meta batches only from the hold-out, the same hold-out for every trial seed.
 */
class InProcessHoldoutTest {

    // every image has a patient id, so a batch's images are told apart by their patients
    private static final ImageSet TRAIN = MetaHoldoutTest.withPatients(60, 0, 4);
    private static final ImageSet VAL = MetaHoldoutTest.withPatients(15, 0, 5);

    private static JobConfig config(String source, long seed, String... more) {
        List<String> lines = new ArrayList<>(List.of("device = cpu", "model.name = small_resnet", "strategy = metalr",
                "train.epochs = 2", "train.batch_size = 8", "meta.batch_size = 8", "train.log_every = 0",
                "train.select_metric = loss", "meta.hold_head_epochs = 0", "meta.source = " + source,
                "meta.holdout_fraction = 0.25", "train.seed = " + seed, "model.init_seed = " + seed));
        lines.addAll(List.of(more));
        return JobConfig.of(ConfigFactory.parseString(String.join("\n", lines)));
    }

    private static InProcessEngine engine(JobConfig cfg) {
        return new InProcessEngine(cfg, RunSetup.from(cfg, 1, 3), Device.cpu(), TRAIN, VAL, null);
    }

    @Test
    void gradientBatchesNeverTouchTheHoldoutAndMetaBatchesComeOnlyFromIt() {
        JobConfig cfg = config("holdout", 1);
        double[] lr = RunSetup.from(cfg, 1, 3).plan().initialLr();
        try (InProcessEngine engine = engine(cfg); InProcessEngine otherSeed = engine(config("holdout", 2))) {
            MetaHoldout h = engine.holdout();
            assertNotNull(h);
            Set<String> held = new HashSet<>();
            for (int i : h.holdoutIndices()) {
                held.add(TRAIN.patientIds()[i]);
            }
            assertEquals((h.rest().size() + 7) / 8, engine.stepsPerEpoch(), "an epoch is the rest's, not the train set's");
            assertTrue(engine.stepsPerEpoch() < (TRAIN.size() + 7) / 8);
            long step = 0;
            int trained = 0;
            for (int epoch = 0; epoch < 2; epoch++) {
                for (int s = 0; s < engine.stepsPerEpoch(); s++, step++) {
                    InProcessEngine.Draw d = engine.draw(new StepEngine.StepRequest(epoch, s, step, lr, true));
                    String[] trainIds = d.train().patientIds();
                    for (int i : d.trainIndices()) {
                        assertFalse(held.contains(trainIds[i]), "step " + step + " trains on held-out " + trainIds[i]);
                    }
                    trained += d.trainIndices().length;
                    assertNotNull(d.meta(), "step " + step + " has a meta batch");
                    String[] metaIds = d.meta().patientIds();
                    assertEquals(8, d.metaIndices().length);
                    for (int i : d.metaIndices()) {
                        assertTrue(held.contains(metaIds[i]), "step " + step + " meta-learns on " + metaIds[i] + ", not held out");
                    }
                }
            }
            assertEquals(2 * h.rest().size(), trained, "every image of the rest trains once an epoch");
            assertArrayEquals(h.holdoutIndices(), otherSeed.holdout().holdoutIndices(), "another train.seed, the same cut");
        }
        try (InProcessEngine plain = engine(config("train", 1))) {
            assertNull(plain.holdout());
            assertEquals((TRAIN.size() + 7) / 8, plain.stepsPerEpoch());
        }
    }

    private static Trainer.Outcome run(JobConfig cfg, List<String> log) {
        RunSetup setup = RunSetup.from(cfg, 1, 3);
        try (InProcessEngine engine = engine(cfg)) {
            return new FitLoop(cfg, setup, engine, List.of(), null, null, log::add).run();
        }
    }

    @Test
    void aShortRunSaysWhatItHeldOutAndDiffersFromMetaSourceTrain() {
        List<String> log = new ArrayList<>();
        Trainer.Outcome held = run(config("holdout", 1, "train.max_steps = 4"), log);
        MetaHoldout h = MetaHoldout.cut(TRAIN, 0.25, 0);
        String said = "meta hold-out: " + h.holdout().size() + " images (" + h.patients() + " patients) carved from train (";
        assertTrue(!log.isEmpty() && log.get(0).startsWith(said), "the run's first line should start '" + said + "': " + log);
        assertEquals(4, held.steps());
        List<String> plainLog = new ArrayList<>();
        Trainer.Outcome plain = run(config("train", 1, "train.max_steps = 4"), plainLog);
        assertTrue(plainLog.stream().noneMatch(l -> l.startsWith("meta hold-out")), String.valueOf(plainLog));
        assertFalse(Arrays.equals(held.finalLr(), plain.finalLr()), "other meta batches move the rates elsewhere: "
                + Arrays.toString(held.finalLr()));
    }
}
