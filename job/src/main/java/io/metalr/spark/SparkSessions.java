package io.metalr.spark;

import io.metalr.config.JobConfig;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * The job's Spark session: the one spark-submit configured, or one the job starts on
 * {@code distributed.master} (local[*] by default, for runs on one machine).
 */
public final class SparkSessions {

    private SparkSessions() {}

    /**
     * The settings this job wants that {@code conf} does not set already (a user's spark-submit
     * settings win). Shards travel once, by broadcast; {@code metalr evaluate}'s scores come back
     * in task results.
     */
    public static java.util.Map<String, String> tuning(SparkConf conf) {
        java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
        // floats do not compress: lz4 would only cost time
        out.put("spark.broadcast.compress", "false");
        // a shard's scores go back inside the task's status message instead of through the block
        // manager and a second fetch (capped by spark.rpc.message.maxSize, 128 MiB by default)
        out.put("spark.task.maxDirectResultSize", "128m");
        // a shard's task must run where its cached partition (and store) is: a task sent elsewhere
        // finds no store, and the stores are rebuilt (ShardPartitions#fromStores); waiting is cheaper
        out.put("spark.locality.wait.process", "60s");
        out.keySet().removeIf(conf::contains);
        return out;
    }

    public static JavaSparkContext context(JobConfig cfg) {
        SparkConf conf = new SparkConf();
        SparkSession.Builder b = SparkSession.builder().appName("metalr-spark");
        if (!conf.contains("spark.master")) {
            b.master(cfg.string("distributed.master"));
        }
        tuning(conf).forEach(b::config);
        SparkSession spark = b.getOrCreate();
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        if (sc.master().startsWith("local")) {
            // executors share this JVM: split its cores between the concurrent tasks, or every
            // task's libtorch would start one thread per core and they would fight over them
            int slots = Math.max(1, sc.defaultParallelism());
            int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / slots);
            ai.djl.engine.Engine.getInstance(); // loads libtorch before it is configured
            ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
        }
        return sc;
    }
}
