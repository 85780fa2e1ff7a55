package io.metalr.sweep;

import io.metalr.data.read.DataPaths;
import io.metalr.report.HadoopFiles;

import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The sweep's output folder on any Hadoop path. Each file or Parquet folder is written under a
 * temporary name and renamed into place, so a reader sees the old version or the new one, never
 * half of one. {@value #SUCCESS} is written last: a folder without it holds an unfinished sweep.
 */
final class SweepOutput {

    static final String SUCCESS = "_SUCCESS";

    /** What a sweep writes here; {@code --overwrite} removes exactly these, nothing else the folder holds. */
    static final List<String> OUTPUTS = List.of(SUCCESS, SweepManifest.FILE, TrialRows.DIR, "results.csv", "results.parquet",
            "comparison.md", "comparison.json", "base.conf", "trials");

    private final FileSystem fs;
    private final Path dir;

    SweepOutput(String dir) throws IOException {
        this.fs = DataPaths.fileSystem(dir, DataPaths.configuration());
        this.dir = fs.makeQualified(DataPaths.toPath(dir));
        fs.mkdirs(this.dir);
    }

    /** The folder, fully qualified. */
    String path() {
        return dir.toString();
    }

    /**
     * Makes the folder ready for {@code manifest}'s sweep. A folder holding a sweep (its manifest,
     * committed rows or results) is refused unless {@code resume}, which takes it when it is the
     * same sweep and not finished, or {@code overwrite}, which first removes {@value #SUCCESS}
     * (so a sweep that dies midway leaves an unfinished folder) and then the previous outputs.
     */
    void start(SweepManifest manifest, boolean resume, boolean overwrite) throws IOException {
        String where = "sweep.out " + path();
        if (resume && overwrite) {
            throw new IllegalArgumentException("--overwrite and --resume exclude each other: --resume continues the sweep in "
                    + path() + ", --overwrite replaces it");
        }
        if (resume) {
            if (exists(SUCCESS)) {
                throw new IllegalArgumentException(where + " holds a finished sweep (it has " + SUCCESS + "): nothing to resume."
                        + " Pass --overwrite to run it again into it, or choose another sweep.out");
            }
            if (!exists(SweepManifest.FILE)) {
                throw new IllegalArgumentException("--resume: " + where + " holds no sweep to resume (no " + SweepManifest.FILE
                        + "); run without --resume to start it");
            }
            checkSameSweep(manifest, "--resume: " + where);
            return;
        }
        if (exists(SUCCESS) || exists(SweepManifest.FILE) || exists("results.csv") || TrialRows.any(path(TrialRows.DIR))) {
            if (!overwrite) {
                throw new IllegalArgumentException(where + " holds a sweep already (committed rows or results); pass --resume to"
                        + " continue it, --overwrite to replace it, or choose another sweep.out");
            }
            for (String name : OUTPUTS) {
                Path p = new Path(dir, name);
                if (fs.exists(p) && !fs.delete(p, true)) {
                    throw new IOException("could not delete " + p + " to overwrite the sweep in " + path());
                }
            }
        }
        byte[] json = manifest.toJson();
        HadoopFiles.write(path(SweepManifest.FILE), out -> out.write(json));
    }

    /**
     * For a study: takes the folder's sweep when it is this one, finished or not (its committed rows
     * stand, the tables are assembled again), and starts the sweep in a folder holding none. A
     * folder holding another sweep is refused.
     */
    void continueOrStart(SweepManifest manifest) throws IOException {
        if (!exists(SweepManifest.FILE)) {
            start(manifest, false, false);
            return;
        }
        checkSameSweep(manifest, "sweep.out " + path());
        Path success = new Path(dir, SUCCESS);
        if (fs.exists(success) && !fs.delete(success, false)) {
            throw new IOException("could not delete " + success + " to assemble the sweep's tables again");
        }
    }

    private void checkSameSweep(SweepManifest manifest, String where) throws IOException {
        Path file = new Path(dir, SweepManifest.FILE);
        byte[] json;
        try (FSDataInputStream in = fs.open(file)) {
            json = in.readAllBytes();
        }
        List<String> differences = manifest.differences(SweepManifest.read(json, file.toString()));
        if (!differences.isEmpty()) {
            throw new IllegalArgumentException(where + " holds another sweep, its committed rows cannot be"
                    + " taken: " + SweepManifest.describe(differences) + ". Resume it with its own config and data, or pass"
                    + " --overwrite to replace it");
        }
    }

    private boolean exists(String name) throws IOException {
        return fs.exists(new Path(dir, name));
    }

    String path(String name) {
        return new Path(dir, name).toString();
    }

    void writeText(String name, String text) throws IOException {
        Path tmp = temporary(name);
        try (FSDataOutputStream out = fs.create(tmp, true)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        replace(tmp, new Path(dir, name));
    }

    void writeParquet(String name, Dataset<Row> frame) throws IOException {
        Path tmp = temporary(name);
        frame.coalesce(1).write().mode(SaveMode.Overwrite).parquet(tmp.toString());
        replace(tmp, new Path(dir, name));
    }

    private Path temporary(String name) {
        return new Path(dir, "._tmp-" + name + "-" + System.nanoTime());
    }

    private void replace(Path tmp, Path target) throws IOException {
        HadoopFiles.replace(fs, tmp, target);
    }
}
