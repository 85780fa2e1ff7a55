package io.metalr.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.engine.Engine;

import java.util.List;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Devices.forCurrentTask inside real Spark tasks ({@code local[1]}: no GPU resource is assigned). */
class TaskDeviceTest {

    static SparkSession spark;

    /**
     * A {@code local[1]} session, or the one another test of this JVM already made (never stopped
     * here, for the same reason SparkTables leaves its own running).
     */
    @BeforeAll
    static void session() {
        spark = io.metalr.TestSpark.session();
    }

    @Test
    void aTaskWithoutAGpuResourceResolvesTheSetting() {
        assumeTrue(Engine.getInstance().getGpuCount() == 0, "this machine has a GPU");
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<String> seen = sc.parallelize(List.of(1, 2), 2)
                .map(i -> {
                    boolean inTask = org.apache.spark.TaskContext.get() != null;
                    boolean noGpu = !org.apache.spark.TaskContext.get().resourcesJMap().containsKey("gpu");
                    return inTask + " " + noGpu + " " + Devices.forCurrentTask("auto");
                })
                .collect();
        assertEquals(List.of("true true cpu()", "true true cpu()"), seen);
    }

    @Test
    void cpuAndBadSettingsInsideATask() {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<String> seen = sc.parallelize(List.of("cpu", "tpu"), 2)
                .map(setting -> {
                    try {
                        return Devices.forCurrentTask(setting).toString();
                    } catch (IllegalArgumentException e) {
                        return "error: " + e.getMessage();
                    }
                })
                .collect();
        assertEquals("cpu()", seen.get(0));
        assertTrue(seen.get(1).startsWith("error: device must be auto, cpu, gpu or gpu:N"), seen.get(1));
    }
}
