package io.metalr.spark;

import io.metalr.bench.LocalCluster;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.spark.sql.SparkSession;

/**
 * A real Spark standalone cluster for tests ({@link LocalCluster}, which says how it is built) on
 * the test JVM's classpath, with the tests' executors: {@value #EXECUTORS} of 1 core and 1g, DJL on
 * one thread each, C1 only, the malloc environment.
 */
public final class StandaloneCluster implements AutoCloseable {

    /** The flags spark-submit's launcher adds; every JVM that runs Spark outside spark-submit needs them. */
    public static final List<String> ADD_OPENS = LocalCluster.ADD_OPENS;

    /**
     * DJL flags for executors: nothing downloaded, one inter-op thread (as the project's djl.jvm.flags),
     * and one intra-op thread since each executor has one core (two executors on two cores).
     */
    public static final List<String> DJL_FLAGS = List.of(
            "-Dai.djl.offline=true",
            "-Dai.djl.pytorch.num_interop_threads=1",
            "-Dai.djl.pytorch.num_threads=1");

    /**
     * Test-only JVM flags for executors: C1 only. Executor JVMs start, run a few short tasks and
     * stop; on two cores C2's compile threads compete with everything else (measured: the two
     * tests of StandaloneClusterTest 36-45 s without, 28-29 s with).
     */
    public static final List<String> FAST_START_FLAGS = List.of("-XX:TieredStopAtLevel=1");

    /** glibc settings that keep libtorch's buffers mapped between passes (submit/malloc.env). */
    public static final Map<String, String> EXECUTOR_ENV = io.metalr.ci.NativeEnv.variables();

    public static final int EXECUTORS = 2;

    private final LocalCluster cluster;

    private StandaloneCluster(LocalCluster cluster) {
        this.cluster = cluster;
    }

    /** A cluster of one Worker with 2 cores and 4g, enough for {@value #EXECUTORS} executors of 1 core, 1g. */
    public static StandaloneCluster start() {
        return start(2, "4g");
    }

    public static StandaloneCluster start(int workerCores, String workerMemory) {
        List<String> options = new ArrayList<>(DJL_FLAGS);
        options.addAll(FAST_START_FLAGS);
        List<Path> classpath;
        try {
            classpath = testClasspath();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return new StandaloneCluster(LocalCluster.start(new LocalCluster.Settings(classpath, workerCores, workerMemory,
                EXECUTORS, "1g", options, EXECUTOR_ENV)));
    }

    /** The test classpath (Surefire's, its manifest-only booter jar expanded). */
    static List<Path> testClasspath() throws IOException {
        return LocalCluster.jvmClasspath();
    }

    public String masterUrl() {
        return cluster.masterUrl();
    }

    public String masterStatusUrl() {
        return cluster.masterStatusUrl();
    }

    public Path root() {
        return cluster.root();
    }

    public Path sparkHome() {
        return cluster.sparkHome();
    }

    public List<String> appJars() {
        return cluster.appJars();
    }

    public long masterPid() {
        return cluster.masterPid();
    }

    public long workerPid() {
        return cluster.workerPid();
    }

    public SparkSession session(String appName, Map<String, String> extraConf) {
        return cluster.session(appName, extraConf);
    }

    public Map<String, String> driverConf(String appName) {
        return cluster.driverConf(appName);
    }

    /** The add-opens, DJL and fast-start flags executors get. */
    public static String executorJavaOptions() {
        List<String> all = new ArrayList<>(ADD_OPENS);
        all.addAll(DJL_FLAGS);
        all.addAll(FAST_START_FLAGS);
        return String.join(" ", all);
    }

    public void awaitExecutors(int n, Duration timeout) {
        cluster.awaitExecutors(n, timeout);
    }

    public Map<String, String> registeredExecutors() {
        return cluster.registeredExecutors();
    }

    public SparkSession currentSession() {
        return cluster.currentSession();
    }

    public Map<String, Long> executorPids() {
        return cluster.executorPids();
    }

    public long killExecutor(String executorId) {
        return cluster.killExecutor(executorId);
    }

    public void printLogTails(PrintStream out) {
        cluster.printLogTails(out);
    }

    public void printLogTails(PrintStream out, int lines) {
        cluster.printLogTails(out, lines);
    }

    @Override
    public void close() {
        cluster.close();
    }

    public static boolean keepFiles() {
        return LocalCluster.keepFiles();
    }
}
