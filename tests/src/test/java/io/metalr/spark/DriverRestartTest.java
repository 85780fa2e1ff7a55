package io.metalr.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.model.WeightFiles;
import io.metalr.model.io.TensorData;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The driver process is killed mid-run on the standalone cluster and the run resumed with
 * {@code --resume}: its final model equals that of an undisturbed run, bitwise.
 */
class DriverRestartTest {

    private static StandaloneCluster cluster;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        cluster = StandaloneCluster.start();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** {@code metalr train} as its own driver JVM against the cluster. */
    private Process driver(Path runDir, String app, boolean resume) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(StandaloneCluster.ADD_OPENS);
        cmd.add("-Dai.djl.offline=true");
        cluster.driverConf(app).forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-cp");
        cmd.add(StandaloneCluster.testClasspath().stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator)));
        cmd.add("io.metalr.cli.Main");
        cmd.addAll(List.of("train", "--set", "model.name=small_resnet", "--set", "train.epochs=2",
                "--set", "train.batch_size=8", "--set", "train.log_every=0", "--set", "train.select_metric=loss",
                "--set", "train.checkpoint_every=2", "--set", "distributed.shards=2", "--set", "device=cpu",
                "--set", "data.synthetic.train=160", "--set", "data.synthetic.val=30", "--set", "data.synthetic.test=30",
                "--set", "data.synthetic.size=12", "--set", "run.dir=" + runDir));
        if (resume) {
            cmd.add("--resume");
        }
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve(app + ".log").toFile()).start();
    }

    private void finish(Process p, String app) throws Exception {
        boolean done = p.waitFor(3, TimeUnit.MINUTES);
        if (!done) {
            p.destroyForcibly();
        }
        assertTrue(done && p.exitValue() == 0, app + " failed:\n" + Files.readString(dir.resolve(app + ".log")));
    }

    @Test
    void killedDriverResumesToTheUndisturbedResult() throws Exception {
        Path undisturbed = dir.resolve("undisturbed");
        finish(driver(undisturbed, "undisturbed", false), "undisturbed");

        Path restarted = dir.resolve("restarted");
        Process first = driver(restarted, "first", false);
        Path checkpoint = restarted.resolve("checkpoints").resolve("step-000000006");
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (!Files.isDirectory(checkpoint) && first.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(first.isAlive(), "the first driver ended before it could be killed:\n"
                + Files.readString(dir.resolve("first.log")));
        first.destroyForcibly().waitFor();
        assertTrue(!Files.exists(restarted.resolve("_SUCCESS")) && !Files.exists(restarted.resolve("summary.json")),
                "the killed run did not finish");
        finish(driver(restarted, "resumed", true), "resumed");
        assertTrue(Files.readString(dir.resolve("resumed.log")).contains("resumed from the checkpoint of step"),
                Files.readString(dir.resolve("resumed.log")));

        Map<String, TensorData> expected = weights(undisturbed);
        Map<String, TensorData> actual = weights(restarted);
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((name, t) -> assertArrayEquals(t.floats(), actual.get(name).floats(), name));
    }

    private static Map<String, TensorData> weights(Path runDir) throws Exception {
        Path file = runDir.resolve("model").resolve("weights.ndlist");
        try (InputStream in = Files.newInputStream(file)) {
            return WeightFiles.read(in, file.toString());
        }
    }
}
