package io.metalr.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;

import io.metalr.config.JobConfig;
import io.metalr.data.ImageSet;
import io.metalr.data.SyntheticImages;
import io.metalr.train.RunSetup;
import io.metalr.train.Trainer;

import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.BlockManagerId;
import org.apache.spark.storage.BlockManagerMaster;
import org.apache.spark.storage.RDDBlockId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import scala.Tuple2;
import scala.jdk.javaapi.CollectionConverters;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * On a standalone cluster (two executors of one core), a replica left on an executor that lost
 * its shard's partition is released when the run ends. The partition is made to move: at step 2
 * its cached block is removed while its executor A is busy with another job, so the next round
 * computes it on executor B, which then holds both partitions (and a new replica of that shard);
 * A holds no partition but keeps the shard's old replica. Once the run ended, every executor
 * answers that it holds no replica.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ReplicaReleaseTest {

    private static final JobConfig CFG = JobConfig.of(ConfigFactory.parseString(String.join("\n",
            "model.name = small_resnet", "strategy = metalr", "train.epochs = 1", "train.batch_size = 8",
            "train.select_metric = loss", "train.log_every = 0", "meta.hold_head_epochs = 0", "device = cpu")));

    @Test
    void noReplicaOutlivesItsRunOnAnyExecutor() {
        try (StandaloneCluster cluster = StandaloneCluster.start()) {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(cluster.session("metalr-replica-release", Map.of()).sparkContext());
            AtomicReference<Map<String, Integer>> midRun = new AtomicReference<>();
            String[] moved = new String[2];
            RunSetup setup = RunSetup.from(CFG, 1, 3);
            ImageSet train = SyntheticImages.generate("blobs", 3, 2 * 8 * 5, 1, 12, 5);
            ImageSet val = SyntheticImages.generate("blobs", 3, 30, 1, 12, 6);
            java.nio.file.Path signals = cluster.root().resolve("replica-release-signals");
            Trainer.Outcome out = new DistributedTrainer(CFG, setup, MetaMode.GLOBAL, 2, s -> { }).fit(sc, train, val, null, step -> {
                if (step.report().step() == 2) {
                    moved[0] = movePartitionZero(sc, signals);
                } else if (step.report().step() == 3) {
                    touch(signals.resolve("release")); // step 3 ran shard 0 elsewhere: the busy executor may go
                } else if (step.report().step() == 4) {
                    moved[1] = holder(sc, 0);
                    midRun.set(replicasPerExecutor(sc));
                }
            });
            assertEquals(5, out.steps());

            assertNotEquals(moved[0], moved[1], "shard 0's partition moved off executor " + moved[0]);
            assertEquals(1, midRun.get().get(moved[0]), "mid-run, the executor that lost shard 0 still holds its replica: "
                    + midRun.get());
            assertEquals(2, midRun.get().get(moved[1]), "and the other holds both shards' replicas: " + midRun.get());

            Map<String, Integer> after = replicasPerExecutor(sc);
            assertEquals(new TreeSet<>(cluster.registeredExecutors().keySet()), new TreeSet<>(after.keySet()),
                    "every executor answered");
            after.forEach((executor, n) -> assertEquals(0, n, "replicas left on executor " + executor + ": " + after));
        }
    }

    /**
     * Keeps the executor holding shard 0's cached partition busy with a job of its own (until
     * {@code signals/release} exists), removes the block, and returns that executor's id: the next
     * round runs shard 0 on the other one. The busy task says it started by a file, not through
     * Spark's listener bus, which may lag on a loaded machine.
     */
    private static String movePartitionZero(JavaSparkContext sc, java.nio.file.Path signals) {
        String from = holder(sc, 0);
        assertNotEquals(from, holder(sc, 1), "the shards start on different executors");
        BlockManagerId where = CollectionConverters.asJava(master().getLocations(block(sc, 0))).get(0);
        scala.collection.immutable.Seq<String> onFrom = CollectionConverters.asScala(List.of("executor_" + where.host() + "_" + from)).toList();
        scala.collection.immutable.Seq<Tuple2<Integer, scala.collection.immutable.Seq<String>>> task =
                CollectionConverters.asScala(List.of(new Tuple2<>(1, onFrom))).toList();
        scala.reflect.ClassTag<Integer> tag = scala.reflect.ClassTag$.MODULE$.apply(Integer.class);
        JavaRDD<Integer> busy = sc.sc().makeRDD(task, tag).toJavaRDD(); // prefers that executor, which is idle
        String dir = signals.toString();
        Thread blocker = new Thread(() -> busy.foreach(i -> {
            touch(java.nio.file.Path.of(dir, "started"));
            long end = System.nanoTime() + 180_000_000_000L;
            while (!java.nio.file.Files.exists(java.nio.file.Path.of(dir, "release")) && System.nanoTime() < end) {
                Thread.sleep(20);
            }
        }));
        blocker.setDaemon(true);
        blocker.start();
        long until = System.nanoTime() + 120_000_000_000L;
        while (!java.nio.file.Files.exists(signals.resolve("started"))) {
            assertTrue(System.nanoTime() < until, "the blocking task started");
            java.util.concurrent.locks.LockSupport.parkNanos(10_000_000);
        }
        master().removeBlock(block(sc, 0));
        while (!master().getLocations(block(sc, 0)).isEmpty()) { // the executor confirms the removal
            assertTrue(System.nanoTime() < until, "the block was removed");
            java.util.concurrent.locks.LockSupport.parkNanos(10_000_000);
        }
        return from;
    }

    private static void touch(java.nio.file.Path file) {
        try {
            java.nio.file.Files.createDirectories(file.getParent());
            java.nio.file.Files.writeString(file, "");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The executor holding shard {@code p}'s cached partition. */
    private static String holder(JavaSparkContext sc, int p) {
        List<BlockManagerId> at = CollectionConverters.asJava(master().getLocations(block(sc, p)));
        assertEquals(1, at.size(), "shard " + p + "'s partition is cached once: " + at);
        return at.get(0).executorId();
    }

    private static RDDBlockId block(JavaSparkContext sc, int p) {
        int id = CollectionConverters.asJava(sc.sc().getPersistentRDDs()).entrySet().stream()
                .filter(e -> e.getValue().name() != null && e.getValue().name().startsWith("metalr shards of"))
                .mapToInt(e -> (Integer) e.getKey()).findFirst().orElseThrow();
        return new RDDBlockId(id, p);
    }

    private static BlockManagerMaster master() {
        return SparkEnv.get().blockManager().master();
    }

    /** Each executor's count of replicas, by executor id (the driver's left out). */
    private static Map<String, Integer> replicasPerExecutor(JavaSparkContext sc) {
        Map<String, Integer> out = new TreeMap<>(EveryExecutor.call(sc, ShardWorker::replicas));
        out.remove("driver");
        return out;
    }
}
