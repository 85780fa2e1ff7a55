package io.metalr.data.records;

import io.metalr.config.JobConfig;
import io.metalr.data.read.DataLimits;
import io.metalr.data.read.DataPaths;
import io.metalr.data.read.IdxReader;
import io.metalr.data.read.ImageFolderReader;
import io.metalr.data.read.ManifestReader;
import io.metalr.data.read.MedMnistReader;
import io.metalr.data.read.OnBadRecord;

import java.io.IOException;
import java.util.Locale;

import org.apache.hadoop.conf.Configuration;

/**
 * The one place that knows which {@code data.format} has a record source: the in-process load
 * ({@link io.metalr.data.DataSets}) and a distributed run's executors
 * ({@link io.metalr.spark.ExecutorData}) both read the records through {@link #of}, so a format that
 * gains a source here gains it on both paths.
 */
public final class RecordSources {

    private RecordSources() {}

    /** Whether {@code data.format} (at {@code path}) is read as records. */
    public static boolean has(String format, String path) {
        return reader(format, path) != null;
    }

    /**
     * The records of the configured data, read on the driver without their images, or null for a
     * format without a record source ({@link #has}).
     */
    public static RecordTable of(JobConfig cfg) throws IOException {
        String format = cfg.word("data.format");
        String path = cfg.string("data.path").trim();
        Reader reader = reader(format, path);
        if (reader == null) {
            return null;
        }
        if (path.isEmpty()) {
            throw new IllegalArgumentException("data.path is empty, but data.format = " + format + " reads from it");
        }
        return reader.read(path, OnBadRecord.parse(cfg.string("data.onBadRecord")), cfg.dataLimits(),
                cfg.readPartitionBytes(), DataPaths.configuration());
    }

    /** How a format's records are read. */
    private interface Reader {
        RecordTable read(String path, OnBadRecord onBad, DataLimits limits, long partBytes, Configuration conf)
                throws IOException;
    }

    /** The switch: the record reader of a format, or null for none (synthetic, nifti, a gzipped .npz). */
    private static Reader reader(String format, String path) {
        return switch (format) {
            // a gzipped .npz cannot be read in place: it is inflated whole on the driver, as before
            case "medmnist" -> gzipped(path) ? null
                    : (p, onBad, limits, partBytes, conf) -> MedMnistReader.records(p, onBad, 0, limits, partBytes, conf);
            case "idx" -> IdxReader::records;
            case "folder" -> (p, onBad, limits, partBytes, conf) -> ImageFolderReader.records(p, limits, conf);
            case "manifest" -> (p, onBad, limits, partBytes, conf) -> ManifestReader.records(p, onBad, null, limits, conf);
            case "table" -> (p, onBad, limits, partBytes, conf) -> TableRecords.read(p, onBad, null, conf);
            default -> null;
        };
    }

    private static boolean gzipped(String path) {
        return path.trim().toLowerCase(Locale.ROOT).endsWith(".gz");
    }
}
