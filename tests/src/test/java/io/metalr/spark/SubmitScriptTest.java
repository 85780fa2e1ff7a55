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

    /** YARN and Kubernetes are not here: their scripts are checked as far as the command they build. */
    @Test
    void yarnAndKubernetesScriptsBuildTheirSubmissions(@TempDir Path tmp) throws Exception {
        String yarn = dryRun(tmp, "yarn.sh", Map.of());
        for (String part : List.of("--master yarn", "--deploy-mode cluster", "--files " + ROOT.resolve("submit/gpu-discovery.sh"),
                "--class io.metalr.cli.Main", "--properties-file", "metalr-job-0.1.0-SNAPSHOT.jar train --set run.dir=x",
                "pytorch-engine-0.36.0.jar")) {
            assertTrue(yarn.contains(part), "yarn.sh lacks '" + part + "': " + yarn);
        }
        io.metalr.ci.NativeEnv.variables().forEach((k, v) -> assertTrue(yarn.contains("spark.executorEnv." + k + "=" + v),
                "yarn.sh does not pass " + k + "=" + v + " from submit/malloc.env to executors: " + yarn));
        assertTrue(Files.readString(ROOT.resolve("job/target/submit.properties")).contains("spark.task.resource.gpu.amount 1"),
                "GPU executors by default");
        String k8s = dryRun(tmp, "k8s.sh", Map.of("K8S_API_SERVER", "https://k8s.example:6443", "METALR_IMAGE", "reg/metalr:1"));
        for (String part : List.of("--master k8s://https://k8s.example:6443", "--deploy-mode cluster",
                "spark.kubernetes.container.image=reg/metalr:1",
                "spark.executor.resource.gpu.discoveryScript=/opt/metalr/submit/gpu-discovery.sh",
                "local:///opt/metalr/jars/metalr-job-0.1.0-SNAPSHOT.jar train", "local:///opt/metalr/jars/pytorch-engine-0.36.0.jar")) {
            assertTrue(k8s.contains(part), "k8s.sh lacks '" + part + "': " + k8s);
        }
        ProcessBuilder missing = new ProcessBuilder("bash", ROOT.resolve("submit/k8s.sh").toString(), "train").redirectErrorStream(true);
        missing.environment().put("METALR_NO_BUILD", "1");
        Process p = missing.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor() != 0 && out.contains("K8S_API_SERVER"), "k8s.sh without its settings must say which: " + out);
    }

    private static String dryRun(Path tmp, String script, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", ROOT.resolve("submit/" + script).toString(), "train", "--set", "run.dir=x")
                .redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.environment().put("METALR_NO_BUILD", "1");
        pb.environment().put("METALR_DRY_RUN", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        // the printed command is shell-quoted (printf %q): undo the escapes of spaces and commas
        return out.replace("\\ ", " ").replace("\\,", ",");
    }

    private static String tail(String s) {
        return s.length() > 6000 ? s.substring(s.length() - 6000) : s;
    }
}
