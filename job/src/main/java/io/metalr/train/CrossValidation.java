package io.metalr.train;

import ai.djl.Device;
import io.metalr.config.JobConfig;
import io.metalr.data.Folds;
import io.metalr.data.ImageSet;
import io.metalr.eval.ClassificationMetrics;
import io.metalr.eval.CrossValidationSummary;
import io.metalr.train.fit.FitLoop;
import io.metalr.train.fit.InProcessEngine;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * k-fold cross-validation as the reference reports it, with folds stratified and grouped by
 * patient (no patient in two folds): fold i is the test set, fold i+1 the
 * validation set for model selection, the rest trains; the summary is the mean and sd of the
 * test metrics and the summed confusion matrix.
 */
public final class CrossValidation {

    /** Per-fold outcomes and their summary. */
    public record Result(List<Trainer.Outcome> folds, CrossValidationSummary summary) {}

    private CrossValidation() {}

    /** The sets of one fold: fold f tests, fold f+1 validates, the rest trains. */
    public record FoldSplit(ImageSet train, ImageSet val, ImageSet test) {}

    public static Result run(JobConfig cfg, RunSetup setup, ImageSet all, int k, Device device, Consumer<String> log) {
        int[] fold = assign(cfg, all, k);
        List<Trainer.Outcome> outcomes = new ArrayList<>();
        List<ClassificationMetrics> tests = new ArrayList<>();
        for (int f = 0; f < k; f++) {
            FoldSplit s = split(all, fold, f, k);
            log.accept("fold " + (f + 1) + "/" + k + ": train " + s.train().size() + ", val " + s.val().size()
                    + ", test " + s.test().size());
            Trainer.Outcome out;
            try (InProcessEngine engine = new InProcessEngine(cfg, setup, device, s.train(), s.val(), s.test())) {
                out = new FitLoop(cfg, setup, engine, List.of(), null, null, log).run();
            }
            outcomes.add(out);
            tests.add(out.test());
        }
        return new Result(outcomes, CrossValidationSummary.of(tests));
    }

    /** The fold of every image, stratified and grouped by patient, seeded by train.seed. */
    public static int[] assign(JobConfig cfg, ImageSet all, int k) {
        return Folds.assign(all, all.patientIds(), k, cfg.integer("train.seed"));
    }

    /** Fold f's train, validation and test sets, given every image's fold. */
    public static FoldSplit split(ImageSet all, int[] fold, int f, int k) {
        int valFold = (f + 1) % k;
        int[] trainIdx = IntStream.range(0, fold.length).filter(i -> fold[i] != f && fold[i] != valFold).toArray();
        return new FoldSplit(all.subset(all.name() + "-fold" + f + "-train", trainIdx),
                all.subset(all.name() + "-fold" + f + "-val", Folds.select(fold, valFold, true)),
                all.subset(all.name() + "-fold" + f + "-test", Folds.select(fold, f, true)));
    }
}
