package io.metalr.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code submit/standalone.sh} as a user runs it: spark-submit (here Spark's SparkSubmit from the
 * Maven jars, as the script does without a Spark distribution) sends a distributed MetaLR training
 * to a real standalone cluster; the executors get the job's jars through --jars, and the run
 * directory is complete. Needs the job module packaged (the reactor did it before this module).
 */
class SubmitScriptTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void standaloneScriptTrainsOnTheCluster(@TempDir Path tmp) throws Exception {
        Path runDir = tmp.resolve("run");
        Path log = tmp.resolve("submit.log");
        try (StandaloneCluster cluster = StandaloneCluster.start()) {
            ProcessBuilder pb = new ProcessBuilder("bash", ROOT.resolve("submit/standalone.sh").toString(), "train",
                    "--set", "data.format=synthetic", "--set", "data.synthetic.train=64", "--set", "data.synthetic.val=32",
                    "--set", "data.synthetic.test=32", "--set", "data.synthetic.size=12",
                    "--set", "model.name=reference_cnn", "--set", "train.epochs=1", "--set", "train.batch_size=8",
                    "--set", "train.log_every=0", "--set", "device=cpu", "--set", "distributed.shards=2",
                    "--set", "run.dir=" + runDir)
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            Map<String, String> env = pb.environment();
            env.remove("SPARK_HOME");
            env.put("PATH", "/usr/bin:/bin"); // no spark-submit on PATH: the script's Maven-jar fallback
            env.put("METALR_NO_BUILD", "1");
            env.put("METALR_GPU", "0");
            env.put("SPARK_MASTER_URL", cluster.masterUrl());
            env.put("METALR_SUBMIT_OPTS", String.join(" ", List.of("--conf", "spark.driver.host=127.0.0.1",
                    "--conf", "spark.driver.bindAddress=127.0.0.1", "--conf", "spark.ui.enabled=false",
                    "--executor-cores", "1", "--total-executor-cores", "2", "--executor-memory", "1g")));
            Process p = pb.start();
            boolean done = p.waitFor(5, TimeUnit.MINUTES);
            String out = Files.readString(log, StandardCharsets.UTF_8);
            if (!done) {
                p.destroyForcibly();
            }
            assertTrue(done, "spark-submit did not finish in 5 minutes:\n" + tail(out));
            assertEquals(0, p.exitValue(), "spark-submit failed:\n" + tail(out));
            assertTrue(out.contains("SparkSubmit") || out.contains("selected epoch"), tail(out));
        }
        assertTrue(Files.exists(runDir.resolve("_SUCCESS")), "no _SUCCESS in " + runDir);
        JsonNode summary = new ObjectMapper().readTree(runDir.resolve("summary.json").toFile());
        assertTrue(summary.path("test").path("accuracy").isNumber(), summary.toString());
        assertEquals(4, summary.path("steps").asInt(), "2 shards of 32 images in batches of 8: 4 steps; " + summary);
    }

    private static String tail(String s) {
        return s.length() > 6000 ? s.substring(s.length() - 6000) : s;
    }
}
