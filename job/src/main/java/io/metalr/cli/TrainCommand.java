package io.metalr.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import io.metalr.config.JobConfig;
import io.metalr.data.DataSets;
import io.metalr.data.ImageSet;
import io.metalr.report.CrossValidationRunResult;
import io.metalr.report.MetricsLog;
import io.metalr.report.RunDirectory;
import io.metalr.report.RunOutputs;
import io.metalr.train.CrossValidation;
import io.metalr.device.Devices;
import io.metalr.spark.Checkpoint;
import io.metalr.spark.ExecutorData;
import io.metalr.spark.MetaMode;
import io.metalr.spark.RunFingerprint;
import io.metalr.spark.SparkEngine;
import io.metalr.spark.SparkSessions;

import org.apache.spark.api.java.JavaSparkContext;
import io.metalr.train.RunSetup;
import io.metalr.train.Trainer;
import io.metalr.train.fit.CheckpointPolicy;
import io.metalr.train.fit.FitLoop;
import io.metalr.train.fit.InProcessEngine;
import io.metalr.train.fit.StepEngine;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code metalr train --config FILE --set key=value ...}: one training run. */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Train one model as the config says.")
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--config", description = "HOCON config file (keys in conf/reference.conf)")
    File config;

    @Option(names = "--set", description = "override a key: --set train.epochs=5 (repeatable)")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--resume", description = "continue a run from the newest checkpoint in run.dir/checkpoints")
    boolean resume;

    @Option(names = "--overwrite", description = "replace the run in run.dir: a finished one (with _SUCCESS), or an "
            + "unfinished one's checkpoints; without it, both are refused")
    boolean overwrite;

    @Override
    public Integer call() throws Exception {
        Config user = config == null ? ConfigFactory.empty() : ConfigFactory.parseFile(config);
        if (config != null && !config.isFile()) {
            throw new IllegalArgumentException("--config: no such file " + config);
        }
        JobConfig cfg = JobConfig.of(JobConfig.withOverrides(user, overrides));
        if (resume) {
            refuseWhatCannotResume(cfg);
        }
        if (cfg.integer("data.folds") >= 2) {
            crossValidate(cfg, resume, overwrite);
        } else {
            run(cfg, resume, overwrite);
        }
        return ExitCodes.OK;
    }

    /**
     * {@code --resume} continues a run from its checkpoints; a k-fold run has none, and a run that
     * wrote none yet has nothing to continue: both are refused (a bad-config exit), before anything
     * is written, rather than silently started over.
     */
    static void refuseWhatCannotResume(JobConfig cfg) throws IOException {
        String dir = cfg.string("run.dir").trim();
        if (dir.isEmpty()) {
            throw new IllegalArgumentException("--resume: run.dir is empty, so there are no checkpoints to continue"
                    + " from; run without --resume to start over");
        }
        if (RunDirectory.at(dir).isFinished()) {
            return; // the run directory refuses it, saying the run is finished (these runs start no Spark session first)
        }
        String why;
        if (cfg.integer("data.folds") >= 2) {
            why = "a k-fold run (data.folds = " + cfg.integer("data.folds") + ") keeps no checkpoints";
        } else if (Checkpoint.completeSteps(dir + "/" + RunDirectory.CHECKPOINTS).isEmpty()) {
            why = "no complete checkpoint in " + dir + "/" + RunDirectory.CHECKPOINTS;
        } else {
            return; // one run with checkpoints: it resumes if they are its own (their fingerprint)
        }
        throw new IllegalArgumentException("--resume: " + why + "; run without --resume to start over");
    }

    /** Trains once and writes the run directory when {@code run.dir} is set; returns the outcome. */
    static Trainer.Outcome run(JobConfig cfg) throws Exception {
        return run(cfg, false, false);
    }

    /**
     * Trains once. With {@code run.dir} set, a finished run there is refused unless {@code overwrite}
     * (and always with {@code resume}); the outputs are written when training ends, {@code _SUCCESS} last.
     */
    static Trainer.Outcome run(JobConfig cfg, boolean resume, boolean overwrite) throws Exception {
        int shards = cfg.integer("distributed.shards");
        // the session first, so that its spark.hadoop.* settings (credentials, default FS) apply to run.dir
        JavaSparkContext sc = shards > 0 ? SparkSessions.context(cfg) : null;
        RunDirectory run = startRunDirectory(cfg, resume, overwrite);
        MetaMode mode = cfg.choice("distributed.meta_mode", MetaMode.class);
        String runDir = cfg.string("run.dir").trim();
        MetricsLog metrics;
        DataSets.Loaded data;
        RunSetup setup;
        Trainer.Outcome out;
        if (shards > 0 && ExecutorData.supports(cfg)) {
            // the executors read, decode and hold the images; the driver holds the records only
            ExecutorData loaded = ExecutorData.load(cfg, sc, shards, System.out::println);
            try (StoreEngine engine = engine(cfg, loaded, mode, sc)) {
                data = loaded.outputs();
                setup = engine.setup();
                metrics = startRun(setup, data);
                CheckpointPolicy checkpoints = checkpoints(cfg, runDir, resume,
                        () -> loaded.fingerprint(cfg, mode, engine.setup().initial()));
                out = new FitLoop(cfg, setup, engine.engine(), List.of(), checkpoints, metrics, System.out::println).run();
            }
        } else {
            data = DataSets.load(cfg);
            setup = RunSetup.from(cfg, data.channels(), data.numClasses());
            metrics = startRun(setup, data);
            RunSetup s = setup;
            CheckpointPolicy checkpoints = checkpoints(cfg, runDir, resume,
                    () -> RunFingerprint.of(cfg, shards, mode, s.initial(), data.train(), data.val(), data.test()));
            ImageSet test = cfg.bool("eval.test") ? data.test() : null;
            try (StepEngine engine = shards > 0
                    ? new SparkEngine(cfg, setup, mode, shards, sc, data.train(), data.val(), test, System.out::println)
                    : new InProcessEngine(cfg, setup, Devices.resolve(cfg.string("device")), data.train(), data.val(), test)) {
                out = new FitLoop(cfg, setup, engine, List.of(), checkpoints, metrics, System.out::println).run();
            }
        }
        metrics.addEpochs(out.epochs());
        System.out.printf("selected epoch %d: val acc %.3f auc %.3f | %s | %d steps in %.1fs%n",
                out.bestEpoch() + 1, out.bestVal().accuracy(), out.bestVal().macroAuc(),
                out.test() == null ? "test not evaluated" : String.format("test acc %.3f auc %.3f", out.test().accuracy(),
                        out.test().macroAuc()), out.steps(), out.seconds());
        if (run != null) {
            if (resume) {
                run.writeText(RunDirectory.CONFIG, cfg.render());
            }
            RunOutputs.writeTrainedRun(run, cfg, setup, data, out, metrics);
            System.out.println("wrote " + run.path());
        }
        return out;
    }

    /** The model, its groups and the data, printed; the run's metrics log. */
    private static MetricsLog startRun(RunSetup setup, DataSets.Loaded data) {
        System.out.println("model " + setup.net().name() + ", " + setup.net().trainableCount()
                + " trainable parameters, strategy " + setup.plan().strategy());
        System.out.println(data.description());
        System.out.print(setup.groupTable());
        return new MetricsLog(setup.groups().names());
    }

    /** Checkpoints in run.dir/checkpoints, or null without run.dir; the fingerprint is made only when needed. */
    private static CheckpointPolicy checkpoints(JobConfig cfg, String runDir, boolean resume,
            java.util.function.Supplier<RunFingerprint> fingerprint) {
        return runDir.isEmpty() ? null
                : new CheckpointPolicy(runDir + "/" + RunDirectory.CHECKPOINTS, cfg.integer("train.checkpoint_every"),
                        cfg.integer("train.keep_checkpoints"), resume, fingerprint.get());
    }

    /** A Spark engine over the executors' stores, with the setup it was made for; closing it releases the stores. */
    private record StoreEngine(SparkEngine engine, RunSetup setup) implements AutoCloseable {
        @Override
        public void close() {
            engine.close();
        }
    }

    private static StoreEngine engine(JobConfig cfg, ExecutorData loaded, MetaMode mode, JavaSparkContext sc) {
        try {
            RunSetup setup = RunSetup.from(cfg, loaded.channels(), loaded.numClasses());
            return new StoreEngine(new SparkEngine(cfg, setup, mode, loaded.partitions(), sc, System.out::println), setup);
        } catch (RuntimeException e) {
            loaded.close();
            throw e;
        }
    }

    /** k-fold cross-validation over all of the data's images (data.folds = k); run.dir as for {@link #run}. */
    static CrossValidation.Result crossValidate(JobConfig cfg, boolean resume, boolean overwrite) throws Exception {
        RunDirectory run = startRunDirectory(cfg, resume, overwrite);
        long started = System.nanoTime();
        DataSets.Loaded data = DataSets.load(cfg);
        ImageSet all = ImageSet.concat(data.train().name(), data.train(), data.val(), data.test());
        RunSetup setup = RunSetup.from(cfg, data.channels(), data.numClasses());
        int k = cfg.integer("data.folds");
        System.out.println("model " + setup.net().name() + ", strategy " + setup.plan().strategy() + ", "
                + k + "-fold cross-validation over " + all);
        System.out.print(setup.groupTable());
        CrossValidation.Result cv = CrossValidation.run(cfg, setup, all, k,
                Devices.resolve(cfg.string("device")), System.out::println);
        System.out.println("cross-validation: " + cv.summary());
        if (run != null) {
            List<MetricsLog> folds = new ArrayList<>();
            for (int f = 0; f < cv.folds().size(); f++) {
                MetricsLog log = MetricsLog.ofFold(setup.groups().names(), f);
                log.addEpochs(cv.folds().get(f).epochs());
                folds.add(log);
            }
            String description = k + "-fold cross-validation over " + data.description();
            RunOutputs.writeCrossValidation(run, CrossValidationRunResult.of(setup, data, description, cv,
                    (System.nanoTime() - started) / 1e9), folds);
            System.out.println("wrote " + run.path());
        }
        return cv;
    }

    /**
     * The run directory of {@code run.dir}, checked and with the config written; null when run.dir
     * is empty. A resumed run keeps the config of the run it continues until its checkpoint's
     * fingerprint has been checked: {@link #run} writes it at the end.
     */
    private static RunDirectory startRunDirectory(JobConfig cfg, boolean resume, boolean overwrite) throws IOException {
        String dir = cfg.string("run.dir").trim();
        if (dir.isEmpty()) {
            return null;
        }
        RunDirectory run = RunDirectory.at(dir);
        run.prepare(overwrite, resume);
        claimCheckpoints(run, resume, overwrite);
        if (!resume) {
            run.writeText(RunDirectory.CONFIG, cfg.render());
        }
        return run;
    }

    /**
     * The checkpoints an unfinished run left in the run directory belong to that run: a new run
     * starts there only with {@code --overwrite} (which deletes them), else it would leave them for a
     * later --resume to mix with its own, or to continue instead of it; --resume continues them.
     */
    static void claimCheckpoints(RunDirectory run, boolean resume, boolean overwrite) throws IOException {
        String checkpoints = run.path() + "/" + RunDirectory.CHECKPOINTS;
        if (overwrite) {
            Checkpoint.deleteAll(checkpoints);
            return;
        }
        if (resume) {
            return; // the trainer checks that they are this run's (their fingerprint)
        }
        List<Long> steps = Checkpoint.completeSteps(checkpoints);
        if (!steps.isEmpty()) {
            throw new IllegalArgumentException("run.dir " + run.path() + " holds the checkpoints of an unfinished run (the"
                    + " newest at step " + steps.get(0) + "): pass --resume to continue it, or --overwrite to start over"
                    + " (deleting them), or choose another run.dir");
        }
    }
}
