package io.metalr.train.fit;

import io.metalr.config.JobConfig;
import io.metalr.eval.ClassificationMetrics;
import io.metalr.eval.ModelSelection;
import io.metalr.report.MetricsLog;
import io.metalr.spark.Checkpoint;
import io.metalr.spark.RunFingerprint;
import io.metalr.spark.RunHistory;
import io.metalr.train.Progress;
import io.metalr.train.RunSetup;
import io.metalr.train.StepReport;
import io.metalr.train.Trainer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The training loop, for one process and for Spark alike (the {@link StepEngine} computes the
 * steps): epochs of steps, the rates moved by the {@link LrController}, a step with a non-finite
 * training loss skipped (reported, marked) or failing the run, validation after each epoch, model
 * selection on {@code train.select_metric}, the test metrics of the selected weights; progress
 * lines, checkpoints and {@code --resume}.
 *
 * <p>Every step is recorded in the run's {@link MetricsLog}, which a checkpoint carries, so a
 * resumed run's log, epochs, step counts and time cover the whole run.
 */
public final class FitLoop {

    private final JobConfig cfg;
    private final RunSetup setup;
    private final StepEngine engine;
    private final List<FitListener> listeners;
    private final CheckpointPolicy checkpoints;
    private final MetricsLog metrics;
    private final Consumer<String> log;

    /**
     * @param metrics the run's log, filled as the run goes (and with the steps before a restart on
     *     resume); null for a log of the loop's own
     * @param checkpoints null: no checkpoints
     */
    public FitLoop(JobConfig cfg, RunSetup setup, StepEngine engine, List<FitListener> listeners, CheckpointPolicy checkpoints,
            MetricsLog metrics, Consumer<String> log) {
        this.cfg = cfg;
        this.setup = setup;
        this.engine = engine;
        this.listeners = List.copyOf(listeners);
        this.checkpoints = checkpoints;
        this.metrics = metrics != null ? metrics : new MetricsLog(setup.groups().names());
        this.log = log;
    }

    /** Where the run stands: what a checkpoint saves besides the model. */
    private static final class State {
        final List<Trainer.EpochResult> history = new ArrayList<>();
        LinkedHashMap<String, float[]> best;
        int bestEpoch = -1;
        long step;
        long skipped;
        int epoch;
        int stepInEpoch;
        double lossSum;
        long correct;
        long seen;
        /** Time spent before this process took over (a resumed run's), and in the epoch in progress. */
        double secondsBefore;
        double epochSecondsBefore;
    }

    /** Trains; the engine is the caller's to close. */
    public Trainer.Outcome run() {
        int epochs = cfg.integer("train.epochs");
        int logEvery = cfg.integer("train.log_every");
        String metric = cfg.word("train.select_metric");
        ModelSelection selection = ModelSelection.forMetric(metric);
        LrController rates = new LrController(cfg.meta(), setup.plan(), setup.groups().headIndex(),
                cfg.word("train.on_nan").equals("skip"));
        int stepsPerEpoch = engine.stepsPerEpoch();
        long maxSteps = cfg.integer("train.max_steps");
        long totalSteps = maxSteps > 0 ? Math.min(maxSteps, (long) stepsPerEpoch * epochs) : (long) stepsPerEpoch * epochs;
        long started = System.nanoTime();
        State st = new State();
        if (engine.dataNote() != null) {
            log.accept(engine.dataNote());
        }
        if (checkpoints != null) {
            removeTemporaryCheckpoints();
            if (checkpoints.resume()) {
                resume(st, rates, selection);
            }
        }
        long stepsThisRun = 0;
        for (; st.epoch < epochs && st.step < totalSteps; st.epoch++, st.stepInEpoch = 0) {
            int epoch = st.epoch;
            long epochStart = System.nanoTime();
            // train.max_steps may end the run inside an epoch: that epoch is evaluated as a whole one
            for (; st.stepInEpoch < stepsPerEpoch && st.step < totalSteps; st.stepInEpoch++) {
                long t0 = System.nanoTime();
                double[] before = rates.rates();
                StepEngine.StepSums sums = engine.compute(new StepEngine.StepRequest(epoch, st.stepInEpoch, st.step, before,
                        rates.metaStep(st.step)));
                StepReport r;
                double commitSeconds = 0;
                if (!Double.isFinite(sums.trainLoss())) {
                    engine.abandon();
                    if (!rates.skipsNonFinite()) {
                        throw rates.diverged("training loss", sums.trainLoss(), epoch, st.step);
                    }
                    // nothing moves, but the step is reported, marked: the log, progress and checkpoints see every step
                    st.skipped++;
                    r = new StepReport(st.step, epoch, sums.trainLoss(), sums.correct(), sums.count(), Double.NaN, before,
                            before, new double[0], true);
                } else {
                    LrController.Update up;
                    try {
                        up = rates.afterMetaPass(epoch, st.step, sums.metaLoss(), sums.sums());
                    } catch (RuntimeException e) {
                        engine.abandon();
                        throw e;
                    }
                    double[] after = rates.rates();
                    long commitStart = System.nanoTime();
                    engine.commit(after);
                    commitSeconds = (System.nanoTime() - commitStart) / 1e9;
                    st.lossSum += sums.trainLoss() * sums.count();
                    st.correct += sums.correct();
                    st.seen += sums.count();
                    r = new StepReport(st.step, epoch, sums.trainLoss(), sums.correct(), sums.count(), sums.metaLoss(), before,
                            after, up.hypergradient(), false);
                }
                st.step++;
                stepsThisRun++;
                double seconds = (System.nanoTime() - t0) / 1e9;
                metrics.record(r, seconds);
                FitListener.StepTiming timing = new FitListener.StepTiming(seconds, sums.computeSeconds() + commitSeconds,
                        sums.bytesMoved(), sums.executorBytes());
                for (FitListener l : listeners) {
                    l.onStep(r, timing);
                }
                if (logEvery > 0 && st.step % logEvery == 0) {
                    log.accept(Progress.line(epoch, epochs, st.step, totalSteps, stepsThisRun, r, started, engine.imagesPerStep()));
                }
                if (checkpoints != null && checkpoints.every() > 0 && st.step % checkpoints.every() == 0) {
                    checkpoint(st, epoch, st.stepInEpoch + 1, rates, started, epochStart); // continues after this step
                }
            }
            boolean stopped = st.stepInEpoch < stepsPerEpoch;
            ClassificationMetrics v = engine.evaluate(StepEngine.EvalSplit.VAL);
            Trainer.EpochResult er = new Trainer.EpochResult(epoch, st.step, st.seen == 0 ? Double.NaN : st.lossSum / st.seen,
                    st.seen == 0 ? Double.NaN : (double) st.correct / st.seen, v, rates.rates(),
                    st.epochSecondsBefore + (System.nanoTime() - epochStart) / 1e9);
            st.history.add(er);
            if (selection.offer(epoch, st.step, v)) {
                st.best = engine.weights();
                st.bestEpoch = epoch;
            }
            st.lossSum = 0;
            st.correct = 0;
            st.seen = 0;
            st.epochSecondsBefore = 0;
            log.accept(Progress.epochLine(er, epochs));
            if (checkpoints != null && !stopped) {
                checkpoint(st, epoch + 1, 0, rates, started, System.nanoTime()); // continues with the next epoch
            }
        }
        if (st.best == null) {
            // the metric was never defined (e.g. AUC on a validation set lacking a class): keep the last epoch
            st.best = engine.weights();
            st.bestEpoch = st.history.size() - 1;
            log.accept("model selection: " + metric + " was undefined in every epoch; keeping the last epoch");
        }
        engine.loadWeights(st.best);
        // eval.test = false: the test split is not scored at all (the benchmark; runs that keep it sealed)
        ClassificationMetrics test = cfg.bool("eval.test") ? engine.evaluate(StepEngine.EvalSplit.TEST) : null;
        return new Trainer.Outcome(st.history, st.bestEpoch, st.history.get(st.bestEpoch).val(), test, st.best,
                rates.rates(), st.step, st.skipped, st.secondsBefore + (System.nanoTime() - started) / 1e9);
    }

    /** The log the loop records into. */
    public MetricsLog metrics() {
        return metrics;
    }

    private void resume(State st, LrController rates, ModelSelection selection) {
        Checkpoint c = newestCheckpoint().orElseThrow(() -> new IllegalArgumentException("--resume: no complete checkpoint in "
                + checkpoints.dir() + "; run without --resume to start over"));
        refuseAnotherRun(c, checkpoints.fingerprint());
        RunHistory h = c.history();
        if (h == null) {
            throw new IllegalArgumentException("--resume: the checkpoint of step " + c.step() + " in " + checkpoints.dir()
                    + " records no run history (written by an older version), so the resumed run could not report the"
                    + " whole run; pass --overwrite to start over");
        }
        engine.load(new StepEngine.ModelSnapshot(new LinkedHashMap<>(c.tensors()), c.optimizerState(), c.optimizerShapes(),
                c.optimizerStep()));
        rates.restore(c.lr());
        st.step = c.step();
        st.epoch = c.epoch();
        st.stepInEpoch = c.stepInEpoch();
        st.history.addAll(h.epochs());
        // model selection as it went: the same epochs offered in the same order
        for (Trainer.EpochResult e : h.epochs()) {
            selection.offer(e.epoch(), e.steps(), e.val());
        }
        if (c.bestTensors() != null) {
            st.best = new LinkedHashMap<>(c.bestTensors());
            st.bestEpoch = c.bestEpoch();
        }
        st.skipped = h.skippedSteps();
        st.secondsBefore = h.elapsedSeconds();
        st.lossSum = h.epochLossSum();
        st.correct = h.epochCorrect();
        st.seen = h.epochSeen();
        st.epochSecondsBefore = h.epochSeconds();
        if (metrics.stepCount() > 0) {
            throw new IllegalStateException("a resumed run's metrics log must start empty; it holds " + metrics.stepCount() + " steps");
        }
        try {
            metrics.restoreSteps(new ByteArrayInputStream(h.steps()));
        } catch (IOException e) {
            throw new UncheckedIOException("--resume: the checkpoint's history cannot be read: " + e.getMessage(), e);
        }
        log.accept("resumed from the checkpoint of step " + st.step + " (epoch " + (st.epoch + 1) + ")");
    }

    /** Saves where the run stands; a resume continues at ({@code epoch}, {@code stepInEpoch}). */
    private void checkpoint(State st, int epoch, int stepInEpoch, LrController rates, long started, long epochStart) {
        StepEngine.ModelSnapshot s = engine.snapshot();
        ByteArrayOutputStream steps = new ByteArrayOutputStream();
        try {
            metrics.writeStepLines(steps);
            long now = System.nanoTime();
            RunHistory h = new RunHistory(steps.toByteArray(), List.copyOf(st.history), st.secondsBefore + (now - started) / 1e9,
                    st.skipped, st.lossSum, st.correct, st.seen, st.epochSecondsBefore + (now - epochStart) / 1e9);
            new Checkpoint(st.step, epoch, stepInEpoch, rates.rates(), s.optimizerStep(), s.tensors(), s.optimizerState(),
                    s.optimizerShapes(), st.bestEpoch, st.best, checkpoints.fingerprint(), h).write(checkpoints.dir());
            Checkpoint.prune(checkpoints.dir(), checkpoints.keep());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a checkpoint to " + checkpoints.dir() + ": " + e.getMessage(), e);
        }
    }

    /** A writer killed mid-write (this run's earlier driver) leaves a temporary folder: never read, removed. */
    private void removeTemporaryCheckpoints() {
        try {
            Checkpoint.removeTemporary(checkpoints.dir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean " + checkpoints.dir() + ": " + e.getMessage(), e);
        }
    }

    /**
     * A checkpoint continues only the run that wrote it: another config, other data, another shard
     * count or other initial weights make another trajectory, which --resume must not splice on.
     */
    private void refuseAnotherRun(Checkpoint c, RunFingerprint now) {
        if (c.fingerprint() == null) {
            throw new IllegalArgumentException("--resume: the checkpoint of step " + c.step() + " in " + checkpoints.dir()
                    + " records no run fingerprint (" + Checkpoint.FINGERPRINT + "; written by an older version), so it cannot"
                    + " be told apart from another run's; pass --overwrite to start over");
        }
        List<String> differ = c.fingerprint().differences(now);
        if (!differ.isEmpty()) {
            throw new IllegalArgumentException("--resume: the checkpoint of step " + c.step() + " in " + checkpoints.dir()
                    + " was written by another run; it differs in " + String.join("; ", differ)
                    + ". Resume with the config and data it was written with, or pass --overwrite to start over");
        }
    }

    private Optional<Checkpoint> newestCheckpoint() {
        try {
            return Checkpoint.newest(checkpoints.dir(), log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoints in " + checkpoints.dir() + ": " + e.getMessage(), e);
        }
    }

    /** Shapes of optimizer state tensors ({@code name#slot}): their parameter's. */
    public static Map<String, long[]> optimizerShapes(Map<String, float[]> optimizerState, java.util.function.Function<String, long[]> shapeOf) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        optimizerState.keySet().forEach(k -> shapes.put(k, shapeOf.apply(k.substring(0, k.indexOf('#')))));
        return shapes;
    }
}
