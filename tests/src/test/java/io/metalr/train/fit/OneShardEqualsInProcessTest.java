package io.metalr.train.fit;

import static io.metalr.TrainedRuns.assertSameRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.typesafe.config.ConfigFactory;

import io.metalr.TestImages;
import io.metalr.TestSpark;
import io.metalr.TrainedRuns.Run;
import io.metalr.config.JobConfig;
import io.metalr.data.DataSets;
import io.metalr.data.ImageSet;
import io.metalr.data.SyntheticImages;
import io.metalr.spark.MetaMode;
import io.metalr.spark.DistributedTrainer;
import io.metalr.train.RunSetup;
import io.metalr.train.StepReport;
import io.metalr.train.Trainer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A Spark run with one shard is the single-process run, bitwise: the same batches (one shard
 * draws {@link io.metalr.data.BatchOrder}'s), the same meta batches (from the training or the
 * validation set), the same augmentation, the same step arithmetic, the same validation. Both in
 * this JVM; the Spark one as a task of the test session. Both through {@link FitLoop}:
 * {@link Trainer} over an {@link InProcessEngine}, {@link DistributedTrainer} over a
 * {@link io.metalr.spark.SparkEngine}.
 */
class OneShardEqualsInProcessTest {

    private static JobConfig cfg(String direction, String source, String... extra) {
        List<String> lines = new ArrayList<>(List.of("device = cpu", "model.name = small_resnet", "strategy = metalr",
                "train.epochs = 2", "train.batch_size = 8", "train.lr = 0.01", "train.log_every = 0",
                "train.eval_batch_size = 16", "train.select_metric = loss", "meta.hold_head_epochs = 0", "meta.hyper_lr = 5",
                "meta.direction = " + direction, "meta.source = " + source, "data.augment.enabled = true"));
        lines.addAll(List.of(extra));
        return JobConfig.of(ConfigFactory.parseString(String.join("\n", lines)));
    }

    private static Run inProcess(JobConfig cfg, ImageSet train, ImageSet val, ImageSet test) {
        RunSetup setup = RunSetup.from(cfg, train.channels(), train.numClasses());
        List<StepReport> steps = new ArrayList<>();
        Trainer t = new Trainer(cfg, setup.net(), setup.groups(), setup.plan(), Device.cpu(), s -> { });
        return new Run(t.fit(setup.initial(), train, val, test, steps::add), steps);
    }

    private static Run oneShard(JobConfig cfg, ImageSet train, ImageSet val, ImageSet test) {
        RunSetup setup = RunSetup.from(cfg, train.channels(), train.numClasses());
        List<StepReport> steps = new ArrayList<>();
        Trainer.Outcome out = new DistributedTrainer(cfg, setup, MetaMode.GLOBAL, 1, s -> { })
                .fit(TestSpark.context(), train, val, test, s -> steps.add(s.report()));
        return new Run(out, steps);
    }

    @ParameterizedTest(name = "meta.direction = {0}, meta.source = {1}")
    @CsvSource({"sgd, train", "optimizer, train", "sgd, val", "optimizer, val"})
    void syntheticImages(String direction, String source) {
        JobConfig cfg = cfg(direction, source);
        // 42 = 5 batches of 8 and one of 2: the single-process order's last, short batch
        ImageSet train = SyntheticImages.generate("blobs", 3, 42, 1, 12, 5);
        ImageSet val = SyntheticImages.generate("blobs", 3, 30, 1, 12, 6);
        ImageSet test = SyntheticImages.generate("blobs", 3, 20, 1, 12, 7);
        Run local = inProcess(cfg, train, val, test);
        assertEquals(12, local.steps().size(), "ceil(42 / 8) steps an epoch");
        assertTrue(local.steps().stream().anyMatch(s -> s.lrAfter()[0] != s.lrBefore()[0]), "the rates moved");
        assertSameRun(local, oneShard(cfg, train, val, test));
    }

    /** The cosine rule's norms: one shard's own are the one-process norms, bit for bit. */
    @Test
    void cosineRule() {
        JobConfig cfg = cfg("optimizer", "train", "meta.normalize = cosine", "meta.hyper_lr = 0.5");
        ImageSet train = SyntheticImages.generate("blobs", 3, 42, 1, 12, 5);
        ImageSet val = SyntheticImages.generate("blobs", 3, 30, 1, 12, 6);
        ImageSet test = SyntheticImages.generate("blobs", 3, 20, 1, 12, 7);
        Run local = inProcess(cfg, train, val, test);
        assertTrue(local.steps().stream().anyMatch(s -> s.lrAfter()[0] != s.lrBefore()[0]), "the rates moved");
        assertSameRun(local, oneShard(cfg, train, val, test));
    }

    @Test
    void pngFolder(@TempDir Path dir) throws Exception {
        Random rnd = new Random(3);
        for (String cls : List.of("a", "b", "c")) {
            Files.createDirectories(dir.resolve(cls));
            for (int i = 0; i < 20; i++) {
                BufferedImage img = new BufferedImage(12, 12, BufferedImage.TYPE_BYTE_GRAY);
                for (int y = 0; y < 12; y++) {
                    for (int x = 0; x < 12; x++) {
                        int base = cls.equals("a") ? 40 : cls.equals("b") ? 128 : 210;
                        img.getRaster().setSample(x, y, 0, Math.max(0, Math.min(255, base + rnd.nextInt(61) - 30)));
                    }
                }
                Files.write(dir.resolve(cls).resolve("img" + i + ".png"), TestImages.png(img));
            }
        }
        JobConfig cfg = cfg("optimizer", "val", "data.format = folder", "data.path = \"" + dir.toUri() + "\"");
        DataSets.Loaded d = DataSets.load(cfg);
        assertSameRun(inProcess(cfg, d.train(), d.val(), d.test()), oneShard(cfg, d.train(), d.val(), d.test()));
    }
}
