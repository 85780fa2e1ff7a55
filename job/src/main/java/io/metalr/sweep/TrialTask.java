package io.metalr.sweep;

import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The Spark task of a sweep: runs its trials one after the other (one trial, unless
 * sweep.parallelism caps the tasks) and returns their rows.
 */
final class TrialTask implements FlatMapFunction<List<Trial>, TrialResult> {

    private static final long serialVersionUID = 1L;

    private final String base;
    private final String trialsDir;
    private final boolean threadsFromTaskCpus;

    /**
     * @param base the base config as HOCON
     * @param trialsDir where each trial writes its run directory; null = nowhere
     * @param threadsFromTaskCpus give libtorch spark.task.cpus threads (executors of a cluster; a
     *     local master's tasks share the driver's JVM, whose threads the driver already set)
     */
    TrialTask(String base, String trialsDir, boolean threadsFromTaskCpus) {
        this.base = base;
        this.trialsDir = trialsDir;
        this.threadsFromTaskCpus = threadsFromTaskCpus;
    }

    @Override
    public Iterator<TrialResult> call(List<Trial> trials) {
        TaskContext tc = TaskContext.get();
        if (threadsFromTaskCpus && tc != null) {
            ai.djl.engine.Engine.getInstance(); // loads libtorch before it is configured
            ai.djl.pytorch.jni.JniUtils.setNumThreads(Math.max(1, tc.cpus()));
        }
        List<TrialResult> out = new ArrayList<>();
        for (Trial t : trials) {
            String prefix = "[" + t.label() + "] ";
            System.out.println(prefix + "started");
            TrialResult r = TrialRun.run(base, t, trialsDir, line -> System.out.println(prefix + line));
            System.out.println(prefix + (r.ok()
                    ? String.format(java.util.Locale.ROOT, "val acc %.3f auc %.3f | test acc %.3f auc %.3f | %.1fs",
                            r.valAccuracy(), r.valAuc(), nan(r.testAccuracy()), nan(r.testAuc()), r.trainSeconds())
                    : r.error()));
            out.add(r);
        }
        return out.iterator();
    }

    private static double nan(Double d) {
        return d == null ? Double.NaN : d;
    }
}
