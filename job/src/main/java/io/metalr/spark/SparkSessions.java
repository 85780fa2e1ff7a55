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

    public static JavaSparkContext context(JobConfig cfg) {
        SparkConf conf = new SparkConf();
        SparkSession.Builder b = SparkSession.builder().appName("metalr-spark");
        if (!conf.contains("spark.master")) {
            b.master(cfg.string("distributed.master"));
        }
        if (!conf.contains("spark.broadcast.compress")) {
            // weights and directions are floats that do not compress: lz4 would only cost time
            b.config("spark.broadcast.compress", "false");
        }
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
