package io.metalr.study;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValueType;

import io.metalr.config.JobConfig;
import io.metalr.data.read.DataPaths;
import io.metalr.sweep.Sweep;
import io.metalr.sweep.SweepSpec;

import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The comparison study: the same sweep (its arms, grids and seeds) on each of several tasks, then
 * one {@link StudyReport}. A study config is a sweep config plus a {@code study} block naming the
 * tasks, each a block of overrides (e.g. {@code brain_mri { data.path = "data/brain-mri.npz" }}).
 * Task {@code t}'s sweep writes to {@code <dir>/t/sweep} and its trials' run directories below it;
 * a rerun continues each sweep where it stopped (committed trials are not run again).
 */
public final class Study {

    /** The study's own block, taken out of the config before the sweeps see it. */
    public static final String BLOCK = "study";

    /** A task: its name and its full config (the sweep block included). */
    public record Task(String name, Config config) {}

    private Study() {}

    /**
     * The tasks of a study config, in config order, each with its outputs under {@code dir};
     * {@code only}, when not empty, keeps those tasks (each must exist).
     */
    public static List<Task> tasks(Config user, String dir, List<String> only) {
        ConfigObject block;
        try {
            block = user.getObject(BLOCK + ".tasks");
        } catch (ConfigException e) {
            throw new IllegalArgumentException("a study config needs study.tasks { name { key = value, ... }, ... }: "
                    + e.getMessage(), e);
        }
        for (String key : user.getObject(BLOCK).keySet()) {
            if (!key.equals("tasks")) {
                throw new IllegalArgumentException("unknown study key study." + key + " (the study block holds tasks only)");
            }
        }
        List<String> names = new ArrayList<>(block.keySet());
        names.sort((a, b) -> Integer.compare(block.get(a).origin().lineNumber(), block.get(b).origin().lineNumber()));
        if (names.isEmpty()) {
            throw new IllegalArgumentException("study.tasks is empty: name at least one task");
        }
        for (String o : only) {
            if (!names.contains(o)) {
                throw new IllegalArgumentException("--tasks: no task " + o + " in study.tasks (tasks: " + names + ")");
            }
        }
        Config common = user.withoutPath(BLOCK);
        List<Task> tasks = new ArrayList<>();
        for (String name : names) {
            if (!only.isEmpty() && !only.contains(name)) {
                continue;
            }
            if (block.get(name).valueType() != ConfigValueType.OBJECT || !name.matches("[A-Za-z0-9_-]+")) {
                throw new IllegalArgumentException("study.tasks." + name + " must be a block of overrides, named with letters,"
                        + " digits, _ and - (it names the task's folder)");
            }
            String taskDir = DataPaths.resolve(dir, name);
            Config outputs = ConfigFactory.parseString("run.dir = " + quote(taskDir) + "\nsweep.out = "
                    + quote(DataPaths.resolve(taskDir, "sweep")));
            tasks.add(new Task(name, outputs.withFallback(((ConfigObject) block.get(name)).toConfig()).withFallback(common)));
        }
        return tasks;
    }

    /**
     * Checks every task before anything runs (an hour-long study should not stop at its second
     * task for a typo or a missing file), then runs each task's sweep and writes the report.
     *
     * @param overwrite replace the tasks' sweeps instead of continuing them
     */
    public static String run(SparkSession spark, List<Task> tasks, String dir, boolean overwrite, String command,
            Consumer<String> log) throws IOException {
        long started = System.nanoTime();
        List<SweepSpec> specs = new ArrayList<>();
        for (Task t : tasks) {
            specs.add(check(t));
        }
        List<StudyReport.TaskResult> results = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) {
            Task t = tasks.get(i);
            SweepSpec spec = specs.get(i);
            log.accept("== study task " + t.name() + " (" + (i + 1) + " of " + tasks.size() + "): "
                    + dataName(spec));
            Sweep.Result r = overwrite ? Sweep.run(spark, spec, false, true, log) : Sweep.continueOrStart(spark, spec, log);
            results.add(new StudyReport.TaskResult(t.name(), dataName(spec), spec, r));
        }
        StudyReport.Header header = new StudyReport.Header(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), command,
                cpuModel(), Runtime.getRuntime().availableProcessors(), (System.nanoTime() - started) / 1e9);
        String md = StudyReport.write(dir, header, results);
        log.accept(md);
        log.accept("wrote " + DataPaths.resolve(dir, StudyReport.MARKDOWN) + ", " + StudyReport.JSON + " and "
                + StudyReport.CHARTS + "/");
        return md;
    }

    private static SweepSpec check(Task t) throws IOException {
        String in = "study.tasks." + t.name();
        SweepSpec spec;
        try {
            spec = SweepSpec.from(t.config());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(in + ": " + e.getMessage(), e);
        }
        JobConfig base = JobConfig.of(spec.base());
        if (base.integer("data.folds") >= 2) {
            throw new IllegalArgumentException(in + ": data.folds = " + base.integer("data.folds")
                    + ": the study pairs trials by seed; run it without folds");
        }
        if (spec.seeds().isEmpty()) {
            throw new IllegalArgumentException(in + ": sweep.seeds is empty; the study pairs the arms by seed, list them");
        }
        if (!spec.trialRuns()) {
            throw new IllegalArgumentException(in + ": sweep.trial_runs = false, but the study draws the MetaLR arms' rate"
                    + " curves from the trials' run directories");
        }
        String data = base.string("data.path").trim();
        if (!data.isEmpty() && !DataPaths.exists(data)) {
            throw new IllegalArgumentException(in + ": data.path " + data + " does not exist (prepare it, or leave the task"
                    + " out with --tasks)");
        }
        return spec;
    }

    private static String dataName(SweepSpec spec) {
        JobConfig base = JobConfig.of(spec.base());
        String path = base.string("data.path").trim();
        return path.isEmpty() ? "data.synthetic" : DataPaths.name(path);
    }

    /** /proc/cpuinfo's first "model name", or the JVM's architecture where there is none. */
    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8)) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return "unknown CPU (" + System.getProperty("os.arch") + ")";
    }

    private static String quote(String s) {
        return com.typesafe.config.ConfigUtil.quoteString(s);
    }
}
