package io.metalr.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.metalr.TestSpark;
import io.metalr.cli.ExitCodes;
import io.metalr.cli.Main;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/** The run directory a {@code metalr train} run leaves: every output, and when a run directory may be reused. */
class RunOutputsTest {

    /** A short MetaLR run: 3 classes, 48 training images, 2 epochs of 3 steps. */
    static final List<String> TINY = List.of(
            "device=cpu",
            "strategy=metalr",
            "model.name=reference_cnn",
            "train.epochs=2",
            "train.batch_size=16",
            "train.log_every=0",
            "data.format=synthetic",
            "data.synthetic.classes=3",
            "data.synthetic.train=48",
            "data.synthetic.val=24",
            "data.synthetic.test=24",
            "data.synthetic.size=12");

    static String[] train(String runDir, List<String> more, String... flags) {
        List<String> args = new ArrayList<>(List.of("train"));
        List<String> sets = new ArrayList<>(TINY);
        sets.addAll(more);
        sets.add("run.dir=" + runDir);
        for (String s : sets) {
            args.add("--set");
            args.add(s);
        }
        args.addAll(List.of(flags));
        return args.toArray(String[]::new);
    }

    /** Runs the command line, returning its exit code and what it printed to stderr. */
    static String[] execute(String... args) {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            int code = Main.execute(args);
            return new String[] {Integer.toString(code), captured.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setErr(err);
        }
    }

    private static FileSystem local() throws IOException {
        return FileSystem.getLocal(new Configuration()).getRawFileSystem();
    }

    @Test
    void aShortMetaLrRunWritesEveryFile(@TempDir java.nio.file.Path tmp) throws Exception {
        java.nio.file.Path dir = tmp.resolve("run 1");
        assertEquals(ExitCodes.OK, Main.execute(train(dir.toString(), List.of())));
        JsonNode summary = RunDirectoryChecks.assertCompleteRun(local(), new Path(dir.toUri()), 3);
        assertEquals("metalr", summary.path("strategy").asText());
        assertEquals(6, summary.path("steps").asInt());
        assertEquals(2, summary.path("epochs").asInt());
        assertEquals(3, summary.path("groups").size());
        assertEquals(48 * 2, summary.path("timing").path("train_images").asLong());
        // MetaLR moved at least one rate: the learnt rates are what lr.csv and the chart are about
        List<String> csv = Files.readAllLines(dir.resolve("lr.csv"));
        assertFalse(csv.get(1).substring(csv.get(1).indexOf(',')).equals(csv.get(csv.size() - 1).substring(
                csv.get(csv.size() - 1).indexOf(','))), "the rates never moved: " + csv);
        // meta steps report their hypergradients
        String firstStep = Files.readAllLines(dir.resolve("metrics.jsonl")).get(0);
        assertEquals(3, new ObjectMapper().readTree(firstStep).path("hypergradient").size(), firstStep);
    }

    @Test
    void aDistributedRunWritesTheSameFilesBesideItsCheckpoints(@TempDir java.nio.file.Path tmp) throws Exception {
        TestSpark.session(); // the job's getOrCreate then finds the tests' local[2] session
        java.nio.file.Path dir = tmp.resolve("spark run");
        assertEquals(ExitCodes.OK, Main.execute(train(dir.toString(), List.of("distributed.shards=2"))));
        JsonNode summary = RunDirectoryChecks.assertCompleteRun(local(), new Path(dir.toUri()), 3);
        assertEquals("metalr", summary.path("strategy").asText());
        assertTrue(summary.path("steps").asInt() > 0);
    }

    @Test
    void aFinishedRunIsReplacedOnlyWithOverwrite(@TempDir java.nio.file.Path tmp) throws Exception {
        String dir = tmp.resolve("run").toString();
        List<String> oneEpoch = List.of("train.epochs=1", "strategy=full");
        assertEquals(ExitCodes.OK, Main.execute(train(dir, oneEpoch)));
        // what the finished run left, plus a checkpoint folder of its own and a file of the user's
        Files.createDirectories(tmp.resolve("run/checkpoints/step-000000999"));
        Files.writeString(tmp.resolve("run/notes.txt"), "mine");

        List<String> other = List.of("train.epochs=1", "strategy=linear_probe");
        String[] refused = execute(train(dir, other));
        assertEquals(Integer.toString(ExitCodes.BAD_CONFIG), refused[0], refused[1]);
        assertTrue(refused[1].contains(dir) && refused[1].contains("--overwrite"), refused[1]);
        assertEquals("full", summaryStrategy(tmp.resolve("run")), "a refused run changes nothing");

        String[] resumed = execute(train(dir, other, "--resume"));
        assertEquals(Integer.toString(ExitCodes.BAD_CONFIG), resumed[0], resumed[1]);
        assertTrue(resumed[1].contains("finished") && resumed[1].contains(dir), resumed[1]);

        assertEquals(ExitCodes.OK, Main.execute(train(dir, other, "--overwrite")));
        assertEquals("linear_probe", summaryStrategy(tmp.resolve("run")));
        assertFalse(Files.exists(tmp.resolve("run/checkpoints/step-000000999")), "the old run's checkpoints are gone");
        assertEquals("mine", Files.readString(tmp.resolve("run/notes.txt")), "files the run did not write stay");
        RunDirectoryChecks.assertNoTemporaryFiles(local(), new Path(tmp.resolve("run").toUri()));
    }

    @Test
    void anUnfinishedRunDirectoryIsReused(@TempDir java.nio.file.Path tmp) throws Exception {
        java.nio.file.Path dir = tmp.resolve("run");
        assertEquals(ExitCodes.OK, Main.execute(train(dir.toString(), List.of("train.epochs=1", "strategy=full"))));
        // as a run that died before its first checkpoint leaves it (one with checkpoints: ResumeOrOverwriteTest)
        Files.delete(dir.resolve("_SUCCESS"));
        try (java.util.stream.Stream<java.nio.file.Path> files = Files.walk(dir.resolve("checkpoints"))) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        assertEquals(ExitCodes.OK, Main.execute(train(dir.toString(), List.of("train.epochs=1", "strategy=llrd"))));
        assertEquals("llrd", summaryStrategy(dir));
        assertTrue(Files.exists(dir.resolve("_SUCCESS")));
    }

    @Test
    void crossValidationWritesSummaryReportAndFoldMetrics(@TempDir java.nio.file.Path tmp) throws Exception {
        java.nio.file.Path dir = tmp.resolve("cv");
        assertEquals(ExitCodes.OK, Main.execute(train(dir.toString(), List.of("train.epochs=1", "data.folds=3"))));
        FileSystem fs = local();
        Path root = new Path(dir.toUri());
        assertEquals(List.of("_SUCCESS", "config.conf", "metrics.jsonl", "report.html", "summary.json"),
                RunDirectoryChecks.names(fs, root));
        JsonNode summary = RunDirectoryChecks.summary(fs, root);
        assertTrue(summary.path("test").path("accuracy").isNumber(), summary.toString());
        assertTrue(summary.path("test").path("auc").isNumber(), summary.toString());
        assertEquals(summary.path("cv").path("accuracy_mean").asDouble(), summary.path("test").path("accuracy").asDouble());
        assertEquals(3, summary.path("folds").size());
        assertEquals(3, summary.path("fold_runs").size());
        List<String> lines = Files.readAllLines(dir.resolve("metrics.jsonl"));
        assertEquals(3, lines.size(), "one epoch record per fold: " + lines);
        for (int f = 0; f < 3; f++) {
            JsonNode r = new ObjectMapper().readTree(lines.get(f));
            assertEquals("epoch", r.path("kind").asText());
            assertEquals(f, r.path("fold").asInt());
        }
        String html = Files.readString(dir.resolve("report.html"));
        assertTrue(html.contains("3-fold cross-validation"), html);
        assertTrue(html.contains("href=\"summary.json\""), html);
    }

    private static String summaryStrategy(java.nio.file.Path dir) throws IOException {
        return new ObjectMapper().readTree(dir.resolve("summary.json").toFile()).path("strategy").asText();
    }
}
