package io.metalr.study;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.metalr.TestSpark;
import io.metalr.cli.ExitCodes;
import io.metalr.cli.Main;

import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A tiny study end to end on the shared local[2] session: two synthetic tasks, a MetaLR arm run
 * as one configuration and a baseline tuned over two learning rates, 2 seeds, 1 epoch. The report
 * exists, its choices and paired differences follow from the trials' own rows, the learning-rate
 * charts exist, and a rerun after an interruption runs only the trial without a row.
 */
class StudyTest {

    private static final String CONF = """
            device = cpu
            model.name = reference_cnn
            train { epochs = 1, batch_size = 16, lr = 0.005, log_every = 0, eval_batch_size = 64 }
            meta.hold_head_epochs = 0
            data.synthetic { train = 48, val = 24, test = 24, size = 12 }
            study.tasks {
              stripes { data.synthetic { task = stripes, classes = 3 } }
              blobs { data.synthetic { task = blobs, classes = 4 } }
            }
            sweep {
              seeds = [0, 1]
              variants {
                metalr_paper { strategy = metalr, meta.lookahead = descent, grid = {} }
                full { strategy = full }
              }
              grid { "train.lr" = [0.002, 0.02] }
            }
            """;

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aTinyStudyReportsPairedDifferencesFromItsRowsAndResumes(@TempDir Path tmp) throws Exception {
        TestSpark.session(); // the command must find the shared session, not start its own
        Path conf = tmp.resolve("study.conf");
        Files.writeString(conf, CONF);
        Path dir = tmp.resolve("study");
        String[] args = {"study", "--config", conf.toString(), "--dir", dir.toString(), "--no-prepare"};
        assertEquals(ExitCodes.BAD_CONFIG, Main.execute("study", "--config", conf.toString(), "--dir", dir.toString(),
                "--no-prepare", "--tasks", "stripes,nope"));
        assertFalse(Files.exists(dir.resolve("stripes")), "nothing ran");

        assertEquals(ExitCodes.OK, Main.execute(args));
        assertTrue(Files.isRegularFile(dir.resolve("report.md")));
        JsonNode study = JSON.readTree(dir.resolve("study.json").toFile());
        assertEquals(2, study.get("tasks").size());
        for (JsonNode task : study.get("tasks")) {
            String name = task.get("task").asText();
            List<Row> rows = new ArrayList<>(TestSpark.session().read()
                    .parquet(dir.resolve(name).resolve("sweep/results.parquet").toString()).collectAsList());
            assertEquals(2 + 2 * 2, rows.size(), name + ": one MetaLR configuration and two full ones, 2 seeds each");
            String metric = task.get("select_metric").asText();

            // the baseline's configuration: the full arm's best validation mean, recomputed here
            Map<Integer, List<Row>> byConfig = new TreeMap<>();
            rows.forEach(r -> byConfig.computeIfAbsent(r.<Integer>getAs("config"), c -> new ArrayList<>()).add(r));
            int best = -1;
            double bestVal = Double.NEGATIVE_INFINITY;
            for (Map.Entry<Integer, List<Row>> c : byConfig.entrySet()) {
                double val = c.getValue().stream().mapToDouble(r -> r.<Double>getAs("val_" + metric)).average().orElseThrow();
                if (c.getValue().get(0).getAs("variant").equals("full") && val > bestVal) {
                    best = c.getKey();
                    bestVal = val;
                }
            }
            assertEquals(best, task.get("best_baseline").get("config").asInt(), name);
            JsonNode fullArm = arm(task, "full");
            assertEquals(best, fullArm.get("config").asInt());
            assertEquals(best == 1 ? 0.002 : 0.02, fullArm.get("lr").asDouble(), 1e-12, "the chosen configuration's own lr");
            assertEquals(0.005, arm(task, "metalr_paper").get("lr").asDouble(), 1e-12, "MetaLR runs at the config's lr");

            // the paired differences, seed by seed, from the rows
            JsonNode paired = task.get("metalr_vs_best_baseline").get(0);
            assertEquals("metalr_paper", paired.get("arm").asText());
            for (String m : List.of("test_accuracy", "test_auc")) {
                double[] diffs = new double[2];
                for (int seed = 0; seed < 2; seed++) {
                    diffs[seed] = value(rows, 0, seed, m) - value(rows, best, seed, m);
                }
                JsonNode d = paired.get(m);
                assertEquals(List.of(0L, 1L), longs(d.get("seeds")));
                assertArrayEquals(diffs, doubles(d.get("diffs")), 1e-12, name + " " + m);
                double mean = (diffs[0] + diffs[1]) / 2;
                double sd = Math.abs(diffs[0] - diffs[1]) / Math.sqrt(2);
                double half = 12.7062 * sd / Math.sqrt(2); // t_{0.975, 1}
                assertEquals(mean, d.get("mean").asDouble(), 1e-12);
                assertEquals(sd, d.get("sd").asDouble(), 1e-12);
                assertEquals(mean - half, d.get("ci95_low").asDouble(), 1e-5);
                assertEquals(mean + half, d.get("ci95_high").asDouble(), 1e-5);
            }
            Path chart = dir.resolve(paired.get("lr_chart").asText());
            assertEquals("charts/" + name + "-metalr_paper-lr.png", paired.get("lr_chart").asText());
            byte[] png = Files.readAllBytes(chart);
            assertTrue(png.length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', chart.toString());
        }
        String md = Files.readString(dir.resolve("report.md"));
        assertTrue(md.contains("- command: `metalr study --config " + conf + " --dir " + dir + " --no-prepare`"), md);
        assertTrue(md.contains("- CPU: " + Study.cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " cores"), md);
        assertTrue(md.contains("## Table for the README") && md.contains("| stripes | metalr_paper |"), md);

        // an interrupted study: one trial's row lost, the tables unfinished; the rerun runs that trial alone
        Path rowsDir = dir.resolve("blobs/sweep/rows");
        Map<String, String> runs = runStamps(rowsDir);
        Files.delete(rowsDir.resolve("trial-3.json"));
        Files.delete(dir.resolve("blobs/sweep/_SUCCESS"));
        Map<String, String> stripes = runStamps(dir.resolve("stripes/sweep/rows"));
        assertEquals(ExitCodes.OK, Main.execute(args));
        Map<String, String> after = runStamps(rowsDir);
        assertEquals(runs.keySet(), after.keySet());
        after.forEach((trial, run) -> assertEquals(trial.equals("trial-3.json"), !run.equals(runs.get(trial)),
                trial + ": only the lost trial runs again"));
        assertEquals(stripes, runStamps(dir.resolve("stripes/sweep/rows")), "the finished task runs nothing");
        assertTrue(Files.exists(dir.resolve("blobs/sweep/_SUCCESS")));
    }

    @Test
    void theStudyConfigTunesEachBaselineOverThreeRatesAndRunsMetaLrOnceOverFiveSeeds() throws Exception {
        com.typesafe.config.Config file = com.typesafe.config.ConfigFactory.parseFile(new java.io.File("../conf/study.conf"));
        List<Study.Task> tasks = Study.tasks(file, "runs/study", List.of());
        assertEquals(List.of("brain_mri", "macaque_mri"), tasks.stream().map(Study.Task::name).toList());
        assertEquals(List.of("macaque_mri"), Study.tasks(file, "runs/study", List.of("macaque_mri")).stream()
                .map(Study.Task::name).toList());
        for (Study.Task task : tasks) {
            io.metalr.sweep.SweepSpec spec = io.metalr.sweep.SweepSpec.from(task.config());
            assertEquals("runs/study/" + task.name() + "/sweep", spec.out());
            assertEquals(List.of(0L, 1L, 2L, 3L, 4L), spec.seeds());
            List<io.metalr.sweep.Trial> trials = io.metalr.sweep.SweepPlan.trials(spec, 0);
            Map<String, java.util.Set<String>> params = new LinkedHashMap<>();
            trials.forEach(t -> params.computeIfAbsent(t.variant(), v -> new java.util.TreeSet<>()).add(t.params()));
            assertEquals(List.of("metalr_paper", "metalr_code", "metalr_cosine", "metalr_cosine_fullstart", "full",
                    "linear_probe", "partial", "llrd", "fixed_groups", "hd"), List.copyOf(params.keySet()));
            params.forEach((variant, values) -> assertEquals(variant.startsWith("metalr_") ? java.util.Set.of("")
                    : java.util.Set.of("train.lr=0.001", "train.lr=0.003", "train.lr=0.01"), values, variant));
            assertEquals(4 * 5 + 6 * 3 * 5, trials.size());
        }
    }

    @Test
    void theLeversConfigRunsEachMetaLrVariantOnceAgainstTheStudysBestBaseline() throws Exception {
        com.typesafe.config.Config file = com.typesafe.config.ConfigFactory.parseFile(new java.io.File("../conf/study-levers.conf"));
        for (Study.Task task : Study.tasks(file, "runs/study-levers", List.of())) {
            io.metalr.sweep.SweepSpec spec = io.metalr.sweep.SweepSpec.from(task.config());
            List<io.metalr.sweep.Trial> trials = io.metalr.sweep.SweepPlan.trials(spec, 0);
            Map<String, java.util.Set<String>> params = new LinkedHashMap<>();
            trials.forEach(t -> params.computeIfAbsent(t.variant(), v -> new java.util.TreeSet<>()).add(t.params()));
            // study.conf's variants are replaced, not merged: no hd, no tuned grids
            assertEquals(List.of("fullstart", "fullstart_holdout", "fullstart_holdout_eta03", "fullstart_eta003",
                    "fullstart_nohold", "llrd"), List.copyOf(params.keySet()));
            params.forEach((variant, values) -> assertEquals(java.util.Set.of(""), values, variant));
            assertEquals(6 * 5, trials.size());
        }
    }

    private static JsonNode arm(JsonNode task, String name) {
        for (JsonNode a : task.get("arms")) {
            if (a.get("arm").asText().equals(name)) {
                return a;
            }
        }
        throw new AssertionError("no arm " + name + " in " + task);
    }

    private static double value(List<Row> rows, int config, long seed, String column) {
        return rows.stream().filter(r -> r.<Integer>getAs("config") == config && r.<Long>getAs("seed") == seed)
                .mapToDouble(r -> r.<Double>getAs(column)).findFirst().orElseThrow();
    }

    private static Map<String, String> runStamps(Path rows) throws Exception {
        Map<String, String> out = new LinkedHashMap<>();
        try (var files = Files.list(rows)) {
            for (Path p : files.sorted().toList()) {
                out.put(p.getFileName().toString(), JSON.readTree(p.toFile()).get("run").asText());
            }
        }
        return out;
    }

    private static List<Long> longs(JsonNode a) {
        List<Long> out = new ArrayList<>();
        a.forEach(n -> out.add(n.asLong()));
        return out;
    }

    private static double[] doubles(JsonNode a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asDouble();
        }
        return out;
    }
}
