package io.metalr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import io.metalr.config.JobConfig;
import io.metalr.model.Models;
import io.metalr.model.Pretrained;
import io.metalr.model.WeightFiles;
import io.metalr.model.io.TensorData;
import io.metalr.nn.Network;
import io.metalr.nn.ParamSpec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.stream.Stream;

/** The command line: exit codes and the run directory of a tiny training run. */
class MainCliTest {

    private static final List<String> TINY = List.of(
            "device=cpu",
            "model.name=reference_cnn",
            "train.epochs=2",
            "train.batch_size=16",
            "train.log_every=0",
            "meta.hold_head_epochs=1",
            "data.synthetic.classes=3",
            "data.synthetic.train=48",
            "data.synthetic.val=24",
            "data.synthetic.test=24",
            "data.synthetic.size=12");

    private static String[] train(List<String> sets, String... more) {
        List<String> args = new ArrayList<>(List.of("train"));
        for (String s : sets) {
            args.add("--set");
            args.add(s);
        }
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    /** --resume with nothing to resume is refused as bad config, before anything runs or is written. */
    @Test
    void resumeWithNothingToResumeIsRefused(@TempDir Path tmp) {
        Path dir = tmp.resolve("run");
        List<String> single = new ArrayList<>(TINY);
        single.add("run.dir=" + dir);
        assertEquals(ExitCodes.BAD_CONFIG, Main.execute(train(single, "--resume")), "single-process run");
        List<String> folds = new ArrayList<>(single);
        folds.add("data.folds=3");
        folds.add("distributed.shards=2");
        assertEquals(ExitCodes.BAD_CONFIG, Main.execute(train(folds, "--resume")), "k-fold run");
        List<String> noDir = new ArrayList<>(TINY);
        noDir.add("distributed.shards=2");
        assertEquals(ExitCodes.BAD_CONFIG, Main.execute(train(noDir, "--resume")), "no run.dir");
        assertFalse(Files.exists(dir), "a refused --resume wrote " + dir);
        List<String> distributed = new ArrayList<>(single);
        distributed.add("distributed.shards=2");
        assertEquals(ExitCodes.BAD_CONFIG, Main.execute(train(distributed, "--resume")), "no checkpoint yet");
        assertFalse(Files.exists(dir.resolve("_SUCCESS")), "a refused --resume finished a run");
    }

    @Test
    void unknownKeyIsBadConfig() {
        assertEquals(ExitCodes.BAD_CONFIG, Main.execute("train", "--set", "train.epoch=3"));
    }

    @Test
    void otherConfigErrorsAreBadConfig(@TempDir Path dir) {
        assertEquals(ExitCodes.BAD_CONFIG, Main.execute("train", "--set", "train.epochs=many"));
        assertEquals(ExitCodes.BAD_CONFIG, Main.execute("train", "--set", "strategy=magic"));
        assertEquals(ExitCodes.BAD_CONFIG, Main.execute("train", "--set", "strategy=hypergradient"), "the old name");
        assertEquals(ExitCodes.BAD_CONFIG, Main.execute("train", "--set", "strategy=hd", "--set", "distributed.shards=2"));
        assertEquals(ExitCodes.BAD_CONFIG, Main.execute("train", "--set", "train.epochs"));
        assertEquals(ExitCodes.BAD_CONFIG, Main.execute("train", "--config", dir.resolve("missing.conf").toString()));
        List<String> sets = new ArrayList<>(TINY);
        sets.add("model.pretrained=" + dir.resolve("no such weights.ndlist"));
        sets.add("strategy=full");
        assertEquals(ExitCodes.BAD_CONFIG, Main.execute(train(sets)));
    }

    @Test
    void tinyTrainingRunWritesTheRunDirectory(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("run dir");
        Path conf = tmp.resolve("job.conf");
        Files.writeString(conf, "strategy = metalr\ntrain.lr = 0.004\n", StandardCharsets.UTF_8);
        List<String> sets = new ArrayList<>(TINY);
        sets.add("run.dir=" + dir);
        int code = Main.execute(train(sets, "--config", conf.toString()));
        assertEquals(ExitCodes.OK, code);

        // config.conf: the resolved config, loadable again, with the file's and the --set values
        Config written = ConfigFactory.parseFile(dir.resolve("config.conf").toFile());
        JobConfig back = JobConfig.of(written);
        assertEquals(dir.toString(), back.string("run.dir"));
        assertEquals("metalr", back.strategy());
        assertEquals(0.004, back.number("train.lr"));
        assertEquals(2, back.integer("train.epochs"));

        // summary.json
        JsonNode summary = new ObjectMapper().readTree(dir.resolve("summary.json").toFile());
        assertEquals("metalr", summary.get("strategy").asText());
        assertEquals("reference_cnn", summary.get("model").asText());
        JsonNode acc = summary.path("test").path("accuracy");
        assertTrue(acc.isNumber(), "test.accuracy: " + summary.path("test"));
        assertTrue(acc.asDouble() >= 0 && acc.asDouble() <= 1);
        assertEquals(24, summary.path("test").path("n").asInt());
        assertTrue(summary.path("val").path("accuracy").isNumber());
        assertEquals(3, summary.get("groups").size());
        assertEquals(3, summary.get("final_lr").size());
        assertEquals(6, summary.get("steps").asInt());
        assertEquals(0, summary.get("skipped_steps").asInt());
        int best = summary.get("best_epoch").asInt();
        assertTrue(best == 0 || best == 1);

        // model/weights.ndlist: every tensor of the network, loadable and finite
        Network net = Models.create("reference_cnn", 1, 3);
        Path weights = dir.resolve("model/weights.ndlist");
        LinkedHashMap<String, TensorData> read;
        try (InputStream in = Files.newInputStream(weights)) {
            read = WeightFiles.read(in, weights.toString());
        }
        assertEquals(net.params().stream().map(ParamSpec::name).toList(), new ArrayList<>(read.keySet()));
        LinkedHashMap<String, float[]> fitted = Pretrained.fit(net, read, false, 0, weights.toString());
        fitted.forEach((k, v) -> {
            for (float x : v) {
                assertTrue(Float.isFinite(x), k);
            }
        });

        // nothing half-written left behind
        try (Stream<Path> files = Files.walk(dir)) {
            List<Path> tmpFiles = files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
            assertEquals(List.of(), tmpFiles);
        }
        try (Stream<Path> files = Files.list(dir)) {
            // an in-process run with run.dir checkpoints too (at each epoch's end), so --resume can continue it
            assertEquals(List.of("_SUCCESS", "accuracy.png", "checkpoints", "config.conf", "loss.png", "lr.csv", "lr_curves.png",
                    "metrics.jsonl", "model", "report.html", "summary.json"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void aSecondRunIntoTheSameDirectoryReplacesItsFilesWithOverwrite(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("run");
        List<String> sets = new ArrayList<>(TINY);
        sets.add("run.dir=" + dir);
        sets.add("train.epochs=1");
        sets.add("strategy=full");
        assertEquals(ExitCodes.OK, Main.execute(train(sets)));
        sets.add("strategy=linear_probe");
        assertEquals(ExitCodes.BAD_CONFIG, Main.execute(train(sets)));
        assertEquals(ExitCodes.OK, Main.execute(train(sets, "--overwrite")));
        JsonNode summary = new ObjectMapper().readTree(dir.resolve("summary.json").toFile());
        assertEquals("linear_probe", summary.get("strategy").asText());
        try (Stream<Path> files = Files.walk(dir)) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().endsWith(".tmp")));
        }
    }
}
