package io.metalr.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;

import io.metalr.config.JobConfig;
import io.metalr.data.ImageSet;
import io.metalr.data.SyntheticImages;
import io.metalr.train.RunSetup;
import io.metalr.train.Trainer;

import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A replica whose update fails partway (an out-of-memory error between two tensors, say) does not
 * drift: Spark's retry of the task ({@code local[2,3]}: three attempts, in the same JVM, so on the
 * same replica cache) ends the run with the undisturbed run's weights and learning rates, bitwise.
 * The injected failures land in both kinds of in-place change: round two's direction (the
 * optimizer's moments) and round one's update (the weights). Without dropping the failed replica
 * the retry applies them again on top, and the learning rates and weights differ.
 */
class ReplicaFailureTest {

    private static final JobConfig CFG = JobConfig.of(ConfigFactory.parseString(String.join("\n",
            "model.name = small_resnet", "strategy = metalr", "train.epochs = 1", "train.batch_size = 8",
            "train.select_metric = loss", "train.log_every = 0", "meta.hold_head_epochs = 0", "meta.hyper_lr = 5",
            "meta.every = 2", "data.augment.enabled = false", "device = cpu")));

    @Test
    void aRetriedUpdateAfterAFailurePartwayEndsWithTheUndisturbedWeights() {
        SparkSession spark = io.metalr.TestSpark.replacing("local[2,3]", "metalr-replica-failure");
        try {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            Trainer.Outcome undisturbed = run(sc);
            // fail each of a few updates on the executors once, partway (calls 0, 1, ... are the
            // tensors of the first replica updates; the driver's own update is not a task's)
            int[] failAt = {30, 75, 130};
            AtomicInteger calls = new AtomicInteger();
            AtomicInteger failed = new AtomicInteger();
            ModelState.betweenTensors = () -> {
                if (TaskContext.get() == null) {
                    return;
                }
                int n = calls.getAndIncrement();
                for (int f : failAt) {
                    if (n == f) {
                        failed.incrementAndGet();
                        throw new IllegalStateException("injected failure partway through a replica's update (call " + n + ")");
                    }
                }
            };
            Trainer.Outcome disturbed;
            try {
                disturbed = run(sc);
            } finally {
                ModelState.betweenTensors = null;
            }
            assertEquals(failAt.length, failed.get(), "every injected failure fired (" + calls.get() + " calls)");
            assertEquals(undisturbed.steps(), disturbed.steps());
            assertArrayEquals(undisturbed.finalLr(), disturbed.finalLr(), "learning rates, bitwise");
            undisturbed.bestWeights().forEach((name, w) -> assertArrayEquals(w, disturbed.bestWeights().get(name), name + ", bitwise"));
        } finally {
            io.metalr.TestSpark.stop(spark); // the next test class gets the shared local[2] session again
        }
    }

    private static Trainer.Outcome run(JavaSparkContext sc) {
        RunSetup setup = RunSetup.from(CFG, 1, 3);
        ImageSet train = SyntheticImages.generate("blobs", 3, 2 * 8 * 6, 1, 12, 5);
        ImageSet val = SyntheticImages.generate("blobs", 3, 30, 1, 12, 6);
        Trainer.Outcome out = new DistributedTrainer(CFG, setup, MetaMode.GLOBAL, 2, s -> { }).fit(sc, train, val, null, null);
        assertTrue(out.steps() >= 6, "steps: " + out.steps());
        return out;
    }
}
