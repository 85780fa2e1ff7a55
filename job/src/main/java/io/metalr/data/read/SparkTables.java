package io.metalr.data.read;

import io.metalr.udf.image.BadRecordException;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** The Spark side of the Parquet readers (and of the table records, {@code io.metalr.data.records}). */
public final class SparkTables {

    private SparkTables() {}

    /**
     * The active Spark session (the job's), else the default one, else a new {@code local[1]}
     * session with the UI off. A session built here is left running (never stopped): later reads in
     * the same JVM reuse it, and stopping it would stop a session someone else may since have
     * picked up via {@code SparkSession.active()}.
     */
    public static SparkSession session() {
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

    /**
     * A Parquet file or table folder through Spark; a missing path or one Spark cannot read as
     * Parquet is a {@link BadRecordException} naming it.
     */
    public static Dataset<Row> readParquet(String path) {
        try {
            return session().read().parquet(path);
        } catch (Exception e) { // Scala throws SparkException, a checked exception, undeclared
            String msg = String.valueOf(e.getMessage());
            if (msg.contains("PATH_NOT_FOUND") || msg.contains("does not exist")) {
                throw new BadRecordException(path + ": no such file or directory", e);
            }
            throw failure(path, e);
        }
    }

    /**
     * The rows of {@code df}, streamed to the driver one partition at a time; a file Spark fails to
     * decode on the way (a corrupt page, a footer that lies) is a {@link BadRecordException} naming
     * {@code path}.
     */
    public static Iterator<Row> localRows(Dataset<Row> df, String path) {
        Iterator<Row> rows = guarded(df::toLocalIterator, path);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return guarded(rows::hasNext, path);
            }

            @Override
            public Row next() {
                return guarded(rows::next, path);
            }
        };
    }

    /** {@code read} run on the driver (a collect, a count), with a failure to read a file turned as in {@link #localRows}. */
    public static <T> T guarded(Supplier<T> read, String path) {
        try {
            return read.get();
        } catch (BadRecordException e) {
            throw e;
        } catch (Exception e) { // SparkException is checked, thrown undeclared
            throw failure(path, e);
        }
    }

    /**
     * A failure to read a file: bad data when Spark says the file could not be read or decoded (its
     * error classes for that, or an exception from the Parquet library); anything else (a lost
     * executor, a cluster problem) stays what it was.
     */
    private static RuntimeException failure(String path, Exception e) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            String msg = String.valueOf(c.getMessage());
            String type = c.getClass().getName();
            if (msg.contains("FAILED_READ_FILE") || msg.contains("CANNOT_READ_FILE_FOOTER")
                    || type.startsWith("org.apache.parquet.") || type.startsWith("shaded.parquet.")) {
                return new BadRecordException(path + ": not a readable Parquet table: " + firstLine(
                        String.valueOf(e.getMessage())), e);
            }
        }
        return e instanceof RuntimeException r ? r : new IllegalStateException(path + ": " + e.getMessage(), e);
    }

    private static String firstLine(String msg) {
        int nl = msg.indexOf('\n');
        return nl < 0 ? msg : msg.substring(0, nl);
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
