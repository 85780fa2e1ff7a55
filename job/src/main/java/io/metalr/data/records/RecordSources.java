package io.metalr.data.records;

import io.metalr.config.JobConfig;
import io.metalr.data.read.DataLimits;
import io.metalr.data.read.DataPaths;
import io.metalr.data.read.IdxReader;
import io.metalr.data.read.ImageFolderReader;
import io.metalr.data.read.ManifestReader;
import io.metalr.data.read.MedMnistReader;
import io.metalr.data.read.NiftiReader;
import io.metalr.data.read.NiftiSettings;
import io.metalr.data.read.OnBadRecord;

import java.io.IOException;

import org.apache.hadoop.conf.Configuration;

/**
 * The one place that knows which {@code data.format} has a record source: the in-process load
 * ({@link io.metalr.data.DataSets}) and a distributed run's executors
 * ({@link io.metalr.spark.ExecutorData}) both read the records through {@link #of}, so a format that
 * gains a source here gains it on both paths.
 */
public final class RecordSources {

    private RecordSources() {}

    /** Whether {@code data.format} is read as records (every format but synthetic, whose images are generated). */
    public static boolean has(String format) {
        return reader(format) != null;
    }

    /**
     * The records of the configured data, read on the driver without their images, or null for a
     * format without a record source ({@link #has}).
     */
    public static RecordTable of(JobConfig cfg) throws IOException {
        String format = cfg.word("data.format");
        String path = cfg.string("data.path").trim();
        Reader reader = reader(format);
        if (reader == null) {
            return null;
        }
        if (path.isEmpty()) {
            throw new IllegalArgumentException("data.path is empty, but data.format = " + format + " reads from it");
        }
        return reader.read(cfg, path, OnBadRecord.parse(cfg.string("data.onBadRecord")), cfg.dataLimits(),
                cfg.readPartitionBytes(), DataPaths.configuration());
    }

    /** How a format's records are read. */
    private interface Reader {
        RecordTable read(JobConfig cfg, String path, OnBadRecord onBad, DataLimits limits, long partBytes, Configuration conf)
                throws IOException;
    }

    /** The switch: the record reader of a format, or null for none (synthetic). */
    private static Reader reader(String format) {
        return switch (format) {
            // a gzipped .npz is one part (it cannot be read in place), a stored or deflated one is split by rows
            case "medmnist" -> (cfg, p, onBad, limits, partBytes, conf) -> MedMnistReader.records(p, onBad, 0, limits,
                    partBytes, conf);
            case "idx" -> (cfg, p, onBad, limits, partBytes, conf) -> IdxReader.records(p, onBad, limits, partBytes, conf);
            case "folder" -> (cfg, p, onBad, limits, partBytes, conf) -> ImageFolderReader.records(p, limits, conf);
            case "manifest" -> (cfg, p, onBad, limits, partBytes, conf) -> ManifestReader.records(p, onBad, null, limits, conf);
            case "table" -> (cfg, p, onBad, limits, partBytes, conf) -> TableRecords.read(p, onBad, null, conf);
            case "nifti" -> (cfg, p, onBad, limits, partBytes, conf) -> NiftiReader.records(p, nifti(cfg), onBad, limits, conf);
            default -> null;
        };
    }

    /** The data.nifti.* keys. */
    static NiftiSettings nifti(JobConfig cfg) {
        String labels = cfg.string("data.nifti.label_path").trim();
        if (labels.isEmpty()) {
            throw new IllegalArgumentException("data.nifti.label_path is empty: data.format = nifti needs an atlas volume");
        }
        return new NiftiSettings(labels, cfg.integer("data.nifti.axis"), cfg.integer("data.nifti.patch"),
                cfg.integer("data.nifti.stride"), cfg.number("data.nifti.min_labelled"), cfg.integer("data.nifti.slab"),
                NiftiSettings.namedRegions(cfg.string("data.nifti.regions")));
    }
}
