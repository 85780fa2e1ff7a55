package io.metalr.sweep;

import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.VoidFunction;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Spark task of a sweep: runs its trials one after the other (one trial, unless
 * sweep.parallelism caps the tasks), committing each trial's row as it ends. A trial whose row is
 * already committed (by an earlier attempt of this task, or an earlier start of the sweep) is
 * skipped. A trial that dies of an infrastructure failure does not stop the others of the task;
 * the task fails after them, so Spark's retry runs that trial alone.
 */
final class TrialTask implements VoidFunction<List<Trial>> {

    private static final long serialVersionUID = 1L;

    /**
     * Test seam: trial ids (comma-separated) whose task dies, as if its executor were lost, on its
     * first attempt, before the trial starts. Read in the JVM that runs the task (a local master's).
     */
    static final String FAIL_FIRST_ATTEMPT = "metalr.sweep.test.fail_first_attempt";

    private static final AtomicLong STARTED = new AtomicLong();

    private final String base;
    private final String trialsDir;
    private final boolean threadsFromTaskCpus;
    private final TrialRows rows;

    /**
     * @param base the base config as HOCON
     * @param trialsDir where each trial writes its run directory; null = nowhere
     * @param threadsFromTaskCpus give libtorch spark.task.cpus threads (executors of a cluster; a
     *     local master's tasks share the driver's JVM, whose threads the driver already set)
     * @param rows where the rows are committed
     */
    TrialTask(String base, String trialsDir, boolean threadsFromTaskCpus, TrialRows rows) {
        this.base = base;
        this.trialsDir = trialsDir;
        this.threadsFromTaskCpus = threadsFromTaskCpus;
        this.rows = rows;
    }

    @Override
    public void call(List<Trial> trials) throws Exception {
        TaskContext tc = TaskContext.get();
        if (threadsFromTaskCpus && tc != null) {
            ai.djl.engine.Engine.getInstance(); // loads libtorch before it is configured
            ai.djl.pytorch.jni.JniUtils.setNumThreads(Math.max(1, tc.cpus()));
        }
        int attempt = tc == null ? 0 : tc.attemptNumber();
        RuntimeException failed = null;
        for (Trial t : trials) {
            String prefix = "[" + t.label() + "] ";
            if (rows.find(t.id()) != null) {
                System.out.println(prefix + "already committed, skipped");
                continue;
            }
            try {
                failIfInjected(t, attempt);
                System.out.println(prefix + "started");
                STARTED.incrementAndGet();
                TrialResult r = TrialRun.run(base, t, trialsDir, line -> System.out.println(prefix + line));
                System.out.println(prefix + (r.ok()
                        ? String.format(java.util.Locale.ROOT, "val acc %.3f auc %.3f | test acc %.3f auc %.3f | %.1fs",
                                r.valAccuracy(), r.valAuc(), nan(r.testAccuracy()), nan(r.testAuc()), r.trainSeconds())
                        : r.error()));
                rows.commit(r, attempt);
            } catch (RuntimeException e) {
                System.out.println(prefix + "did not finish, the task fails after its other trials: " + e);
                if (failed == null) {
                    failed = e;
                } else {
                    failed.addSuppressed(e);
                }
            }
        }
        if (failed != null) {
            throw failed;
        }
    }

    /** How many trials this JVM has started (for tests and logs). */
    static long started() {
        return STARTED.get();
    }

    private static void failIfInjected(Trial t, int attempt) {
        String ids = System.getProperty(FAIL_FIRST_ATTEMPT, "");
        if (attempt == 0 && Arrays.stream(ids.split(",")).map(String::trim).anyMatch(String.valueOf(t.id())::equals)) {
            throw new IllegalStateException("trial " + t.id() + ": task failure injected by -D" + FAIL_FIRST_ATTEMPT);
        }
    }

    private static double nan(Double d) {
        return d == null ? Double.NaN : d;
    }
}
