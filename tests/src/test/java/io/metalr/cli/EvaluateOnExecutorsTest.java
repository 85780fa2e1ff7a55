package io.metalr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;

import io.metalr.TestSpark;
import io.metalr.config.JobConfig;
import io.metalr.data.DataSets;
import io.metalr.data.ImageSet;
import io.metalr.data.load.LocalStores;
import io.metalr.eval.ClassificationMetrics;
import io.metalr.model.ModelBundle;
import io.metalr.nn.Weights;
import io.metalr.spark.RecordsRunTest;
import io.metalr.train.Evaluator;

import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code metalr evaluate} of a table runs on the executors: they load only the asked split(s) and
 * score them, the driver receives the scores, never the images, and computes the metrics: the
 * same numbers as scoring the data set in one process ({@link Evaluator} over {@link DataSets#load}),
 * bitwise with one shard; the stores are released after.
 */
class EvaluateOnExecutorsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static JobConfig cfg(String table, String runDir, int size) {
        return JobConfig.of(ConfigFactory.parseString(String.join("\n", List.of("device = cpu", "model.name = small_resnet",
                "strategy = full", "train.epochs = 1", "train.max_steps = 3", "train.batch_size = 8", "train.log_every = 0",
                "train.eval_batch_size = 4", "data.format = table", "data.path = \"" + table + "\"",
                "data.image_size = " + size, "data.channels = 3", "distributed.shards = 0",
                "run.dir = \"" + runDir + "\""))));
    }

    /**
     * The metrics one process computes over the split(s) of the data set; all: the three splits'
     * scores one after the other, each split scored in batches from its first image.
     */
    private static ClassificationMetrics inProcess(JobConfig cfg, ModelBundle bundle, String split) {
        DataSets.Loaded d = DataSets.load(cfg);
        int batch = cfg.integer("train.eval_batch_size");
        try (Weights w = Weights.fromHost(bundle.network(), bundle.weights(), Device.cpu())) {
            return switch (split) {
                case "test" -> Evaluator.evaluate(w, d.test(), batch);
                case "val" -> Evaluator.evaluate(w, d.val(), batch);
                default -> {
                    List<Integer> labels = new ArrayList<>();
                    List<float[]> scores = new ArrayList<>();
                    for (ImageSet set : List.of(d.train(), d.val(), d.test())) {
                        scores.addAll(List.of(Evaluator.probabilities(w, set, batch)));
                        for (int i = 0; i < set.size(); i++) {
                            labels.add(set.label(i));
                        }
                    }
                    yield ClassificationMetrics.compute(labels.stream().mapToInt(Integer::intValue).toArray(),
                            scores.toArray(float[][]::new), bundle.classes().size());
                }
            };
        }
    }

    /**
     * The same metrics, to float rounding (1e-6): the counts equal, the rest from scores a
     * shard's batches gave (other images beside an image: libtorch's kernels may round differently).
     */
    private static void assertClose(JsonNode expected, JsonNode actual, String at) {
        assertEquals(expected.size(), actual.size(), at);
        if (expected.isObject()) {
            expected.fieldNames().forEachRemaining(k -> assertClose(expected.get(k), actual.get(k), at + "/" + k));
        } else if (expected.isArray()) {
            for (int i = 0; i < expected.size(); i++) {
                assertClose(expected.get(i), actual.get(i), at + "/" + i);
            }
        } else if (expected.isIntegralNumber()) {
            assertEquals(expected.asLong(), actual.asLong(), at);
        } else {
            assertEquals(expected.asDouble(), actual.asDouble(), 1e-6 * Math.max(1, Math.abs(expected.asDouble())), at);
        }
    }

    private JsonNode evaluate(String run, String split, String... sets) throws Exception {
        Path out = dir.resolve("eval-" + split + "-" + sets.length + ".json");
        List<String> args = new ArrayList<>(List.of("evaluate", "--model", run, "--split", split, "--output", out.toString()));
        for (String s : sets) {
            args.add("--set");
            args.add(s);
        }
        assertEquals(ExitCodes.OK, Main.execute(args.toArray(String[]::new)));
        return JSON.readTree(out.toFile());
    }

    @Test
    void theExecutorsGiveTheInProcessMetrics() throws Exception {
        String t = RecordsRunTest.table(dir, "eval.parquet", 60, 12, 1);
        String run = dir.resolve("run").toString();
        JobConfig cfg = cfg(t, run, 12);
        TrainCommand.run(cfg);
        ModelBundle bundle = ModelBundle.read(run);
        Set<String> before = LocalStores.dataKeys();
        for (String split : List.of("test", "all", "val")) {
            JsonNode expected = JSON.readTree(JSON.writeValueAsBytes(inProcess(cfg, bundle, split).toMap()));
            // one shard holds the whole split: the batches one process scores, so the same floats
            JsonNode one = evaluate(run, split, "distributed.shards=1");
            assertEquals(expected, one.get("metrics"), split + ", 1 shard");
            assertEquals(split, one.get("split").asText());
            assertTrue(one.get("data").asText().endsWith("eval.parquet/" + split), one.get("data").asText());
            // distributed.shards = 0 in the run's config: Spark's default parallelism (2 here)
            assertClose(expected, evaluate(run, split).get("metrics"), split + ", 2 shards");
            assertClose(expected, evaluate(run, split, "distributed.shards=3").get("metrics"), split + ", 3 shards");
        }
        assertEquals(before, LocalStores.dataKeys(), "the evaluations released their stores");

        // a split without images is bad data naming the set, found before any image is read
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream was = System.err;
        int code;
        System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            code = Main.execute("evaluate", "--model", run, "--split", "test", "--set", "data.split.train=0.85",
                    "--set", "data.split.test=0");
        } finally {
            System.setErr(was);
        }
        String text = err.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(ExitCodes.BAD_DATA, code, text);
        assertTrue(text.contains("eval.parquet: the [test] split(s) hold no images"), text);
    }

    /**
     * Every byte the tasks send the driver during evaluate (the records' metadata, the stores'
     * handles, the scores) is far below the images' bytes, which a driver reading the table in
     * process receives whole.
     */
    @Test
    void theDriverReceivesScoresNotImages() throws Exception {
        String t = RecordsRunTest.table(dir, "big.parquet", 60, 96, 2);
        String run = dir.resolve("run").toString();
        TrainCommand.run(cfg(t, run, 32));
        long imageBytes = TestSpark.session().read().parquet(t).selectExpr("sum(length(image))").first().getLong(0);

        SparkContext sc = TestSpark.session().sparkContext();
        sc.listenerBus().waitUntilEmpty();
        AtomicLong received = new AtomicLong();
        SparkListener bytes = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (end.taskMetrics() != null) {
                    received.addAndGet(end.taskMetrics().resultSize());
                }
            }
        };
        sc.addSparkListener(bytes);
        JsonNode all;
        try {
            all = evaluate(run, "all");
            sc.listenerBus().waitUntilEmpty();
        } finally {
            sc.removeSparkListener(bytes);
        }
        assertEquals(60, all.get("metrics").get("n").asInt());
        assertTrue(received.get() < imageBytes / 4, "the driver received " + received.get() + " bytes from tasks; the images are "
                + imageBytes + " bytes");
    }
}
