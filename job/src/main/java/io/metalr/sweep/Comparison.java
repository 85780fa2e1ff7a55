package io.metalr.sweep;

import io.metalr.eval.Stats;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The sweep's comparison, from the results table alone: each configuration's metrics as mean ± sd
 * over its seeds (or folds); each arm's (variant's, or strategy's) best configuration, chosen on the
 * VALIDATION metric (train.select_metric) among the configurations none of whose trials failed;
 * and each MetaLR arm's best against the best tuned baseline (the best of the other arms' bests,
 * again chosen on validation), as differences of test means (MetaLR minus baseline).
 */
public final class Comparison {

    /** One configuration over its seeds or folds. */
    public record ConfigSummary(String arm, String strategy, int config, String params, int runs, int failed,
            Stats valAccuracy, Stats valAuc, Stats valLoss, Stats testAccuracy, Stats testAuc) {

        /** The validation mean that selects, higher better (the loss negated). */
        double selection(String metric) {
            return switch (metric) {
                case "accuracy" -> valAccuracy.mean();
                case "loss" -> -valLoss.mean();
                default -> valAuc.mean();
            };
        }

        Stats selectionStats(String metric) {
            return switch (metric) {
                case "accuracy" -> valAccuracy;
                case "loss" -> valLoss;
                default -> valAuc;
            };
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("arm", arm);
            m.put("strategy", strategy);
            m.put("config", config);
            m.put("params", params);
            m.put("runs", runs);
            m.put("failed", failed);
            m.put("val_accuracy", valAccuracy.toMap());
            m.put("val_auc", valAuc.toMap());
            m.put("val_loss", valLoss.toMap());
            m.put("test_accuracy", testAccuracy.toMap());
            m.put("test_auc", testAuc.toMap());
            return m;
        }
    }

    /** A MetaLR arm's best configuration against the best tuned baseline: MetaLR minus baseline. */
    public record Difference(ConfigSummary metalr, double testAccuracy, double testAuc) {}

    public static final String METALR = "metalr";

    private final String selectMetric;
    private final int trials;
    private final List<TrialResult> failures;
    private final List<ConfigSummary> configurations;
    private final Map<String, ConfigSummary> best;
    private final ConfigSummary baseline;
    private final List<Difference> differences;

    private Comparison(String selectMetric, int trials, List<TrialResult> failures, List<ConfigSummary> configurations,
            Map<String, ConfigSummary> best, ConfigSummary baseline, List<Difference> differences) {
        this.selectMetric = selectMetric;
        this.trials = trials;
        this.failures = failures;
        this.configurations = configurations;
        this.best = best;
        this.baseline = baseline;
        this.differences = differences;
    }

    /** @param selectMetric accuracy, auc or loss: the validation metric that picks the best configuration */
    public static Comparison of(List<TrialResult> results, String selectMetric) {
        Map<Integer, List<TrialResult>> byConfig = new LinkedHashMap<>();
        for (TrialResult r : results) {
            byConfig.computeIfAbsent(r.config(), c -> new ArrayList<>()).add(r);
        }
        List<ConfigSummary> configurations = new ArrayList<>();
        byConfig.forEach((config, rows) -> configurations.add(summarise(config, rows)));
        Map<String, ConfigSummary> best = new LinkedHashMap<>();
        for (ConfigSummary c : configurations) {
            best.putIfAbsent(c.arm(), null);
            double v = c.selection(selectMetric);
            ConfigSummary sofar = best.get(c.arm());
            if (c.failed() == 0 && !Double.isNaN(v) && (sofar == null || v > sofar.selection(selectMetric))) {
                best.put(c.arm(), c);
            }
        }
        ConfigSummary baseline = null;
        for (ConfigSummary b : best.values()) {
            if (b != null && !b.strategy().equals(METALR)
                    && (baseline == null || b.selection(selectMetric) > baseline.selection(selectMetric))) {
                baseline = b;
            }
        }
        List<Difference> differences = new ArrayList<>();
        for (ConfigSummary b : best.values()) {
            if (b != null && b.strategy().equals(METALR) && baseline != null) {
                differences.add(new Difference(b, b.testAccuracy().mean() - baseline.testAccuracy().mean(),
                        b.testAuc().mean() - baseline.testAuc().mean()));
            }
        }
        List<TrialResult> failures = results.stream().filter(r -> !r.ok()).toList();
        return new Comparison(selectMetric, results.size(), failures, configurations, best, baseline, differences);
    }

    private static ConfigSummary summarise(int config, List<TrialResult> rows) {
        TrialResult first = rows.get(0);
        String strategy = rows.stream().map(TrialResult::strategy).filter(s -> !s.isEmpty()).findFirst().orElse("");
        String arm = first.variant().isEmpty() ? strategy : first.variant();
        int failed = (int) rows.stream().filter(r -> !r.ok()).count();
        return new ConfigSummary(arm, strategy, config, first.params(), rows.size(), failed,
                Stats.of(rows.stream().map(TrialResult::valAccuracy).toList()),
                Stats.of(rows.stream().map(TrialResult::valAuc).toList()),
                Stats.of(rows.stream().map(TrialResult::valLoss).toList()),
                Stats.of(rows.stream().map(TrialResult::testAccuracy).toList()),
                Stats.of(rows.stream().map(TrialResult::testAuc).toList()));
    }

    public List<ConfigSummary> configurations() {
        return configurations;
    }

    /** Each arm's best configuration; null for an arm none of whose configurations completed. */
    public Map<String, ConfigSummary> best() {
        return best;
    }

    /** The best tuned baseline, or null when no non-MetaLR arm completed. */
    public ConfigSummary baseline() {
        return baseline;
    }

    public List<Difference> differences() {
        return differences;
    }

    /** For comparison.json. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("select_metric", selectMetric);
        m.put("trials", trials);
        m.put("failed", failures.size());
        m.put("configurations", configurations.stream().map(ConfigSummary::toMap).toList());
        List<Object> bests = new ArrayList<>();
        best.forEach((arm, b) -> {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("arm", arm);
            e.put("best", b == null ? null : b.toMap());
            bests.add(e);
        });
        m.put("best_per_arm", bests);
        m.put("best_baseline", baseline == null ? null : baseline.toMap());
        List<Object> diffs = new ArrayList<>();
        for (Difference d : differences) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("arm", d.metalr().arm());
            e.put("config", d.metalr().config());
            e.put("baseline_arm", baseline.arm());
            e.put("baseline_config", baseline.config());
            e.put("test_accuracy_difference", d.testAccuracy());
            e.put("test_auc_difference", d.testAuc());
            diffs.add(e);
        }
        m.put("metalr_vs_best_baseline", diffs);
        return m;
    }

    /** For comparison.md and the console. */
    public String markdown() {
        StringBuilder b = new StringBuilder("# Sweep comparison\n\n");
        b.append(String.format(Locale.ROOT, "%d trials, %d failed. Mean ± sd over seeds/folds; the best configuration of an arm"
                + " is chosen on validation %s among configurations with no failed trial.%n%n", trials, failures.size(), selectMetric));
        b.append("## Configurations\n\n| arm | strategy | config | params | runs | failed | val acc | val AUC | test acc | test AUC |\n"
                + "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (ConfigSummary c : configurations) {
            b.append(row(c.arm(), c.strategy(), c.config(), params(c), c.runs(), c.failed(), c.valAccuracy(), c.valAuc(),
                    c.testAccuracy(), c.testAuc()));
        }
        b.append("\n## Best configuration per arm (chosen on validation ").append(selectMetric).append(")\n\n")
                .append("| arm | strategy | config | params | runs | val ").append(selectMetric).append(" | test acc | test AUC |\n")
                .append("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
        best.forEach((arm, c) -> b.append(c == null
                ? "| " + cell(arm) + " | | | no configuration without failures | | | | |\n"
                : row(arm, c.strategy(), c.config(), params(c), c.runs(), c.selectionStats(selectMetric), c.testAccuracy(),
                        c.testAuc())));
        b.append("\n## MetaLR against the best tuned baseline\n\n");
        if (baseline == null || differences.isEmpty()) {
            boolean anyMetalr = configurations.stream().anyMatch(c -> c.strategy().equals(METALR));
            boolean anyBaseline = configurations.stream().anyMatch(c -> !c.strategy().equals(METALR));
            b.append(!anyMetalr ? "The sweep has no MetaLR arm.\n"
                    : !anyBaseline ? "The sweep has no baseline arm.\n"
                    : baseline == null ? "No baseline arm completed.\n" : "No MetaLR arm completed.\n");
        } else {
            b.append(String.format(Locale.ROOT, "Best tuned baseline: %s (config %d, %s): test acc %s, test AUC %s.%n%n",
                    baseline.arm(), baseline.config(), params(baseline), baseline.testAccuracy(), baseline.testAuc()));
            b.append("| MetaLR arm | config | params | test acc | difference | test AUC | difference |\n"
                    + "| --- | --- | --- | --- | --- | --- | --- |\n");
            for (Difference d : differences) {
                ConfigSummary c = d.metalr();
                b.append(row(c.arm(), c.config(), params(c), c.testAccuracy(), signed(d.testAccuracy()), c.testAuc(),
                        signed(d.testAuc())));
            }
        }
        if (!failures.isEmpty()) {
            b.append("\n## Failed trials\n\n| trial | arm | params | seed | error |\n| --- | --- | --- | --- | --- |\n");
            for (TrialResult f : failures) {
                b.append(row(f.trial(), f.arm(), f.params(), f.seed() == null ? "" : f.seed(), f.error()));
            }
        }
        return b.toString();
    }

    private static String params(ConfigSummary c) {
        return c.params().isEmpty() ? "-" : c.params();
    }

    private static String signed(double d) {
        return Double.isNaN(d) ? "-" : String.format(Locale.ROOT, "%+.3f", d);
    }

    private static String row(Object... cells) {
        StringBuilder b = new StringBuilder("|");
        for (Object c : cells) {
            b.append(' ').append(cell(String.valueOf(c))).append(" |");
        }
        return b.append('\n').toString();
    }

    /** A table cell: one line, pipes escaped, long errors cut. */
    private static String cell(String s) {
        String one = s.replace('\n', ' ').replace("|", "\\|");
        return one.length() > 200 ? one.substring(0, 197) + "..." : one;
    }
}
