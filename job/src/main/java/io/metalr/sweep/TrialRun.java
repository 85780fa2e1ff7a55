package io.metalr.sweep;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;

import io.metalr.config.JobConfig;
import io.metalr.data.DataSets;
import io.metalr.data.ImageSet;
import io.metalr.device.Devices;
import io.metalr.eval.ClassificationMetrics;
import io.metalr.report.MetricsLog;
import io.metalr.report.Redaction;
import io.metalr.report.RunDirectory;
import io.metalr.report.RunOutputs;
import io.metalr.train.CrossValidation;
import io.metalr.train.RunSetup;
import io.metalr.train.Trainer;
import io.metalr.train.FailureKind;
import io.metalr.train.fit.FitLoop;
import io.metalr.train.fit.InProcessEngine;

import java.util.Arrays;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Runs one trial in this thread, in one process, on the device of the current Spark task. A trial
 * whose failure is its own (a diverged loss, a bad value in its config, bad data: what the CLI
 * exits 4, 2 or 3 for) becomes a failed row; anything else (the engine, the file system, memory)
 * is thrown, so Spark retries the task and a broken cluster fails the sweep.
 */
public final class TrialRun {

    private TrialRun() {}

    /**
     * @param base the base config as HOCON; the trial's overrides go over it
     * @param trialsDir where the trial writes its run directory ({@code trial-<id>}); null = nowhere
     */
    public static TrialResult run(String base, Trial t, String trialsDir, Consumer<String> log) {
        long started = System.currentTimeMillis();
        String strategy = "";
        Long seed = null;
        java.util.List<String> configuredPaths = java.util.List.of();
        try {
            Config user = JobConfig.withOverrides(ConfigFactory.parseString(base), t.overrides());
            strategy = rawStrategy(user);
            JobConfig cfg = JobConfig.of(user);
            strategy = cfg.strategy();
            seed = (long) cfg.integer("train.seed");
            configuredPaths = Redaction.configuredPaths(cfg);
            DataSets.Loaded data = TrialData.get(cfg);
            ImageSet train = data.train();
            ImageSet val = data.val();
            ImageSet test = data.test();
            if (t.fold() != null) {
                int k = cfg.integer("data.folds");
                ImageSet all = ImageSet.concat(train.name(), train, val, test);
                CrossValidation.FoldSplit s = CrossValidation.split(all, CrossValidation.assign(cfg, all, k), t.fold(), k);
                train = s.train();
                val = s.val();
                test = s.test();
            }
            RunSetup setup = RunSetup.from(cfg, data.channels(), data.numClasses());
            RunDirectory dir = trialsDir == null ? null : RunDirectory.at(trialsDir + "/trial-" + t.id());
            MetricsLog metrics = new MetricsLog(setup.groups().names());
            if (dir != null) {
                dir.prepare(true, false); // a rerun of the sweep replaces the trial's old run
                dir.writeText(RunDirectory.CONFIG, cfg.render());
            }
            Trainer.Outcome out;
            try (InProcessEngine engine = new InProcessEngine(cfg, setup, Devices.forCurrentTask(cfg.string("device")),
                    train, val, test)) {
                out = new FitLoop(cfg, setup, engine, java.util.List.of(), null, metrics, log).run();
            }
            if (dir != null) {
                metrics.addEpochs(out.epochs());
                RunOutputs.writeTrainedRun(dir, cfg, setup, data, out, metrics);
            }
            ClassificationMetrics v = out.bestVal();
            ClassificationMetrics s = out.test();
            String lr = Arrays.stream(out.finalLr()).mapToObj(Double::toString).collect(Collectors.joining(" "));
            return new TrialResult(t.id(), t.config(), t.variant(), strategy, t.params(), seed, t.fold(), TrialResult.OK, null,
                    v.accuracy(), v.macroAuc(), v.loss(),
                    s == null ? null : s.accuracy(), s == null ? null : s.macroAuc(), s == null ? null : s.loss(),
                    out.bestEpoch(), out.steps(), lr, out.seconds(), started, System.currentTimeMillis(), executor());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("trial " + t.id() + ": cannot write its run directory: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            String kind = kind(e);
            if (kind == null) {
                throw e;
            }
            String message = Redaction.failure(kind, e, configuredPaths); // stored and printed: no image paths
            return new TrialResult(t.id(), t.config(), t.variant(), strategy, t.params(), seed, t.fold(), TrialResult.FAILED,
                    message, null, null, null, null, null, null, null, null, null, null, started, System.currentTimeMillis(),
                    executor());
        }
    }

    /** "diverged", "config" or "data" for a trial's own failure; null for anything else. */
    static String kind(RuntimeException e) {
        FailureKind k = FailureKind.of(e);
        return k == FailureKind.INFRASTRUCTURE ? null : k.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The strategy as written, for the row of a trial whose config does not validate. */
    private static String rawStrategy(Config user) {
        try {
            return user.withFallback(ConfigFactory.defaultReference(TrialRun.class.getClassLoader())).getString("strategy").trim();
        } catch (ConfigException e) {
            return "";
        }
    }

    private static String executor() {
        try {
            org.apache.spark.TaskContext tc = org.apache.spark.TaskContext.get();
            org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
            if (tc == null || env == null) {
                return "";
            }
            return "executor " + env.executorId() + " task " + tc.taskAttemptId();
        } catch (NoClassDefFoundError e) {
            return "";
        }
    }
}
