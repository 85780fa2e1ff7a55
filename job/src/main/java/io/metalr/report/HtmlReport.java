package io.metalr.report;

import io.metalr.eval.ClassificationMetrics;
import io.metalr.eval.CrossValidationSummary;
import io.metalr.groups.LayerGroups;
import io.metalr.train.Trainer;

import java.util.List;
import java.util.Locale;

/**
 * {@value RunDirectory#REPORT}: one self-contained page (inline style, no scripts, no external
 * assets) that ties a run directory together: what ran, the test metrics, the layer groups and
 * their final learning rates, the charts (relative links) and the other files. Every text that
 * comes from the data or the config is escaped.
 */
public final class HtmlReport {

    private final StringBuilder html = new StringBuilder(16 * 1024);

    private HtmlReport() {}

    /** The page of a single run. */
    public static String of(RunResult run) {
        HtmlReport p = new HtmlReport();
        Trainer.Outcome out = run.outcome();
        RunSubject subject = run.subject();
        p.begin(subject.strategy() + " on " + subject.model());
        p.h2("Run");
        p.keyValues(new String[][] {
            {"strategy", subject.strategy()},
            {"model", subject.model()},
            {"data", subject.data()},
            {"classes", String.join(", ", subject.classes())},
            {"epochs", Integer.toString(out.epochs().size())},
            {"steps", out.steps() + (out.skippedSteps() > 0 ? " (" + out.skippedSteps() + " skipped)" : "")},
            {"skipped records", Long.toString(subject.skippedRecords())},
            {"time", fmt("%.1f s", out.seconds())},
            {"training speed", fmt("%.0f images/s", run.imagesPerSecond())},
            {"selected epoch", (out.bestEpoch() + 1) + " of " + out.epochs().size() + " (validation accuracy "
                    + fmt("%.4f", out.bestVal().accuracy()) + ", AUC " + fmt("%.4f", out.bestVal().macroAuc()) + ")"},
        });
        p.h2("Test metrics");
        ClassificationMetrics test = out.test();
        if (test == null) {
            p.keyValues(new String[][] {{"test split", "not evaluated (eval.test = false)"}});
        } else {
            p.keyValues(new String[][] {
                {"accuracy", fmt("%.4f", test.accuracy())},
                {"AUC (macro, one-vs-rest)", fmt("%.4f", test.macroAuc())},
                {"loss", fmt("%.4f", test.loss())},
                {"macro F1", fmt("%.4f", test.macroF1())},
                {"images", Long.toString(test.sampleCount())},
            });
            p.perClass(test, subject.classes());
            p.confusion(test.confusionMatrix(), subject.classes(), "rows: true class, columns: predicted class");
        }
        p.h2("Layer groups");
        p.groups(subject.groups(), subject.trainable(), subject.initialLr(), List.of(out.finalLr()), List.of("final lr"));
        p.h2("Charts");
        p.image(RunDirectory.LR_CHART, "learning rate per layer group and step (log scale)");
        p.image(RunDirectory.LOSS_CHART, "training and validation loss");
        p.image(RunDirectory.ACCURACY_CHART, "accuracy and AUC per epoch");
        p.files(List.of(RunDirectory.METRICS, RunDirectory.LR_CSV, RunDirectory.SUMMARY, RunDirectory.CONFIG,
                RunDirectory.MODEL + "/"));
        return p.end();
    }

    /** The page of a k-fold cross-validation. */
    public static String of(CrossValidationRunResult run) {
        HtmlReport p = new HtmlReport();
        CrossValidationSummary cv = run.cv().summary();
        RunSubject subject = run.subject();
        p.begin(subject.strategy() + " on " + subject.model() + ", " + cv.folds() + "-fold cross-validation");
        p.h2("Run");
        p.keyValues(new String[][] {
            {"strategy", subject.strategy()},
            {"model", subject.model()},
            {"data", subject.data()},
            {"classes", String.join(", ", subject.classes())},
            {"folds", Integer.toString(cv.folds())},
            {"skipped records", Long.toString(subject.skippedRecords())},
            {"time", fmt("%.1f s", run.seconds())},
        });
        p.h2("Test metrics over folds");
        p.keyValues(new String[][] {
            {"accuracy", fmt("%.4f ± %.4f", cv.accuracyMean(), cv.accuracySd())},
            {"AUC (macro, one-vs-rest)", fmt("%.4f ± %.4f", cv.aucMean(), cv.aucSd())},
            {"loss", fmt("%.4f ± %.4f", cv.lossMean(), cv.lossSd())},
        });
        p.html.append("<table><tr><th>fold</th><th>selected epoch</th><th>test accuracy</th><th>test AUC</th>"
                + "<th>test loss</th><th>images</th><th>steps</th><th>seconds</th></tr>\n");
        List<Trainer.Outcome> folds = run.cv().folds();
        for (int f = 0; f < folds.size(); f++) {
            Trainer.Outcome o = folds.get(f);
            p.row(Integer.toString(f + 1), Integer.toString(o.bestEpoch() + 1), fmt("%.4f", o.test().accuracy()),
                    fmt("%.4f", o.test().macroAuc()), fmt("%.4f", o.test().loss()), Long.toString(o.test().sampleCount()),
                    Long.toString(o.steps()), fmt("%.1f", o.seconds()));
        }
        p.html.append("</table>\n");
        p.confusion(cv.confusionMatrixSum(), subject.classes(), "summed over folds; rows: true class, columns: predicted class");
        p.h2("Layer groups");
        List<String> headers = new java.util.ArrayList<>();
        for (int f = 0; f < folds.size(); f++) {
            headers.add("final lr, fold " + (f + 1));
        }
        p.groups(subject.groups(), subject.trainable(), subject.initialLr(), folds.stream().map(Trainer.Outcome::finalLr).toList(), headers);
        p.files(List.of(RunDirectory.METRICS, RunDirectory.SUMMARY, RunDirectory.CONFIG));
        return p.end();
    }

    private void begin(String title) {
        html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>MetaLR run: ")
                .append(esc(title)).append("</title>\n<style>\n")
                .append("body{font-family:sans-serif;margin:2em;max-width:1000px;color:#222}\n")
                .append("table{border-collapse:collapse;margin:0.5em 0 1.5em}\n")
                .append("th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}\n")
                .append("th{background:#f3f3f3}\ntd.k,th.k{text-align:left}\n")
                .append("img{display:block;max-width:100%;margin:0.5em 0 1.5em;border:1px solid #ddd}\n")
                .append("pre{margin:0;white-space:pre-wrap;text-align:left}\n")
                .append("</style>\n</head>\n<body>\n<h1>MetaLR run: ").append(esc(title)).append("</h1>\n");
    }

    private String end() {
        html.append("</body>\n</html>\n");
        return html.toString();
    }

    private void h2(String text) {
        html.append("<h2>").append(esc(text)).append("</h2>\n");
    }

    private void keyValues(String[][] rows) {
        html.append("<table>\n");
        for (String[] kv : rows) {
            html.append("<tr><th class=\"k\">").append(esc(kv[0])).append("</th><td class=\"k\"><pre>")
                    .append(esc(kv[1])).append("</pre></td></tr>\n");
        }
        html.append("</table>\n");
    }

    private void row(String... cells) {
        html.append("<tr>");
        for (String c : cells) {
            html.append("<td>").append(esc(c)).append("</td>");
        }
        html.append("</tr>\n");
    }

    private void perClass(ClassificationMetrics m, List<String> classes) {
        html.append("<table><tr><th class=\"k\">class</th><th>precision</th><th>recall</th><th>F1</th><th>AUC</th>"
                + "<th>support</th></tr>\n");
        for (int c = 0; c < m.numClasses(); c++) {
            html.append("<tr><td class=\"k\">").append(esc(className(classes, c))).append("</td>");
            for (String v : new String[] {fmt("%.4f", m.precision(c)), fmt("%.4f", m.recall(c)), fmt("%.4f", m.f1(c)),
                    fmt("%.4f", m.auc(c)), Long.toString(m.support(c))}) {
                html.append("<td>").append(esc(v)).append("</td>");
            }
            html.append("</tr>\n");
        }
        html.append("</table>\n");
    }

    private void confusion(long[][] matrix, List<String> classes, String caption) {
        html.append("<h3>Confusion matrix</h3>\n<table><caption>").append(esc(caption))
                .append("</caption>\n<tr><th class=\"k\">true \\ predicted</th>");
        for (int c = 0; c < matrix.length; c++) {
            html.append("<th>").append(esc(className(classes, c))).append("</th>");
        }
        html.append("</tr>\n");
        for (int t = 0; t < matrix.length; t++) {
            html.append("<tr><th class=\"k\">").append(esc(className(classes, t))).append("</th>");
            for (long cell : matrix[t]) {
                html.append("<td>").append(cell).append("</td>");
            }
            html.append("</tr>\n");
        }
        html.append("</table>\n");
    }

    private void groups(List<LayerGroups.Group> groups, boolean[] trainable, double[] initialLr, List<double[]> finalLr,
            List<String> finalHeaders) {
        html.append("<table><tr><th>#</th><th class=\"k\">group</th><th>parameters</th><th>trained</th><th>initial lr</th>");
        finalHeaders.forEach(h -> html.append("<th>").append(esc(h)).append("</th>"));
        html.append("</tr>\n");
        for (int g = 0; g < groups.size(); g++) {
            html.append("<tr><td>").append(g).append("</td><td class=\"k\">").append(esc(groups.get(g).name()))
                    .append("</td><td>").append(groups.get(g).size()).append("</td><td>")
                    .append(trainable[g] ? "yes" : "frozen").append("</td><td>").append(esc(fmt("%.3e", initialLr[g])))
                    .append("</td>");
            for (double[] lr : finalLr) {
                html.append("<td>").append(esc(fmt("%.3e", lr[g]))).append("</td>");
            }
            html.append("</tr>\n");
        }
        html.append("</table>\n");
    }

    private void image(String file, String alt) {
        html.append("<img src=\"").append(esc(file)).append("\" alt=\"").append(esc(alt)).append("\" width=\"")
                .append(RunCharts.WIDTH).append("\" height=\"").append(RunCharts.HEIGHT).append("\">\n");
    }

    private void files(List<String> names) {
        h2("Files");
        html.append("<ul>\n");
        for (String name : names) {
            html.append("<li><a href=\"").append(esc(name)).append("\">").append(esc(name)).append("</a></li>\n");
        }
        html.append("</ul>\n");
    }

    private static String className(List<String> classes, int c) {
        return c < classes.size() ? classes.get(c) : Integer.toString(c);
    }

    /** Formats numbers the same on every machine; an undefined value reads "n/a". */
    static String fmt(String format, double... values) {
        for (double v : values) {
            if (!Double.isFinite(v)) {
                return "n/a";
            }
        }
        Object[] args = new Object[values.length];
        for (int i = 0; i < values.length; i++) {
            args[i] = values[i];
        }
        return String.format(Locale.ROOT, format, args);
    }

    /** Text as HTML: the five characters with a meaning in markup or attributes are escaped. */
    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
