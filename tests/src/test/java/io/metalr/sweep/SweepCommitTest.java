package io.metalr.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;

import io.metalr.TestSpark;
import io.metalr.cli.ExitCodes;
import io.metalr.cli.Main;
import io.metalr.config.JobConfig;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Sweeps keep what they finished: every trial commits its row as it ends, a trial whose task dies
 * costs only that trial, {@code --resume} runs only the trials without a row (and only for the
 * same sweep), and the tables are assembled from the committed rows. On the shared local[2] session.
 */
class SweepCommitTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String TINY = """
            device = cpu
            model.name = reference_cnn
            train { epochs = 1, batch_size = 16, lr = 0.005, log_every = 0, eval_batch_size = 64 }
            data.synthetic { classes = 3, train = 48, val = 24, test = 24, size = 12 }
            """;

    /** 4 trials: full (trials 0, 1) and linear_probe (2, 3), seeds 0 and 1. */
    private static final String FOUR = TINY + """
            sweep { seeds = [0, 1], grid { strategy = [full, linear_probe] }, trial_runs = false }
            """;

    @Test
    void aTrialWhoseTaskDiesCostsOnlyThatTrialAndResumeRunsOnlyIt(@TempDir Path tmp) throws Exception {
        TestSpark.session(); // the command finds the shared session
        Path conf = tmp.resolve("sweep.conf");
        Files.writeString(conf, FOUR);
        Path out = tmp.resolve("out");
        String[] sweep = {"sweep", "--config", conf.toString(), "--set", "sweep.out=" + out};

        long started = TrialTask.started();
        System.setProperty(TrialTask.FAIL_FIRST_ATTEMPT, "1");
        int code;
        try {
            code = Main.execute(sweep);
        } finally {
            System.clearProperty(TrialTask.FAIL_FIRST_ATTEMPT);
        }
        assertEquals(ExitCodes.INFRASTRUCTURE, code, "a task that died fails the sweep");
        assertEquals(3, TrialTask.started() - started, "the other three trials ran");
        Map<Integer, JsonNode> first = rows(out);
        assertEquals(List.of(0, 2, 3), List.copyOf(first.keySet()), "every other trial's row is committed");
        assertEquals(1, first.values().stream().map(r -> r.get("run").asText()).distinct().count());
        assertFalse(Files.exists(out.resolve("results.csv")) || Files.exists(out.resolve("_SUCCESS")), "no table from 3 of 4 rows");

        // without --resume or --overwrite, an output holding committed rows is refused and left alone
        assertEquals(ExitCodes.BAD_CONFIG, Main.execute(sweep));
        assertEquals(first, rows(out));

        // a resume takes the rows of the same sweep only, naming what differs
        SparkSession spark = TestSpark.session();
        String otherLr = FOUR + "train.lr = 0.01\nsweep.out = \"" + out + "\"\n";
        IllegalArgumentException lr = assertThrows(IllegalArgumentException.class,
                () -> Sweep.run(spark, SweepSpec.from(ConfigFactory.parseString(otherLr)), true, false, s -> {}));
        assertTrue(lr.getMessage().contains("train.lr was 0.005, now 0.01"), lr.getMessage());
        String otherPlan = FOUR + "sweep.seeds = [0, 1, 2]\nsweep.out = \"" + out + "\"\n";
        IllegalArgumentException plan = assertThrows(IllegalArgumentException.class,
                () -> Sweep.run(spark, SweepSpec.from(ConfigFactory.parseString(otherPlan)), true, false, s -> {}));
        assertTrue(plan.getMessage().contains("the plan had 4 trials, now 6"), plan.getMessage());
        assertEquals(ExitCodes.BAD_CONFIG, Main.execute("sweep", "--config", conf.toString(),
                "--set", "sweep.out=" + tmp.resolve("empty"), "--resume"), "nothing to resume");
        assertEquals(first, rows(out));

        started = TrialTask.started();
        assertEquals(ExitCodes.OK, Main.execute(concat(sweep, "--resume")));
        assertEquals(1, TrialTask.started() - started, "the resume ran the missing trial alone");
        Map<Integer, JsonNode> resumed = rows(out);
        assertEquals(List.of(0, 1, 2, 3), List.copyOf(resumed.keySet()));
        for (int id : List.of(0, 2, 3)) {
            assertEquals(first.get(id), resumed.get(id), "trial " + id + " kept its row");
        }
        assertNotEquals(first.get(0).get("run"), resumed.get(1).get("run"), "trial 1 ran in the resumed start");
        List<String> csv = Files.readAllLines(out.resolve("results.csv"));
        assertEquals(5, csv.size(), "header and four trials: " + csv);
        assertTrue(Files.exists(out.resolve("_SUCCESS")));

        // a finished sweep has nothing to resume; --overwrite runs it all again
        assertEquals(ExitCodes.BAD_CONFIG, Main.execute(concat(sweep, "--resume")));
        started = TrialTask.started();
        assertEquals(ExitCodes.OK, Main.execute(concat(sweep, "--overwrite")));
        assertEquals(4, TrialTask.started() - started);
        assertEquals(1, rows(out).values().stream().map(r -> r.get("run").asText()).distinct().count(), "all rows are new");
    }

    @Test
    void theTablesAssembledFromCommittedRowsHoldWhatEachTrialComputesOnItsOwn(@TempDir Path tmp) throws Exception {
        SparkSession spark = TestSpark.session();
        Path out = tmp.resolve("out");
        SweepSpec spec = SweepSpec.from(ConfigFactory.parseString(TINY + """
                sweep {
                  seeds = [0, 1]
                  variants { full { strategy = full }, diverging { strategy = full, train.lr = 1e30, train.on_nan = fail } }
                  trial_runs = false
                  out = "%s"
                }
                """.formatted(out)));
        Sweep.run(spark, spec, false, false, s -> {});

        // every trial's row is committed, stamped with the manifest's fingerprint
        String fingerprint = JSON.readTree(out.resolve(SweepManifest.FILE).toFile()).get("fingerprint").asText();
        Map<Integer, JsonNode> committed = rows(out);
        assertEquals(List.of(0, 1, 2, 3), List.copyOf(committed.keySet()));
        committed.values().forEach(r -> assertEquals(fingerprint, r.get("sweep").asText()));

        // results.csv, read by Spark, against each trial run on its own outside Spark
        List<Row> csv = new ArrayList<>(spark.read().option("header", "true").option("multiLine", "true").option("escape", "\"")
                .schema(ResultsTable.SCHEMA).csv(out.resolve("results.csv").toString()).collectAsList());
        csv.sort(Comparator.comparingInt(r -> r.<Integer>getAs("trial")));
        String base = spec.base().root().render(ConfigRenderOptions.concise());
        List<Trial> trials = SweepPlan.trials(spec, 0);
        assertEquals(trials.size(), csv.size());
        for (int i = 0; i < trials.size(); i++) {
            Trial t = trials.get(i);
            TrialResult alone = TrialRun.run(base, t, null, s -> {});
            Row row = csv.get(i);
            String what = "trial " + t.id();
            assertEquals(t.id(), (int) row.<Integer>getAs("trial"), what);
            assertEquals(t.config(), (int) row.<Integer>getAs("config"), what);
            assertEquals(t.variant(), row.getAs("variant"), what);
            assertEquals(t.seed(), row.<Long>getAs("seed"), what);
            assertEquals(alone.strategy(), row.getAs("strategy"), what);
            assertEquals(alone.status(), row.getAs("status"), what);
            assertEquals(alone.error(), row.getAs("error"), what);
            assertEquals(alone.valAccuracy(), row.<Double>getAs("val_accuracy"), what);
            assertEquals(alone.valAuc(), row.<Double>getAs("val_auc"), what);
            assertEquals(alone.valLoss(), row.<Double>getAs("val_loss"), what);
            assertEquals(alone.testAccuracy(), row.<Double>getAs("test_accuracy"), what);
            assertEquals(alone.testAuc(), row.<Double>getAs("test_auc"), what);
            assertEquals(alone.bestEpoch(), row.<Integer>getAs("best_epoch"), what);
            assertEquals(alone.steps(), row.<Long>getAs("steps"), what);
            assertEquals(alone.finalLr(), row.getAs("final_lr"), what);
            assertEquals(t.variant().equals("diverging") ? TrialResult.FAILED : TrialResult.OK, alone.status(), what);
        }
        assertTrue(Files.exists(out.resolve("_SUCCESS")));
    }

    @Test
    void theManifestNamesAChangedDataFile(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data.npz");
        Files.write(data, new byte[100]);
        JobConfig base = JobConfig.of(ConfigFactory.parseString(TINY + "data.format = medmnist\ndata.path = \"" + data + "\"\n"));
        List<Trial> trials = List.of(new Trial(0, 0, "", "", null, null, List.of("strategy=full")));
        SweepManifest before = SweepManifest.of(base, trials);
        assertEquals(List.of(), SweepManifest.of(base, trials).differences(before));
        assertEquals(before, SweepManifest.read(before.toJson(), "sweep.json"));

        Files.write(data, new byte[101]);
        List<String> differences = SweepManifest.of(base, trials).differences(before);
        assertEquals(1, differences.size(), differences.toString());
        assertTrue(differences.get(0).startsWith(data + " was 100 bytes"), differences.get(0));
    }

    /** The committed rows under {@code out/rows}, by trial id, as JSON trees. */
    static Map<Integer, JsonNode> rows(Path out) throws Exception {
        Map<Integer, JsonNode> rows = new TreeMap<>();
        try (Stream<Path> files = Files.list(out.resolve("rows"))) {
            for (Path f : files.filter(f -> f.getFileName().toString().matches("trial-\\d+\\.json")).toList()) {
                JsonNode row = JSON.readTree(f.toFile());
                rows.put(row.get("result").get("trial").asInt(), row);
            }
        }
        return rows;
    }

    private static String[] concat(String[] args, String more) {
        String[] out = java.util.Arrays.copyOf(args, args.length + 1);
        out[args.length] = more;
        return out;
    }
}
