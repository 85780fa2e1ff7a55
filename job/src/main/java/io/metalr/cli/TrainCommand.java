package io.metalr.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import io.metalr.config.JobConfig;
import io.metalr.data.DataSets;
import io.metalr.data.ImageSet;
import io.metalr.model.ModelBundle;
import io.metalr.train.CrossValidation;
import io.metalr.device.Devices;
import io.metalr.spark.DistributedTrainer;
import io.metalr.spark.MetaMode;
import io.metalr.spark.SparkSessions;

import org.apache.spark.api.java.JavaSparkContext;
import io.metalr.train.RunSetup;
import io.metalr.train.Trainer;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code metalr train --config FILE --set key=value ...}: one training run. */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Train one model as the config says.")
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--config", description = "HOCON config file (keys in conf/reference.conf)")
    File config;

    @Option(names = "--set", description = "override a key: --set train.epochs=5 (repeatable)")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--resume", description = "continue a distributed run from the newest checkpoint in run.dir/checkpoints")
    boolean resume;

    @Override
    public Integer call() throws Exception {
        Config user = config == null ? ConfigFactory.empty() : ConfigFactory.parseFile(config);
        if (config != null && !config.isFile()) {
            throw new IllegalArgumentException("--config: no such file " + config);
        }
        JobConfig cfg = JobConfig.of(JobConfig.withOverrides(user, overrides));
        if (cfg.integer("data.folds") >= 2) {
            crossValidate(cfg);
        } else {
            run(cfg, resume);
        }
        return ExitCodes.OK;
    }

    /** Trains once and writes the run directory when {@code run.dir} is set; returns the outcome. */
    static Trainer.Outcome run(JobConfig cfg) throws Exception {
        return run(cfg, false);
    }

    static Trainer.Outcome run(JobConfig cfg, boolean resume) throws Exception {
        DataSets.Loaded data = DataSets.load(cfg);
        RunSetup setup = RunSetup.from(cfg, data.channels(), data.numClasses());
        System.out.println("model " + setup.net().name() + ", " + setup.net().trainableCount()
                + " trainable parameters, strategy " + setup.plan().strategy());
        System.out.println(data.description());
        System.out.print(setup.groupTable());
        Trainer.Outcome out;
        int shards = cfg.integer("distributed.shards");
        if (shards > 0) {
            JavaSparkContext sc = SparkSessions.context(cfg);
            MetaMode mode = cfg.choice("distributed.meta_mode", MetaMode.class);
            String runDir = cfg.string("run.dir").trim();
            out = new DistributedTrainer(cfg, setup, mode, shards, System.out::println)
                    .withCheckpoints(runDir.isEmpty() ? null : runDir + "/checkpoints", cfg.integer("train.checkpoint_every"), resume)
                    .fit(sc, data.train(), data.val(), data.test(), null);
        } else {
            Trainer trainer = new Trainer(cfg, setup.net(), setup.groups(), setup.plan(),
                    Devices.resolve(cfg.string("device")), System.out::println);
            out = trainer.fit(setup.initial(), data.train(), data.val(), data.test(), null);
        }
        System.out.printf("selected epoch %d: val acc %.3f auc %.3f | test acc %.3f auc %.3f | %d steps in %.1fs%n",
                out.bestEpoch() + 1, out.bestVal().accuracy(), out.bestVal().macroAuc(),
                out.test().accuracy(), out.test().macroAuc(), out.steps(), out.seconds());
        String dir = cfg.string("run.dir").trim();
        if (!dir.isEmpty()) {
            RunDirectory run = new RunDirectory(Path.of(dir));
            run.writeText("config.conf", cfg.render());
            ModelBundle model = bundle(cfg, setup, data, out);
            run.writeWeights("model/" + ModelBundle.WEIGHTS, setup.net(), model.weights());
            run.writeJson("model/" + ModelBundle.METADATA, model.metadata());
            run.writeJson("summary.json", summary(cfg, setup, data, out));
            System.out.println("wrote " + run.path().toAbsolutePath());
        }
        return out;
    }

    /** k-fold cross-validation over all of the data's images (data.folds = k). */
    static CrossValidation.Result crossValidate(JobConfig cfg) throws Exception {
        DataSets.Loaded data = DataSets.load(cfg);
        ImageSet all = ImageSet.concat(data.train().name(), data.train(), data.val(), data.test());
        RunSetup setup = RunSetup.from(cfg, data.channels(), data.numClasses());
        System.out.println("model " + setup.net().name() + ", strategy " + setup.plan().strategy() + ", "
                + cfg.integer("data.folds") + "-fold cross-validation over " + all);
        System.out.print(setup.groupTable());
        CrossValidation.Result cv = CrossValidation.run(cfg, setup, all, cfg.integer("data.folds"),
                Devices.resolve(cfg.string("device")), System.out::println);
        System.out.println("cross-validation: " + cv.summary());
        String dir = cfg.string("run.dir").trim();
        if (!dir.isEmpty()) {
            RunDirectory run = new RunDirectory(Path.of(dir));
            run.writeText("config.conf", cfg.render());
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("strategy", setup.plan().strategy());
            s.put("model", setup.net().name());
            s.put("cv", cv.summary().toMap());
            s.put("folds", cv.folds().stream().map(o -> o.test().toMap()).toList());
            run.writeJson("summary.json", s);
            System.out.println("wrote " + run.path().toAbsolutePath());
        }
        return cv;
    }

    /** The selected model with what inference needs to use it. */
    static ModelBundle bundle(JobConfig cfg, RunSetup setup, DataSets.Loaded data, Trainer.Outcome out) {
        return new ModelBundle(cfg.string("model.name"), data.preprocessor(), data.classNames(),
                setup.groups().all().stream().map(g -> g.name()).toList(), setup.plan().strategy(), out.bestWeights());
    }

    static Map<String, Object> summary(JobConfig cfg, RunSetup setup, DataSets.Loaded data, Trainer.Outcome out) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("strategy", setup.plan().strategy());
        s.put("model", setup.net().name());
        s.put("groups", setup.groups().all().stream().map(g -> g.name()).toList());
        s.put("best_epoch", out.bestEpoch());
        s.put("val", out.bestVal().toMap());
        s.put("test", out.test().toMap());
        s.put("classes", data.classNames());
        s.put("final_lr", out.finalLr());
        s.put("steps", out.steps());
        s.put("skipped_steps", out.skippedSteps());
        s.put("skipped_records", data.skipped());
        s.put("seconds", out.seconds());
        return s;
    }
}
