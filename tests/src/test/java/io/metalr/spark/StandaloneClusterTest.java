package io.metalr.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.metalr.model.Models;
import io.metalr.nn.Network;
import io.metalr.nn.Weights;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A real standalone cluster (Master, Worker, two executor JVMs) on 127.0.0.1: tasks land on two
 * distinct executors, DJL runs there bitwise as in the driver, and a killed executor's task is
 * retried on a replacement executor with the same answer.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class StandaloneClusterTest {

    private static StandaloneCluster cluster;
    private static Expected expected;

    @RegisterExtension
    static final TestWatcher LOGS_ON_FAILURE = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (cluster != null) {
                cluster.printLogTails(System.err);
            }
        }
    };

    @BeforeAll
    static void start() {
        // the driver's reference first: it also unpacks libtorch into DJL's cache before executors race for it
        expected = new Expected(Tasks.forward(true), Tasks.forward(false));
        long t0 = System.nanoTime();
        cluster = StandaloneCluster.start();
        System.err.printf("standalone cluster up in %.1f s at %s%n", (System.nanoTime() - t0) / 1e9, cluster.masterUrl());
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            List<Long> pids = new ArrayList<>(List.of(cluster.masterPid(), cluster.workerPid()));
            pids.addAll(cluster.executorPids().values());
            Path root = cluster.root();
            cluster.close();
            cluster = null;
            for (long pid : pids) {
                assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid + " survived close()");
            }
            assertTrue(StandaloneCluster.keepFiles() || !Files.exists(root), root + " survived close()");
        }
    }

    @Test
    void tasksRunDjlOnTwoExecutorJvms() throws Exception {
        long t0 = System.nanoTime();
        SparkSession spark = cluster.session("standalone-smoke", Map.of());
        System.err.printf("session with 2 executors in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        Map<String, Long> executors = cluster.executorPids();
        assertEquals(2, executors.size(), "executor JVMs under the worker: " + executors);
        assertEquals(executors.keySet(), cluster.registeredExecutors().keySet());

        Path marks = Files.createDirectories(cluster.root().resolve("marks-smoke"));
        JavaFutureAction<List<Probe>> job = Tasks.probes(spark, marks).collectAsync();
        // both first attempts running at once: with one core each they are on two executors
        awaitFile(marks.resolve("p0-a0"), 60);
        awaitFile(marks.resolve("p1-a0"), 60);
        Files.createFile(marks.resolve("release"));
        List<Probe> probes = sorted(job.get(60, TimeUnit.SECONDS));

        assertEquals(2, probes.size());
        long me = ProcessHandle.current().pid();
        Set<String> ids = new HashSet<>();
        Set<Long> pids = new HashSet<>();
        for (Probe p : probes) {
            assertEquals(0, p.attempt());
            assertNotEquals("driver", p.executorId());
            assertNotEquals(me, p.pid(), "a task ran in the test JVM");
            assertEquals(executors.get(p.executorId()), p.pid(), "task pid vs the worker's child " + executors);
            ids.add(p.executorId());
            pids.add(p.pid());
            expected.check(p);
        }
        assertEquals(2, ids.size(), "two distinct executors: " + probes);
        assertEquals(2, pids.size(), "two distinct JVMs: " + probes);
        System.err.printf("smoke test in %.1f s: %s%n", (System.nanoTime() - t0) / 1e9, probes);
    }

    @Test
    void aKilledExecutorsTaskIsRetriedOnANewExecutor() throws Exception {
        long t0 = System.nanoTime();
        SparkSession spark = cluster.session("standalone-kill", Map.of());
        System.err.printf("session with 2 executors in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        Map<String, Long> before = cluster.executorPids();
        assertEquals(2, before.size(), "executor JVMs under the worker: " + before);

        Path marks = Files.createDirectories(cluster.root().resolve("marks-kill"));
        JavaFutureAction<List<Probe>> job = Tasks.probes(spark, marks).collectAsync();
        awaitFile(marks.resolve("p0-a0"), 60);
        String[] victim = awaitFile(marks.resolve("p1-a0"), 60).split(" ");
        // partition 0 keeps its executor busy, so partition 1 can only be retried on a new one
        assertEquals(before.get(victim[0]), Long.valueOf(victim[1]), "task pid vs the worker's child " + before);
        long killed = cluster.killExecutor(victim[0]);
        System.err.printf("killed executor %s (pid %d) at %.1f s%n", victim[0], killed, (System.nanoTime() - t0) / 1e9);

        String[] retry = awaitFile(marks.resolve("p1-a1"), 90).split(" ");
        Files.createFile(marks.resolve("release"));
        List<Probe> probes = sorted(job.get(60, TimeUnit.SECONDS));

        assertEquals(2, probes.size());
        Probe survivor = probes.get(0);
        Probe retried = probes.get(1);
        assertEquals(0, survivor.attempt());
        assertNotEquals(victim[0], survivor.executorId());
        assertEquals(1, retried.attempt(), "partition 1's result comes from its retry: " + probes);
        assertEquals(retry[0], retried.executorId());
        assertFalse(before.containsKey(retried.executorId()), "retried on a new executor: " + probes + " vs " + before);
        assertNotEquals(killed, retried.pid());
        assertFalse(ProcessHandle.of(killed).map(ProcessHandle::isAlive).orElse(false));
        assertEquals(cluster.executorPids().get(retried.executorId()), retried.pid(),
                "the replacement is the worker's child: " + cluster.executorPids());
        assertNotEquals(ProcessHandle.current().pid(), retried.pid());
        probes.forEach(expected::check);
        System.err.printf("fault test in %.1f s: %s%n", (System.nanoTime() - t0) / 1e9, probes);
    }

    // ---------------------------------------------------------------- helpers (driver side)

    private static List<Probe> sorted(List<Probe> probes) {
        List<Probe> out = new ArrayList<>(probes);
        out.sort(Comparator.comparingInt(Probe::partition));
        return out;
    }

    /** Waits for a marker file and returns its content. */
    private static String awaitFile(Path file, int seconds) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!Files.exists(file)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + file.getFileName() + " within " + seconds + " s; markers: "
                        + listing(file.getParent()) + "; executors: " + cluster.executorPids());
            }
            Thread.sleep(50);
        }
        return Files.readString(file).trim();
    }

    private static List<String> listing(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** What one task reports. */
    record Probe(int partition, int attempt, String executorId, long pid, float zeroSum, float[] logits, float sum)
            implements Serializable {
        @Override
        public String toString() {
            return "p" + partition + "/a" + attempt + " on executor " + executorId + " (pid " + pid + ")";
        }
    }

    /** One forward pass: the logits and their sum. */
    record Forward(float[] logits, float sum) {}

    /** The driver JVM's answer. */
    record Expected(Forward zero, Forward fixed) {
        void check(Probe p) {
            assertEquals(Float.floatToRawIntBits(zero.sum()), Float.floatToRawIntBits(p.zeroSum()),
                    "sum of the logits of a zero batch, driver " + zero.sum() + " vs " + p + " " + p.zeroSum());
            assertArrayEquals(bits(fixed.logits()), bits(p.logits()), "logits of a fixed batch, driver vs " + p);
            assertEquals(Float.floatToRawIntBits(fixed.sum()), Float.floatToRawIntBits(p.sum()),
                    "sum of the logits of a fixed batch, driver " + fixed.sum() + " vs " + p + " " + p.sum());
            assertTrue(Float.isFinite(p.sum()) && p.sum() != 0f, "a real number: " + p.sum());
        }

        private static int[] bits(float[] v) {
            int[] out = new int[v.length];
            for (int i = 0; i < v.length; i++) {
                out[i] = Float.floatToRawIntBits(v[i]);
            }
            return out;
        }
    }

    /**
     * What runs on executors. Its own class, so that deserializing a task's lambda initializes this
     * class only, never the JUnit test class.
     */
    static final class Tasks {
        private Tasks() {}

        static final Shape BATCH = new Shape(2, 1, 28, 28);

        /** Two partitions; each reports where it ran and DJL's answer. */
        static JavaRDD<Probe> probes(SparkSession spark, Path marks) {
            String dir = marks.toString();
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            return jsc.parallelize(List.of(0, 1), 2).mapPartitions(it -> List.of(probe(dir)).iterator());
        }

        /**
         * Writes marker {@code p<partition>-a<attempt>} ("executorId pid"), computes, and (first attempts
         * only) waits until the driver writes {@code release}: both first attempts are running at once.
         */
        static Probe probe(String dir) throws Exception {
            TaskContext tc = TaskContext.get();
            String executorId = SparkEnv.get().executorId();
            long pid = ProcessHandle.current().pid();
            Forward zero = forward(true);
            Forward fixed = forward(false);
            Path marker = Paths.get(dir, "p" + tc.partitionId() + "-a" + tc.attemptNumber());
            Path tmp = Paths.get(dir, "." + marker.getFileName() + ".tmp");
            Files.writeString(tmp, executorId + " " + pid, StandardCharsets.UTF_8);
            Files.move(tmp, marker, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            if (tc.attemptNumber() == 0) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
                while (!Files.exists(Paths.get(dir, "release")) && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
            }
            return new Probe(tc.partitionId(), tc.attemptNumber(), executorId, pid, zero.sum(), fixed.logits(), fixed.sum());
        }

        /**
         * small_resnet, 1 channel, 4 classes, seed-1 weights: eval-mode logits of a zero or a fixed
         * batch, and their sum as libtorch computes it.
         */
        static Forward forward(boolean zeros) {
            Network net = Models.create("small_resnet", 1, 4);
            try (Weights weights = Weights.initialize(net, 1, Device.cpu());
                    NDManager m = NDManager.newBaseManager(Device.cpu())) {
                NDArray x;
                if (zeros) {
                    x = m.zeros(BATCH);
                } else {
                    float[] v = new float[(int) BATCH.size()];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) Math.sin(0.37 * i);
                    }
                    x = m.create(v, BATCH);
                }
                NDArray y = net.forward(weights.lookup(), x, false);
                return new Forward(y.toFloatArray(), y.sum().getFloat());
            }
        }
    }
}
