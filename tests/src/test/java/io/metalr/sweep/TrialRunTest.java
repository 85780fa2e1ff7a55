package io.metalr.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;

import io.metalr.UnreachableFileSystem;
import io.metalr.config.JobConfig;
import io.metalr.data.DataSets;
import io.metalr.data.ImageSet;
import io.metalr.device.Devices;
import io.metalr.train.CrossValidation;
import io.metalr.train.RunSetup;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/** One trial outside Spark: a fold trial is that fold of a cross-validation; which failures are rows. */
class TrialRunTest {

    private static final String BASE = """
            device = cpu
            model.name = reference_cnn
            strategy = full
            train { epochs = 1, batch_size = 16, lr = 0.005, log_every = 0, eval_batch_size = 64 }
            data.synthetic { classes = 3, train = 48, val = 24, test = 24, size = 12 }
            data.folds = 3
            """;

    private static Trial trial(Integer fold, String... overrides) {
        return new Trial(0, 0, "", "", null, fold, List.of(overrides));
    }

    @Test
    void aFoldTrialIsThatFoldOfCrossValidationAndWritesItsRunDirectory(@TempDir Path dir) throws Exception {
        TrialResult r = TrialRun.run(BASE, trial(1, "train.seed=3"), dir.toString(), s -> {});
        assertEquals(TrialResult.OK, r.status(), r.error());
        Path run = dir.resolve("trial-0");
        for (String f : List.of("_SUCCESS", "report.html", "lr_curves.png", "metrics.jsonl", "model/metadata.json")) {
            org.junit.jupiter.api.Assertions.assertTrue(java.nio.file.Files.exists(run.resolve(f)), "no " + f + " in " + run);
        }
        com.fasterxml.jackson.databind.JsonNode summary = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(run.resolve("summary.json").toFile());
        assertEquals(r.testAccuracy(), summary.path("test").path("accuracy").asDouble());

        JobConfig cfg = JobConfig.of(ConfigFactory.parseString(BASE + "train.seed = 3"));
        DataSets.Loaded d = DataSets.load(cfg);
        ImageSet all = ImageSet.concat(d.train().name(), d.train(), d.val(), d.test());
        CrossValidation.Result cv = CrossValidation.run(cfg, RunSetup.from(cfg, d.channels(), d.numClasses()), all, 3,
                Devices.resolve("cpu"), s -> {});
        assertEquals(cv.folds().get(1).test().accuracy(), r.testAccuracy());
        assertEquals(cv.folds().get(1).test().macroAuc(), r.testAuc());
        assertEquals(cv.folds().get(1).bestVal().loss(), r.valLoss());
        assertEquals(3L, r.seed());
    }

    @Test
    void aBadValueIsAFailedRowButABrokenFileSystemIsThrown(@TempDir Path dir) {
        TrialResult r = TrialRun.run(BASE, trial(null, "strategy=magic"), null, s -> {});
        assertEquals(TrialResult.FAILED, r.status());
        assertTrue(r.error().startsWith("config: ") && r.error().contains("strategy"), r.error());
        assertEquals("magic", r.strategy());

        TrialResult missing = TrialRun.run(BASE, trial(null, "data.format=medmnist", "data.path=\"" + dir.resolve("none.npz") + "\""), null,
                s -> {});
        assertTrue(missing.error().startsWith("data: ") && missing.error().contains("none.npz"), missing.error());

        // a folder where a file should be is the trial's data
        TrialResult folder = TrialRun.run(BASE, trial(null, "data.format=medmnist", "data.path=\"" + dir + "\""), null, s -> {});
        assertTrue(folder.error().startsWith("data: "), folder.error());

        // a file system that cannot be reached is an I/O failure, not the trial's own: the task fails
        assertThrows(UncheckedIOException.class, () -> TrialRun.run(BASE, trial(null, "data.format=medmnist",
                "data.path=\"" + UnreachableFileSystem.SCHEME + ":///data/set.npz\""), null, s -> {}));
    }
}
