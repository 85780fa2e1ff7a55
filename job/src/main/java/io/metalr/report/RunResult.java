package io.metalr.report;

import io.metalr.data.DataSets;
import io.metalr.train.RunSetup;
import io.metalr.train.Trainer;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a finished training run reports: the setup (strategy, model, data, groups), the outcome,
 * and the timing measured by its {@link MetricsLog}. {@link #summary()} is {@value RunDirectory#SUMMARY}.
 */
public record RunResult(RunSubject subject, Trainer.Outcome outcome, long trainImages, double stepSeconds) {

    public static RunResult of(RunSetup setup, DataSets.Loaded data, Trainer.Outcome out, MetricsLog metrics) {
        return new RunResult(RunSubject.of(setup, data, data.description()), out, metrics.images(), metrics.stepSeconds());
    }

    /** Training images per second of step time; NaN when no step was timed. */
    public double imagesPerSecond() {
        return stepSeconds > 0 ? trainImages / stepSeconds : Double.NaN;
    }

    /** {@value RunDirectory#SUMMARY}: {@code test.accuracy}, {@code test.auc}, the confusion matrix, timing, skips. */
    public Map<String, Object> summary() {
        Map<String, Object> s = subject.summaryHead();
        s.put("epochs", outcome.epochs().size());
        s.put("best_epoch", outcome.bestEpoch());
        s.put("val", outcome.bestVal().toMap());
        if (outcome.test() != null) { // eval.test = false: not evaluated
            s.put("test", outcome.test().toMap());
        }
        s.put("initial_lr", subject.initialLr());
        s.put("final_lr", outcome.finalLr());
        s.put("steps", outcome.steps());
        s.put("skipped_steps", outcome.skippedSteps());
        s.put("skipped_records", subject.skippedRecords());
        s.put("seconds", outcome.seconds());
        Map<String, Object> timing = new LinkedHashMap<>();
        timing.put("seconds", outcome.seconds());
        timing.put("step_seconds", stepSeconds);
        timing.put("train_images", trainImages);
        timing.put("images_per_second", imagesPerSecond());
        s.put("timing", timing);
        return s;
    }
}
