package io.metalr.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;

import io.metalr.TestSpark;
import io.metalr.cli.ExitCodes;
import io.metalr.cli.Main;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A sweep on the shared local[2] session: 4 strategies x 2 seeds plus a variant whose loss
 * diverges, on tiny synthetic data. Two trials run at once, the table is readable by Spark in
 * both formats, the comparison follows from the CSV, and the diverged trials are rows.
 */
class SweepRunTest {

    private static final String TINY = """
            device = cpu
            model.name = reference_cnn
            train { epochs = 1, batch_size = 16, lr = 0.005, log_every = 0, eval_batch_size = 64 }
            meta.hold_head_epochs = 0
            data.synthetic { classes = 3, train = 48, val = 24, test = 24, size = 12 }
            """;

    private static final String SWEEP = TINY + """
            sweep {
              seeds = [0, 1]
              variants {
                metalr_paper { strategy = metalr, meta.lookahead = descent }
                full { strategy = full }
                linear_probe { strategy = linear_probe }
                llrd { strategy = llrd }
                diverging { strategy = full, train.lr = 1e30, train.on_nan = fail }
              }
              out = "%s"
            }
            """;

    @Test
    void trialsRunInParallelAndTheTablesAndComparisonAgree(@TempDir Path tmp) throws Exception {
        SparkSession spark = TestSpark.session();
        Path out = tmp.resolve("sweep out");
        long loadsBefore = TrialData.loads();
        Sweep.Result result = Sweep.run(spark, SweepSpec.from(ConfigFactory.parseString(SWEEP.formatted(out))), s -> {});
        long loads = TrialData.loads() - loadsBefore;

        List<TrialResult> rows = result.results();
        assertEquals(10, rows.size());
        assertEquals(2, loads, "one data load per seed (the split's seed), shared by the trials of 5 variants");
        for (TrialResult r : rows) {
            boolean diverging = r.variant().equals("diverging");
            assertEquals(diverging ? TrialResult.FAILED : TrialResult.OK, r.status(), r.toString());
            if (diverging) {
                assertTrue(r.error().startsWith("diverged: non-finite"), r.error());
                assertNull(r.testAccuracy());
            } else {
                assertNull(r.error());
                assertTrue(r.testAccuracy() >= 0 && r.testAccuracy() <= 1);
                assertEquals(3L, r.steps());
            }
        }
        assertEquals(2, maxConcurrent(rows), "local[2]: two trials at a time, never more");

        // the Parquet table
        Dataset parquet = read(spark, spark.read().parquet(out.resolve("results.parquet").toString()));
        assertEquals(10, parquet.rows().size());
        StructType schema = parquet.schema();
        // the CSV, read with the same schema
        Dataset csv = read(spark, spark.read().option("header", "true").option("multiLine", "true").option("escape", "\"")
                .schema(schema).csv(out.resolve("results.csv").toString()));
        assertEquals(10, csv.rows().size());
        for (int i = 0; i < 10; i++) {
            Row p = parquet.rows().get(i);
            Row c = csv.rows().get(i);
            for (String col : List.of("trial", "config", "variant", "strategy", "seed", "status", "error", "test_accuracy", "val_auc")) {
                assertEquals((Object) p.getAs(col), (Object) c.getAs(col), col + " of trial " + i);
            }
        }

        // the comparison, recomputed from the CSV alone
        JsonNode json = new ObjectMapper().readTree(out.resolve("comparison.json").toFile());
        assertEquals("auc", json.get("select_metric").asText());
        assertEquals(2, json.get("failed").asInt());
        Map<Integer, List<Row>> byConfig = new LinkedHashMap<>();
        for (Row r : csv.rows()) {
            byConfig.computeIfAbsent(r.<Integer>getAs("config"), k -> new ArrayList<>()).add(r);
        }
        assertEquals(5, byConfig.size());
        String bestBaselineArm = null;
        double bestBaselineVal = Double.NEGATIVE_INFINITY;
        Map<String, double[]> testMeans = new LinkedHashMap<>();
        for (JsonNode conf : json.get("configurations")) {
            List<Row> group = byConfig.get(conf.get("config").asInt());
            String arm = group.get(0).getAs("variant");
            assertEquals(arm, conf.get("arm").asText());
            for (String metric : List.of("val_accuracy", "val_auc", "test_accuracy", "test_auc")) {
                double[] ms = meanSd(group, metric);
                assertEquals(ms[0], conf.get(metric).get("mean").asDouble(), 1e-12, arm + " " + metric);
                assertEquals(ms[1], conf.get(metric).get("sd").asDouble(), 1e-12, arm + " " + metric);
            }
            boolean complete = group.stream().allMatch(r -> r.getAs("status").equals("ok"));
            if (complete) {
                testMeans.put(arm, new double[] {meanSd(group, "test_accuracy")[0], meanSd(group, "test_auc")[0]});
                double val = meanSd(group, "val_auc")[0];
                if (!group.get(0).getAs("strategy").equals("metalr") && val > bestBaselineVal) {
                    bestBaselineVal = val;
                    bestBaselineArm = arm;
                }
            }
        }
        assertNotNull(bestBaselineArm);
        assertEquals(bestBaselineArm, json.get("best_baseline").get("arm").asText());
        JsonNode diff = json.get("metalr_vs_best_baseline").get(0);
        assertEquals("metalr_paper", diff.get("arm").asText());
        assertEquals(testMeans.get("metalr_paper")[0] - testMeans.get(bestBaselineArm)[0],
                diff.get("test_accuracy_difference").asDouble(), 1e-12);
        assertEquals(testMeans.get("metalr_paper")[1] - testMeans.get(bestBaselineArm)[1],
                diff.get("test_auc_difference").asDouble(), 1e-12);
        for (JsonNode b : json.get("best_per_arm")) {
            assertEquals(b.get("arm").asText().equals("diverging"), b.get("best").isNull(), b.toString());
        }
        String md = Files.readString(out.resolve("comparison.md"));
        assertTrue(md.contains("## Failed trials") && md.contains("| diverging |"), md);
        assertFalse(Files.list(out).anyMatch(p -> p.getFileName().toString().contains("_tmp")), "no temporary left behind");
    }

    @Test
    void commandLineSweepWritesItsResultsAndRejectsUnknownKeys(@TempDir Path tmp) throws Exception {
        TestSpark.session(); // the command must find the shared session, not start its own
        Path conf = tmp.resolve("sweep.conf");
        Files.writeString(conf, TINY + "sweep.grid { strategy = [full, linear_probe] }\n");
        assertEquals(ExitCodes.BAD_CONFIG, Main.execute("sweep", "--config", conf.toString(),
                "--set", "sweep.out=" + tmp.resolve("bad"), "--set", "sweep.grid.train.lrr=[0.1]"));
        assertFalse(Files.exists(tmp.resolve("bad")), "nothing ran");
        assertEquals(ExitCodes.BAD_CONFIG, Main.execute("sweep", "--config", conf.toString()), "no sweep.out and no run.dir");

        assertEquals(ExitCodes.OK, Main.execute("sweep", "--config", conf.toString(), "--set", "run.dir=" + tmp.resolve("run")));
        Path out = tmp.resolve("run/sweep");
        for (String f : List.of("results.csv", "results.parquet", "comparison.md", "comparison.json", "base.conf")) {
            assertTrue(Files.exists(out.resolve(f)), f);
        }
        assertEquals(3, Files.readAllLines(out.resolve("results.csv")).size(), "header and two trials");
    }

    private record Dataset(List<Row> rows, StructType schema) {}

    private static Dataset read(SparkSession spark, org.apache.spark.sql.Dataset<Row> df) {
        List<Row> rows = new ArrayList<>(df.collectAsList());
        rows.sort(java.util.Comparator.comparingInt(r -> r.<Integer>getAs("trial")));
        return new Dataset(rows, df.schema());
    }

    /** Mean and sample sd over the non-null, non-NaN values, as a reader of the CSV would compute them. */
    private static double[] meanSd(List<Row> rows, String column) {
        List<Double> v = new ArrayList<>();
        for (Row r : rows) {
            Double d = r.getAs(column);
            if (d != null && !d.isNaN()) {
                v.add(d);
            }
        }
        if (v.isEmpty()) {
            return new double[] {Double.NaN, Double.NaN};
        }
        double mean = v.stream().mapToDouble(Double::doubleValue).sum() / v.size();
        double ss = v.stream().mapToDouble(d -> (d - mean) * (d - mean)).sum();
        return new double[] {mean, v.size() == 1 ? 0 : Math.sqrt(ss / (v.size() - 1))};
    }

    /** The largest number of trials whose [start, end] intervals overlap at one moment. */
    private static int maxConcurrent(List<TrialResult> rows) {
        int max = 0;
        for (TrialResult a : rows) {
            int at = 0;
            for (TrialResult b : rows) {
                if (b.startedAtMs() <= a.startedAtMs() && a.startedAtMs() < b.endedAtMs()) {
                    at++;
                }
            }
            max = Math.max(max, at);
        }
        return max;
    }
}
