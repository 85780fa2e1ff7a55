package io.metalr.report;

import io.metalr.data.DataSets;
import io.metalr.train.CrossValidation;
import io.metalr.train.RunSetup;
import io.metalr.train.Trainer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What a k-fold cross-validation run reports; {@link #summary()} is its {@value RunDirectory#SUMMARY}. */
public record CrossValidationRunResult(RunSubject subject, CrossValidation.Result cv, double seconds) {

    public static CrossValidationRunResult of(RunSetup setup, DataSets.Loaded data, String description,
            CrossValidation.Result cv, double seconds) {
        return new CrossValidationRunResult(RunSubject.of(setup, data, description), cv, seconds);
    }

    /**
     * The summary: {@code cv} (mean and sd over folds), {@code folds} (each fold's test metrics),
     * {@code fold_runs} (each fold's selection, steps, time and final rates), and {@code test} with
     * the folds' mean accuracy and AUC and the summed confusion matrix, so that a pipeline reads
     * {@code test.accuracy} and {@code test.auc} the same way for every run.
     */
    public Map<String, Object> summary() {
        Map<String, Object> s = subject.summaryHead();
        s.put("cv", cv.summary().toMap());
        Map<String, Object> test = new LinkedHashMap<>();
        test.put("aggregate", "mean over " + cv.summary().folds() + " folds");
        test.put("accuracy", cv.summary().accuracyMean());
        test.put("auc", cv.summary().aucMean());
        test.put("loss", cv.summary().lossMean());
        test.put("confusion_matrix", cv.summary().toMap().get("confusion_matrix_sum"));
        s.put("test", test);
        s.put("folds", cv.folds().stream().map(o -> o.test().toMap()).toList());
        List<Map<String, Object>> runs = new ArrayList<>();
        long steps = 0;
        long skippedSteps = 0;
        for (int f = 0; f < cv.folds().size(); f++) {
            Trainer.Outcome o = cv.folds().get(f);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("fold", f);
            r.put("best_epoch", o.bestEpoch());
            r.put("val_accuracy", o.bestVal().accuracy());
            r.put("val_auc", o.bestVal().macroAuc());
            r.put("steps", o.steps());
            r.put("skipped_steps", o.skippedSteps());
            r.put("seconds", o.seconds());
            r.put("final_lr", o.finalLr());
            runs.add(r);
            steps += o.steps();
            skippedSteps += o.skippedSteps();
        }
        s.put("fold_runs", runs);
        s.put("initial_lr", subject.initialLr());
        s.put("steps", steps);
        s.put("skipped_steps", skippedSteps);
        s.put("skipped_records", subject.skippedRecords());
        s.put("seconds", seconds);
        Map<String, Object> timing = new LinkedHashMap<>();
        timing.put("seconds", seconds);
        s.put("timing", timing);
        return s;
    }
}
