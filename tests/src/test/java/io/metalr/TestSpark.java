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

    /**
     * A session on {@code master} (e.g. {@code local[2,3]}: tasks retried), in place of the shared
     * one, which is stopped first (one SparkContext per JVM); {@link #stop} it after, and the next
     * caller of {@link #session} gets the shared local[2] one again.
     */
    public static synchronized SparkSession replacing(String master, String appName) {
        scala.Option<SparkSession> shared = SparkSession.getDefaultSession();
        if (shared.isDefined()) {
            stop(shared.get());
        }
        return SparkSession.builder().master(master).appName(appName)
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .getOrCreate();
    }

    public static synchronized void stop(SparkSession spark) {
        spark.sparkContext().stop();
        SparkSession.clearActiveSession();
        SparkSession.clearDefaultSession();
    }
}
