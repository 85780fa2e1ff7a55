package io.metalr.report;

import io.metalr.config.JobConfig;
import io.metalr.data.DataSets;
import io.metalr.model.ModelBundle;
import io.metalr.nn.Network;
import io.metalr.train.RunSetup;
import io.metalr.train.Trainer;

import java.io.IOException;
import java.util.List;

/**
 * Writes what a finished run leaves in its run directory, in an order that makes
 * {@value RunDirectory#SUCCESS} (written last) mean "everything is here": the model, the metrics,
 * the charts, the summary, the report. {@value RunDirectory#CONFIG} is written when the run starts.
 */
public final class RunOutputs {

    private RunOutputs() {}

    /** A trained run from its pieces: builds the summary and the model bundle, then {@link #writeRun}. */
    public static void writeTrainedRun(RunDirectory dir, JobConfig cfg, RunSetup setup, DataSets.Loaded data,
            Trainer.Outcome out, MetricsLog metrics) throws IOException {
        writeRun(dir, RunResult.of(setup, data, out, metrics), metrics, setup.net(), bundle(cfg, setup, data, out));
    }

    /** The selected model with what inference needs to use it. */
    public static ModelBundle bundle(JobConfig cfg, RunSetup setup, DataSets.Loaded data, Trainer.Outcome out) {
        return new ModelBundle(cfg.string("model.name"), data.preprocessor(), data.classNames(), setup.groups().names(),
                setup.plan().strategy(), out.bestWeights());
    }

    public static List<String> groupNames(RunSetup setup) {
        return setup.groups().all().stream().map(g -> g.name()).toList();
    }

    /** A single run: model, metrics.jsonl, lr.csv, the three charts, summary.json, report.html, _SUCCESS. */
    public static void writeRun(RunDirectory dir, RunResult run, MetricsLog metrics, Network net, ModelBundle model)
            throws IOException {
        dir.writeWeights(RunDirectory.MODEL + "/" + ModelBundle.WEIGHTS, net, model.weights());
        dir.writeJson(RunDirectory.MODEL + "/" + ModelBundle.METADATA, model.metadata());
        dir.write(RunDirectory.METRICS, metrics::writeJsonLines);
        dir.write(RunDirectory.LR_CSV, metrics::writeLrCsv);
        dir.writeBytes(RunDirectory.LR_CHART, RunCharts.learningRates(metrics));
        dir.writeBytes(RunDirectory.LOSS_CHART, RunCharts.loss(metrics));
        dir.writeBytes(RunDirectory.ACCURACY_CHART, RunCharts.accuracy(metrics));
        dir.writeJson(RunDirectory.SUMMARY, run.summary());
        dir.writeText(RunDirectory.REPORT, HtmlReport.of(run));
        dir.finish();
    }

    /**
     * A k-fold cross-validation: metrics.jsonl (every fold's epochs, each record with its
     * {@code fold}), summary.json, report.html, _SUCCESS. No model (there is one per fold, none
     * of them "the" model) and no charts.
     */
    public static void writeCrossValidation(RunDirectory dir, CrossValidationRunResult run, List<MetricsLog> folds)
            throws IOException {
        dir.write(RunDirectory.METRICS, out -> MetricsLog.writeJsonLines(out, folds));
        dir.writeJson(RunDirectory.SUMMARY, run.summary());
        dir.writeText(RunDirectory.REPORT, HtmlReport.of(run));
        dir.finish();
    }
}
