package io.metalr.sweep;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigResolveOptions;

import io.metalr.config.JobConfig;
import io.metalr.data.read.DataPaths;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;

/**
 * A sweep on Spark: the trials of a {@link SweepSpec}, one Spark task each (each trains in one
 * process on its task's device), then {@code results.csv}, {@code results.parquet},
 * {@code comparison.md} and {@code comparison.json} in the output folder.
 */
public final class Sweep {

    /** The rows in trial order, their comparison, and where they were written. */
    public record Result(List<TrialResult> results, Comparison comparison, String out) {}

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Sweep() {}

    public static Result run(SparkSession spark, SweepSpec spec, Consumer<String> log) throws IOException {
        JobConfig base = JobConfig.of(spec.base());
        String outDir = outDir(spec, base);
        List<Trial> trials = SweepPlan.trials(spec, base.integer("data.folds"));
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int tasks = spec.parallelism() == 0 ? trials.size() : Math.min(spec.parallelism(), trials.size());
        int atOnce = Math.min(tasks, Math.max(1, sc.defaultParallelism()));
        boolean local = sc.master().startsWith("local");
        String threads = "spark.task.cpus";
        if (local) {
            // the tasks share this JVM: split its cores between the trials that run at once
            int t = Math.max(1, Runtime.getRuntime().availableProcessors() / atOnce);
            ai.djl.engine.Engine.getInstance(); // loads libtorch before it is configured
            ai.djl.pytorch.jni.JniUtils.setNumThreads(t);
            threads = String.valueOf(t);
        }
        log.accept(String.format("sweep: %d trials (%d configurations), up to %d at a time on %s, libtorch threads per trial: %s;"
                + " results to %s", trials.size(), trials.get(trials.size() - 1).config() + 1, atOnce, sc.master(), threads, outDir));

        // substitutions the base can resolve alone are resolved here, once, not on every executor
        String baseHocon = spec.base().resolve(ConfigResolveOptions.defaults().setAllowUnresolved(true)).root()
                .render(ConfigRenderOptions.concise());
        sc.setJobDescription("metalr sweep: " + trials.size() + " trials");
        long started = System.nanoTime();
        List<TrialResult> results = new ArrayList<>(
                sc.parallelize(deal(trials, tasks), tasks).flatMap(new TrialTask(baseHocon, spec.trialRuns() ? outDir + "/trials" : null, !local)).collect());
        results.sort(Comparator.comparingInt(TrialResult::trial));
        log.accept(String.format("sweep: %d trials done in %.1fs", results.size(), (System.nanoTime() - started) / 1e9));

        Comparison comparison = Comparison.of(results, base.word("train.select_metric"));
        SweepOutput out = new SweepOutput(outDir);
        out.writeText("base.conf", base.render());
        out.writeText("results.csv", ResultsTable.csv(results));
        out.writeParquet("results.parquet", ResultsTable.frame(spark, results));
        out.writeText("comparison.md", comparison.markdown());
        out.writeText("comparison.json", JSON.writeValueAsString(comparison.toMap()));
        log.accept(comparison.markdown());
        log.accept("wrote " + out.path("results.csv") + ", results.parquet, comparison.md, comparison.json");
        return new Result(results, comparison, outDir);
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
