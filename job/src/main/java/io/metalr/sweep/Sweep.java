package io.metalr.sweep;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigResolveOptions;

import io.metalr.config.JobConfig;
import io.metalr.data.read.DataPaths;

import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

/**
 * A sweep on Spark: the trials of a {@link SweepSpec}, one Spark task each (each trains in one
 * process on its task's device and commits its row as it ends, see {@link TrialRows}), then
 * {@code results.csv}, {@code results.parquet}, {@code comparison.md} and {@code comparison.json}
 * in the output folder, assembled from the committed rows.
 */
public final class Sweep {

    /** The rows in trial order, their comparison, and where they were written. */
    public record Result(List<TrialResult> results, Comparison comparison, String out) {}

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Sweep() {}

    /** Runs the sweep into its output, replacing a sweep found there (the demo reruns into one folder). */
    public static Result run(SparkSession spark, SweepSpec spec, Consumer<String> log) throws IOException {
        return run(spark, spec, false, true, log);
    }

    /**
     * Runs the sweep: each trial commits its row to {@code <out>/rows} as it ends, and the tables are
     * assembled from the committed rows once every trial has one. An output holding a sweep already
     * is refused, unless {@code resume} (the same sweep: only the trials without a row run) or
     * {@code overwrite} (replaced). When trials end without a row (their tasks failed), the others'
     * rows stay committed and this throws, naming them: a resume runs just those.
     */
    public static Result run(SparkSession spark, SweepSpec spec, boolean resume, boolean overwrite, Consumer<String> log)
            throws IOException {
        return run(spark, spec, resume, overwrite, false, log);
    }

    /**
     * Runs the sweep, continuing the one its output holds: only the trials without a committed row
     * run, and a finished sweep's tables are assembled again from its rows (the study's rerun).
     * An output holding another sweep is refused, naming what differs.
     */
    public static Result continueOrStart(SparkSession spark, SweepSpec spec, Consumer<String> log) throws IOException {
        return run(spark, spec, false, false, true, log);
    }

    private static Result run(SparkSession spark, SweepSpec spec, boolean resume, boolean overwrite, boolean continuing,
            Consumer<String> log) throws IOException {
        JobConfig base = JobConfig.of(spec.base());
        String outDir = outDir(spec, base);
        List<Trial> trials = SweepPlan.trials(spec, base.integer("data.folds"));
        SweepManifest manifest = SweepManifest.of(base, trials);
        SweepOutput out = new SweepOutput(outDir);
        if (continuing) {
            out.continueOrStart(manifest);
        } else {
            out.start(manifest, resume, overwrite);
        }
        TrialRows rows = new TrialRows(out.path(TrialRows.DIR), manifest.fingerprint(), UUID.randomUUID().toString());
        Map<Integer, TrialRows.Committed> committed = rows.all();
        List<Trial> todo = trials.stream().filter(t -> !committed.containsKey(t.id())).toList();
        if (resume || continuing && !committed.isEmpty()) {
            log.accept(String.format("sweep: resuming %s: %d of %d trials have committed rows, %d to run", out.path(),
                    committed.size(), trials.size(), todo.size()));
        }
        TrialTask task = new TrialTask(baseHocon(spec), spec.trialRuns() ? out.path("trials") : null,
                !spark.sparkContext().master().startsWith("local"), rows);
        List<String> failures = todo.isEmpty() ? List.of() : runTrials(spark, spec, todo, trials, task, out.path(), log);

        Map<Integer, TrialRows.Committed> done = rows.all();
        List<Integer> missing = trials.stream().map(Trial::id).filter(id -> !done.containsKey(id)).toList();
        if (!missing.isEmpty()) {
            throw new IllegalStateException(String.format("sweep: %d of %d trials ended without a result (%s)%s; the other %d"
                    + " rows are committed in %s: run the same sweep again with --resume to run only the missing trials",
                    missing.size(), trials.size(), ids(missing), failures.isEmpty() ? "" : ": " + String.join("; ", failures),
                    done.size(), rows.dir()));
        }
        List<TrialResult> results = new ArrayList<>();
        for (Trial t : trials) {
            results.add(done.get(t.id()).result());
        }

        Comparison comparison = Comparison.of(results, base.word("train.select_metric"));
        out.writeText("base.conf", base.render());
        out.writeText("results.csv", ResultsTable.csv(results));
        out.writeParquet("results.parquet", ResultsTable.frame(spark, results));
        out.writeText("comparison.md", comparison.markdown());
        out.writeText("comparison.json", JSON.writeValueAsString(comparison.toMap()));
        out.writeText(SweepOutput.SUCCESS, "");
        log.accept(comparison.markdown());
        log.accept("wrote " + out.path("results.csv") + ", results.parquet, comparison.md, comparison.json");
        return new Result(results, comparison, outDir);
    }

    /**
     * Runs {@code todo} as Spark tasks, each task its own job: a task that fails for good fails its
     * job alone, and the other trials still run and commit. Returns one line per failed task.
     */
    private static List<String> runTrials(SparkSession spark, SweepSpec spec, List<Trial> todo, List<Trial> trials,
            TrialTask task, String outDir, Consumer<String> log) {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int tasks = spec.parallelism() == 0 ? todo.size() : Math.min(spec.parallelism(), todo.size());
        int atOnce = Math.min(tasks, Math.max(1, sc.defaultParallelism()));
        String threads = "spark.task.cpus";
        if (sc.master().startsWith("local")) {
            // the tasks share this JVM: split its cores between the trials that run at once
            int t = Math.max(1, Runtime.getRuntime().availableProcessors() / atOnce);
            ai.djl.engine.Engine.getInstance(); // loads libtorch before it is configured
            ai.djl.pytorch.jni.JniUtils.setNumThreads(t);
            threads = String.valueOf(t);
        }
        log.accept(String.format("sweep: %s trials (%d configurations), up to %d at a time on %s, libtorch threads per trial: %s;"
                + " results to %s", todo.size() == trials.size() ? String.valueOf(todo.size()) : todo.size() + " of " + trials.size(),
                trials.get(trials.size() - 1).config() + 1, atOnce, sc.master(), threads, outDir));

        long started = System.nanoTime();
        List<List<Trial>> groups = deal(todo, tasks);
        List<JavaFutureAction<Void>> jobs = new ArrayList<>();
        for (List<Trial> group : groups) {
            sc.setJobDescription("metalr sweep: trial" + (group.size() > 1 ? "s " : " ") + ids(group.stream().map(Trial::id).toList()));
            jobs.add(sc.parallelize(List.of(group), 1).foreachAsync(task));
        }
        sc.setJobDescription(null);
        List<String> failures = new ArrayList<>();
        try {
            for (int i = 0; i < jobs.size(); i++) {
                try {
                    jobs.get(i).get();
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause() == null ? e : e.getCause();
                    String why = String.valueOf(cause.getMessage()).lines().findFirst().orElse("");
                    failures.add("task of trial" + (groups.get(i).size() > 1 ? "s " : " ")
                            + ids(groups.get(i).stream().map(Trial::id).toList()) + ": " + why);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            jobs.forEach(j -> j.cancel(true));
            throw new IllegalStateException("sweep: interrupted while its trials ran; the finished ones are committed", e);
        }
        log.accept(String.format("sweep: %d trials run in %.1fs", todo.size(), (System.nanoTime() - started) / 1e9));
        return failures;
    }

    /** The base config as HOCON; substitutions it can resolve alone are resolved here, once, not on every executor. */
    private static String baseHocon(SweepSpec spec) {
        return spec.base().resolve(ConfigResolveOptions.defaults().setAllowUnresolved(true)).root()
                .render(ConfigRenderOptions.concise());
    }

    /** "0, 3, 7" */
    private static String ids(List<Integer> ids) {
        return ids.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", "));
    }

    /** sweep.out, else run.dir/sweep. */
    static String outDir(SweepSpec spec, JobConfig base) {
        if (!spec.out().isEmpty()) {
            return spec.out();
        }
        String runDir = base.string("run.dir").trim();
        if (runDir.isEmpty()) {
            throw new IllegalArgumentException("sweep.out and run.dir are both empty: set one, the sweep writes its results there");
        }
        return DataPaths.resolve(runDir, "sweep");
    }

    /**
     * Trials dealt round-robin into {@code tasks} lists, one Spark partition each: one trial per
     * task by default, and with a cap on parallelism neighbours (often the same variant, of
     * similar cost) land in different tasks.
     */
    static List<List<Trial>> deal(List<Trial> trials, int tasks) {
        List<List<Trial>> out = new ArrayList<>();
        for (int i = 0; i < tasks; i++) {
            out.add(new ArrayList<>());
        }
        for (int i = 0; i < trials.size(); i++) {
            out.get(i % tasks).add(trials.get(i));
        }
        return out;
    }
}
