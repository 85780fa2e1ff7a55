package io.metalr.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;

import io.metalr.TestSpark;
import io.metalr.config.JobConfig;
import io.metalr.data.ImageSet;
import io.metalr.data.SyntheticImages;
import io.metalr.train.RunSetup;
import io.metalr.train.Trainer;

import org.apache.spark.TaskContext;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Model replicas live exactly as long as the training stage's tasks: two while a 2-shard run
 * steps (the executors share this JVM on local[2]), none once it ended, and none after a run
 * whose stage kept failing until the driver gave up.
 */
class ReplicaReleaseTest {

    private static final String CFG = String.join("\n", "model.name = small_resnet", "strategy = metalr",
            "train.epochs = 1", "train.batch_size = 8", "train.select_metric = loss", "train.log_every = 0",
            "meta.hold_head_epochs = 0", "device = cpu");

    private static Trainer.Outcome run(String extra, List<Integer> liveAtSteps) {
        JobConfig cfg = JobConfig.of(ConfigFactory.parseString(extra).withFallback(ConfigFactory.parseString(CFG)));
        RunSetup setup = RunSetup.from(cfg, 1, 3);
        ImageSet train = SyntheticImages.generate("blobs", 3, 2 * 8 * 4, 1, 12, 5);
        ImageSet val = SyntheticImages.generate("blobs", 3, 30, 1, 12, 6);
        return new DistributedTrainer(cfg, setup, MetaMode.GLOBAL, 2, s -> { }).fit(TestSpark.context(), train, val, null,
                step -> liveAtSteps.add(ShardReplica.live()));
    }

    @Test
    void replicasLiveWhileTheRunStepsAndNotAfter() {
        List<Integer> live = new ArrayList<>();
        Trainer.Outcome out = run("", live);
        assertEquals(4, out.steps());
        assertEquals(List.of(2, 2, 2, 2), live, "one replica per shard at every step");
        assertEquals(0, ShardReplica.live(), "replicas left after the run");
    }

    @Test
    void aStageThatKeepsFailingReleasesItsReplicasAndNamesTheCause() {
        AtomicInteger failures = new AtomicInteger();
        ModelState.betweenTensors = () -> {
            if (TaskContext.get() != null) {
                failures.incrementAndGet();
                throw new IllegalStateException("injected: every replica update fails");
            }
        };
        IllegalStateException e;
        try {
            e = assertThrows(IllegalStateException.class, () -> run("distributed.stage_restarts = 1", new ArrayList<>()));
        } finally {
            ModelState.betweenTensors = null;
        }
        assertTrue(failures.get() >= 2, "the stage ran and failed twice: " + failures.get());
        assertTrue(e.getMessage().contains("failed 2 times") && e.getMessage().contains("distributed.stage_restarts = 1"),
                e.getMessage());
        assertTrue(causes(e).contains("injected: every replica update fails"), "the task's own error is named: " + causes(e));
        assertEquals(0, ShardReplica.live(), "replicas left after the failed run");
    }

    private static String causes(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            b.append(c.getMessage()).append(" / ");
        }
        return b.toString();
    }
}
