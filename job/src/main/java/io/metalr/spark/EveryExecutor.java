package io.metalr.spark;

import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.BlockManagerId;

import scala.Tuple2;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * Runs a small action in this JVM and in every executor of the application, for what lives in an
 * executor JVM outside any partition (stores, model replicas): tasks that go wherever Spark puts
 * them would miss an executor that holds none of a run's partitions. A first job spreads a few
 * tasks per executor over the free executors; each executor it missed then gets a task that
 * prefers it by id ({@code executor_<host>_<id>}, Spark's own form of a cached block's location),
 * until every executor answered or three such jobs did not reach the rest.
 */
public final class EveryExecutor {

    /** What runs on each executor. */
    public interface Action<T extends Serializable> extends Serializable {
        T run();
    }

    /** A void action that travels to executors. */
    public interface Task extends Runnable, Serializable {}

    /** The executor id of the driver's JVM (Spark's SparkContext.DRIVER_IDENTIFIER). */
    private static final String DRIVER = "driver";

    private static final int TARGETED_JOBS = 3;

    private EveryExecutor() {}

    /**
     * The action's result in every executor that answered, by executor id ({@code driver} for this
     * JVM, which in local mode is the one executor). An executor that left during the call, or that
     * three targeted jobs did not reach, has no entry.
     */
    public static <T extends Serializable> Map<String, T> call(JavaSparkContext sc, Action<T> action) {
        Map<String, T> out = new TreeMap<>();
        out.put(DRIVER, action.run());
        Map<String, String> hosts = executorHosts();
        if (hosts.isEmpty()) {
            return out; // local mode: the driver's JVM runs the tasks
        }
        int tasks = Math.max(sc.defaultParallelism(), 4 * hosts.size());
        collect(sc.parallelize(IntStream.range(0, tasks).boxed().toList(), tasks), action, out);
        for (int job = 0; job < TARGETED_JOBS; job++) {
            Map<String, String> now = executorHosts(); // without those that left meanwhile
            Set<String> missed = new TreeSet<>(now.keySet());
            missed.removeAll(out.keySet());
            if (missed.isEmpty()) {
                break;
            }
            collect(targeted(sc, missed, now), action, out);
        }
        return out;
    }

    /** Runs {@code action} everywhere; the executors it missed (see {@link #call}), by id. */
    public static Set<String> run(JavaSparkContext sc, Task action) {
        Map<String, Boolean> ran = call(sc, () -> {
            action.run();
            return Boolean.TRUE;
        });
        Set<String> missed = new TreeSet<>(executorHosts().keySet());
        missed.removeAll(ran.keySet());
        return missed;
    }

    private static <T extends Serializable> void collect(JavaRDD<Integer> tasks, Action<T> action, Map<String, T> out) {
        List<Tuple2<String, T>> answers = tasks.mapPartitions(it -> {
            List<Tuple2<String, T>> one = new ArrayList<>();
            one.add(new Tuple2<>(SparkEnv.get().executorId(), action.run()));
            return one.iterator();
        }).collect();
        answers.forEach(a -> out.putIfAbsent(a._1(), a._2()));
    }

    /** One task per executor of {@code ids}, each preferring its executor. */
    private static JavaRDD<Integer> targeted(JavaSparkContext sc, Set<String> ids, Map<String, String> hosts) {
        List<Tuple2<Integer, scala.collection.immutable.Seq<String>>> parts = new ArrayList<>();
        for (String id : ids) {
            String host = hosts.get(id);
            if (host != null) {
                parts.add(new Tuple2<>(parts.size(), CollectionConverters.asScala(List.of("executor_" + host + "_" + id)).toList()));
            }
        }
        ClassTag<Integer> tag = scala.reflect.ClassTag$.MODULE$.apply(Integer.class);
        return sc.sc().makeRDD(CollectionConverters.asScala(parts).toList(), tag).toJavaRDD();
    }

    /** The executors that registered with the driver (block managers, the driver's left out), id to host. */
    private static Map<String, String> executorHosts() {
        Map<String, String> out = new TreeMap<>();
        for (BlockManagerId b : CollectionConverters.asJava(SparkEnv.get().blockManager().master().getMemoryStatus()).keySet()) {
            if (!b.executorId().equals(DRIVER)) {
                out.put(b.executorId(), b.host());
            }
        }
        return out;
    }
}
