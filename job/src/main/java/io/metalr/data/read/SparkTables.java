package io.metalr.data.read;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** The Spark side of the Parquet readers. */
final class SparkTables {

    private SparkTables() {}

    /**
     * The active Spark session (the job's), else the default one, else a new {@code local[1]}
     * session with the UI off. A session built here is left running (never stopped): later reads in
     * the same JVM reuse it, and stopping it would stop a session someone else may since have
     * picked up via {@code SparkSession.active()}.
     */
    static SparkSession session() {
        var active = SparkSession.getActiveSession();
        if (active.isDefined()) {
            return active.get();
        }
        var dflt = SparkSession.getDefaultSession();
        if (dflt.isDefined()) {
            return dflt.get();
        }
        return SparkSession.builder()
                .master("local[1]")
                .appName("metalr-read")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "1")
                .getOrCreate();
    }

    /** A Parquet file or table folder through Spark; a missing path is an error naming it. */
    static Dataset<Row> readParquet(String path) {
        try {
            return session().read().parquet(path);
        } catch (RuntimeException e) {
            String msg = String.valueOf(e.getMessage());
            if (msg.contains("PATH_NOT_FOUND") || msg.contains("does not exist")) {
                throw new IllegalArgumentException(path + ": no such file or directory", e);
            }
            throw new IllegalArgumentException(path + ": not a readable Parquet table: " + msg, e);
        }
    }

    /** The field whose name matches (any case), or null. */
    static StructField field(StructType schema, String name) {
        for (StructField f : schema.fields()) {
            if (f.name().toLowerCase(Locale.ROOT).equals(name)) {
                return f;
            }
        }
        return null;
    }

    static List<String> names(StructType schema) {
        List<String> out = new ArrayList<>();
        for (StructField f : schema.fields()) {
            out.add(f.name() + " " + f.dataType().simpleString());
        }
        return out;
    }
}
