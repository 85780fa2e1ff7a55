package io.metalr.study;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import io.metalr.config.JobConfig;
import io.metalr.data.read.DataPaths;
import io.metalr.eval.Stats;
import io.metalr.report.HadoopFiles;
import io.metalr.report.RunCharts;
import io.metalr.sweep.Comparison;
import io.metalr.sweep.Comparison.ConfigSummary;
import io.metalr.sweep.Sweep;
import io.metalr.sweep.SweepPlan;
import io.metalr.sweep.SweepSpec;
import io.metalr.sweep.Trial;
import io.metalr.sweep.TrialResult;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The study's report from its tasks' sweeps: {@value #MARKDOWN}, {@value #JSON} and the MetaLR
 * arms' learning-rate charts under {@value #CHARTS}/, each file written atomically. Per task and
 * arm, the configuration chosen on validation (the sweep's {@link Comparison}) and its test
 * metrics over the seeds; the best tuned baseline (the best of the baselines' chosen
 * configurations, on validation); and each MetaLR arm's {@link PairedDifference} against it, seed
 * by seed, from the trials' own rows.
 */
public final class StudyReport {

    public static final String MARKDOWN = "report.md";
    public static final String JSON = "study.json";
    public static final String CHARTS = "charts";

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** One task's sweep, as it ran. */
    public record TaskResult(String name, String data, SweepSpec spec, Sweep.Result sweep) {}

    /** What the header says: when, how, on what, and how long. */
    public record Header(String date, String command, String cpu, int cores, double seconds) {}

    /** An arm's chosen configuration, with the learning rate it ran at. */
    record Arm(String name, ConfigSummary chosen, double lr) {}

    /** A MetaLR arm against the best tuned baseline. */
    record Paired(String arm, PairedDifference testAccuracy, PairedDifference testAuc, String chart) {}

    private StudyReport() {}

    /** Writes the report into {@code dir} (any Hadoop path) and returns the Markdown. */
    public static String write(String dir, Header header, List<TaskResult> tasks) throws IOException {
        List<Map<String, Object>> tasksJson = new ArrayList<>();
        StringBuilder md = new StringBuilder("# MetaLR against tuned baselines: the comparison study\n\n");
        md.append(String.format(Locale.ROOT, "- date: %s%n- command: `%s`%n- CPU: %s, %d cores%n- duration: %.0f s (this run)"
                + "; the trials' own time: %.0f s%n", header.date(), header.command(), header.cpu(), header.cores(),
                header.seconds(), trialSeconds(tasks)));
        StringBuilder readme = new StringBuilder();
        readme.append("| task | arm | lr (chosen on validation) | seeds | test accuracy | test AUC"
                + " | vs best tuned baseline, points (95% CI) |\n| --- | --- | --- | --- | --- | --- | --- |\n");
        for (TaskResult task : tasks) {
            tasksJson.add(task(dir, task, md, readme));
        }
        md.append("\n## Table for the README\n\n").append(readme).append(String.format(Locale.ROOT,
                "%nMean ± sd over seeds; each baseline's lr tuned on validation, each MetaLR arm one configuration;"
                + " differences paired by seed against the best tuned baseline (chosen on validation). %s, %s.%n",
                header.cpu(), header.date()));

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("date", header.date());
        json.put("command", header.command());
        json.put("cpu", header.cpu());
        json.put("cores", header.cores());
        json.put("duration_seconds", header.seconds());
        json.put("trial_seconds", trialSeconds(tasks));
        json.put("tasks", tasksJson);
        byte[] jsonBytes = MAPPER.writeValueAsBytes(json);
        HadoopFiles.write(DataPaths.resolve(dir, JSON), out -> out.write(jsonBytes));
        String text = md.toString();
        HadoopFiles.write(DataPaths.resolve(dir, MARKDOWN), out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
        return text;
    }

    private static Map<String, Object> task(String dir, TaskResult task, StringBuilder md, StringBuilder readme) throws IOException {
        Comparison comparison = task.sweep().comparison();
        List<TrialResult> rows = task.sweep().results();
        Map<Integer, Trial> trialOfConfig = new LinkedHashMap<>();
        for (Trial t : SweepPlan.trials(task.spec(), 0)) {
            trialOfConfig.putIfAbsent(t.config(), t);
        }
        List<Arm> arms = new ArrayList<>();
        comparison.best().forEach((name, c) -> arms.add(new Arm(name, c, c == null ? Double.NaN
                : JobConfig.of(JobConfig.withOverrides(task.spec().base(), trialOfConfig.get(c.config()).overrides()))
                        .number("train.lr"))));
        ConfigSummary baseline = comparison.baseline();

        md.append("\n## ").append(task.name()).append(" (").append(task.data()).append(")\n\n")
                .append("Sweep: `").append(task.sweep().out()).append("`. Each arm's configuration is chosen on validation;")
                .append(" test metrics are of that configuration, mean ± sd over its seeds.\n\n")
                .append("| arm | strategy | chosen configuration | lr | runs | failed | val accuracy | test accuracy | test AUC |\n")
                .append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        List<Map<String, Object>> armsJson = new ArrayList<>();
        for (Arm a : arms) {
            ConfigSummary c = a.chosen();
            if (c == null) {
                md.append("| ").append(a.name()).append(" | | no configuration without failed trials | | | | | | |\n");
                armsJson.add(Map.of("arm", a.name(), "chosen", "none: every configuration has a failed trial"));
                continue;
            }
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %d | %d | %s | %s | %s |%n", a.name(), c.strategy(),
                    c.params().isEmpty() ? "(one configuration)" : c.params(), lr(a.lr()), c.runs(), c.failed(),
                    mean(c.valAccuracy()), c.testAccuracy(), c.testAuc()));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("arm", a.name());
            m.put("strategy", c.strategy());
            m.put("config", c.config());
            m.put("params", c.params());
            m.put("lr", a.lr());
            m.put("runs", c.runs());
            m.put("failed", c.failed());
            m.put("val_accuracy", c.valAccuracy().toMap());
            m.put("test_accuracy", c.testAccuracy().toMap());
            m.put("test_auc", c.testAuc().toMap());
            armsJson.add(m);
        }

        List<Paired> paired = new ArrayList<>();
        md.append("\n### MetaLR against the best tuned baseline\n\n");
        if (baseline == null) {
            md.append("No baseline arm completed: no paired differences.\n");
        } else {
            md.append(String.format(Locale.ROOT, "Best tuned baseline (on validation %s): **%s** (%s), test accuracy %s.%n%n",
                    selectMetricOf(task), baseline.arm(), baseline.params().isEmpty() ? "one configuration" : baseline.params(),
                    baseline.testAccuracy()));
            md.append("| MetaLR arm | metric | seeds | per-seed differences (points) | mean | sd | 95% CI (Student t, n-1 dof) |\n")
                    .append("| --- | --- | --- | --- | --- | --- | --- |\n");
            for (Arm a : arms) {
                if (a.chosen() == null || !a.chosen().strategy().equals(Comparison.METALR)) {
                    continue;
                }
                PairedDifference acc = pair(rows, a.chosen().config(), baseline.config(), TrialResult::testAccuracy);
                PairedDifference auc = pair(rows, a.chosen().config(), baseline.config(), TrialResult::testAuc);
                String chart = lrChart(dir, task, a, rows);
                paired.add(new Paired(a.name(), acc, auc, chart));
                md.append(pairedRow(a.name(), "test accuracy", acc)).append(pairedRow(a.name(), "test AUC", auc));
            }
        }
        for (Arm a : arms) {
            if (a.chosen() == null) {
                continue;
            }
            Paired p = paired.stream().filter(x -> x.arm().equals(a.name())).findFirst().orElse(null);
            readme.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %s | %s | %s |%n", task.name(), a.name(), lr(a.lr()),
                    a.chosen().testAccuracy().n(), a.chosen().testAccuracy(), a.chosen().testAuc(),
                    p != null ? p.testAccuracy().points() : baseline != null && a.chosen().config() == baseline.config()
                            ? "best tuned baseline" : ""));
        }
        if (!paired.isEmpty()) {
            md.append("\n### Learning rates of the MetaLR arms (mean over seeds)\n\n");
            for (Paired p : paired) {
                md.append("- ").append(p.arm()).append(": ").append(p.chart() == null ? "no run directory with lr.csv"
                        : "![" + task.name() + " " + p.arm() + "](" + p.chart() + ")").append('\n');
            }
        }

        Map<String, Object> m = new LinkedHashMap<>();
        m.put("task", task.name());
        m.put("data", task.data());
        m.put("sweep", task.sweep().out());
        m.put("select_metric", selectMetricOf(task));
        m.put("arms", armsJson);
        m.put("best_baseline", baseline == null ? null : Map.of("arm", baseline.arm(), "config", baseline.config(),
                "params", baseline.params()));
        List<Map<String, Object>> pairedJson = new ArrayList<>();
        for (Paired p : paired) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("arm", p.arm());
            e.put("test_accuracy", p.testAccuracy().toMap());
            e.put("test_auc", p.testAuc().toMap());
            e.put("lr_chart", p.chart());
            pairedJson.add(e);
        }
        m.put("metalr_vs_best_baseline", pairedJson);
        return m;
    }

    /**
     * {@code armConfig}'s metric minus {@code baselineConfig}'s, seed by seed, over the seeds where
     * both trials completed with a defined value.
     */
    static PairedDifference pair(List<TrialResult> rows, int armConfig, int baselineConfig, Function<TrialResult, Double> metric) {
        Map<Long, Double> arm = bySeed(rows, armConfig, metric);
        Map<Long, Double> base = bySeed(rows, baselineConfig, metric);
        List<Long> seeds = new ArrayList<>();
        List<Double> diffs = new ArrayList<>();
        arm.forEach((seed, v) -> {
            Double b = base.get(seed);
            if (b != null) {
                seeds.add(seed);
                diffs.add(v - b);
            }
        });
        return PairedDifference.of(seeds, diffs.stream().mapToDouble(Double::doubleValue).toArray());
    }

    private static Map<Long, Double> bySeed(List<TrialResult> rows, int config, Function<TrialResult, Double> metric) {
        Map<Long, Double> out = new TreeMap<>();
        for (TrialResult r : rows) {
            Double v = r.config() == config && r.ok() ? metric.apply(r) : null;
            if (v != null && !v.isNaN() && r.seed() != null) {
                out.put(r.seed(), v);
            }
        }
        return out;
    }

    /** The arm's mean learning-rate curves as a PNG under charts/; its path relative to the report, or null without runs. */
    private static String lrChart(String dir, TaskResult task, Arm a, List<TrialResult> rows) throws IOException {
        if (!task.spec().trialRuns()) {
            return null;
        }
        List<String> runDirs = rows.stream().filter(r -> r.config() == a.chosen().config() && r.ok())
                .map(r -> DataPaths.resolve(DataPaths.resolve(task.sweep().out(), "trials"), "trial-" + r.trial())).toList();
        if (runDirs.isEmpty()) {
            return null;
        }
        LrCurves curves = LrCurves.mean(runDirs);
        byte[] png = RunCharts.learningRates(String.format(Locale.ROOT, "%s, %s: learning rate per layer group (mean of %d seeds)",
                task.name(), a.name(), curves.runs()), curves.groups(), curves.steps(), curves.rates());
        String name = CHARTS + "/" + task.name() + "-" + a.name() + "-lr.png";
        HadoopFiles.write(DataPaths.resolve(dir, name), out -> out.write(png));
        return name;
    }

    private static String pairedRow(String arm, String metric, PairedDifference d) {
        StringBuilder diffs = new StringBuilder();
        for (int i = 0; i < d.n(); i++) {
            diffs.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "seed %d: %+.1f", d.seeds().get(i), 100 * d.diffs()[i]));
        }
        return String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %s |%n", arm, metric, d.n(), diffs,
                points(d.mean()), Double.isFinite(d.sd()) ? String.format(Locale.ROOT, "%.2f", 100 * d.sd()) : "-", d.n() < 2 ? "-" : "[" + points(d.low()) + ", " + points(d.high()) + "]");
    }

    private static String points(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%+.2f", 100 * v) : "-";
    }

    private static String mean(Stats s) {
        return s.n() == 0 ? "-" : String.format(Locale.ROOT, "%.3f", s.mean());
    }

    private static String lr(double lr) {
        return Double.isFinite(lr) ? new java.math.BigDecimal(Double.toString(lr)).stripTrailingZeros().toPlainString() : "-";
    }

    private static String selectMetricOf(TaskResult task) {
        return JobConfig.of(task.spec().base()).word("train.select_metric");
    }

    private static double trialSeconds(List<TaskResult> tasks) {
        return tasks.stream().flatMap(t -> t.sweep().results().stream())
                .mapToDouble(r -> (r.endedAtMs() - r.startedAtMs()) / 1000.0).sum();
    }
}
