package io.metalr.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;

import io.metalr.TestSpark;
import io.metalr.config.JobConfig;
import io.metalr.data.ImageSet;
import io.metalr.data.SyntheticImages;
import io.metalr.train.RunSetup;
import io.metalr.train.Trainer;

import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.util.Map;

/**
 * MetaLR on a real standalone cluster (Master, Worker, two executor JVMs on 127.0.0.1): it ends
 * with the weights of the same run on local[2], and an executor killed mid-run changes nothing.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterRunTest {

    private static final JobConfig CFG = JobConfig.of(ConfigFactory.parseString(String.join("\n",
            "model.name = small_resnet", "strategy = metalr", "train.epochs = 1", "train.batch_size = 8",
            "train.select_metric = loss", "train.log_every = 0", "meta.hold_head_epochs = 0", "meta.hyper_lr = 5",
            "device = cpu")));
    private static Trainer.Outcome onLocal;
    private static StandaloneCluster cluster;

    @BeforeAll
    static void localRunThenCluster() {
        onLocal = run(TestSpark.context(), null);
        cluster = StandaloneCluster.start();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static Trainer.Outcome run(JavaSparkContext sc, Runnable atStep3) {
        RunSetup setup = RunSetup.from(CFG, 1, 3);
        ImageSet train = SyntheticImages.generate("blobs", 3, 2 * 8 * 8, 1, 12, 5);
        ImageSet val = SyntheticImages.generate("blobs", 3, 30, 1, 12, 6);
        return new DistributedTrainer(CFG, setup, MetaMode.GLOBAL, 2, s -> { }).fit(sc, train, val, null, step -> {
            if (atStep3 != null && step.report().step() == 3) {
                atStep3.run();
            }
        });
    }

    private static JavaSparkContext clusterContext(String app) {
        return JavaSparkContext.fromSparkContext(cluster.session(app, Map.of()).sparkContext());
    }

    @Test
    @Order(1)
    void endsWithTheWeightsOfTheLocalRun() {
        Trainer.Outcome onCluster = run(clusterContext("metalr-cluster-run"), null);
        assertSame(onLocal, onCluster);
    }

    @Test
    @Order(2)
    void anExecutorKilledMidRunChangesNothing() {
        JavaSparkContext sc = clusterContext("metalr-cluster-fault");
        long[] killed = {0};
        Trainer.Outcome disturbed = run(sc, () -> {
            String victim = cluster.executorPids().keySet().iterator().next();
            killed[0] = cluster.killExecutor(victim);
        });
        assertTrue(killed[0] > 0, "an executor JVM was killed");
        assertSame(onLocal, disturbed);
        // the restarted stage's tasks released their replicas, on the replaced executor as on the other
        Map<String, Integer> live = new java.util.TreeMap<>(EveryExecutor.call(sc, ShardReplica::live));
        live.remove("driver");
        assertEquals(2, live.size(), "both executors answered: " + live);
        live.forEach((executor, n) -> assertEquals(0, n, "replicas left on executor " + executor + ": " + live));
    }

    /** Same rates and weights, within 1e-6 of each tensor's scale (bitwise where the threads agree). */
    private static void assertSame(Trainer.Outcome expected, Trainer.Outcome actual) {
        assertEquals(expected.steps(), actual.steps());
        for (int j = 0; j < expected.finalLr().length; j++) {
            double rel = Math.abs(expected.finalLr()[j] - actual.finalLr()[j]) / expected.finalLr()[j];
            assertTrue(rel <= 1e-6, "group " + j + ": " + expected.finalLr()[j] + " vs " + actual.finalLr()[j]);
        }
        expected.bestWeights().forEach((name, v) -> {
            float[] w = actual.bestWeights().get(name);
            double maxErr = 0, maxAbs = 0;
            for (int i = 0; i < v.length; i++) {
                maxErr = Math.max(maxErr, Math.abs(v[i] - w[i]));
                maxAbs = Math.max(maxAbs, Math.abs(v[i]));
            }
            assertTrue(maxErr <= 1e-6 * Math.max(maxAbs, 1e-6), name + ": max-abs error " + maxErr + " over " + maxAbs);
        });
    }
}
