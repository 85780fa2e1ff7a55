package io.metalr;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * The one local Spark session of the test JVM. Spark allows one context per JVM, so test classes
 * share it instead of each starting (and racing to stop) their own; it ends with the JVM.
 */
public final class TestSpark {

    private TestSpark() {}

    public static synchronized SparkSession session() {
        return SparkSession.builder()
                .master("local[2]")
                .appName("metalr-tests")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "2")
                .getOrCreate();
    }

    public static JavaSparkContext context() {
        return JavaSparkContext.fromSparkContext(session().sparkContext());
    }
}
