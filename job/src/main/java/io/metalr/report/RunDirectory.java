package io.metalr.report;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import io.metalr.data.read.DataPaths;
import io.metalr.model.WeightFiles;
import io.metalr.nn.Network;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * A run's outputs on any Hadoop path ({@code file://}, {@code hdfs://}, {@code s3a://}, or a path
 * without a scheme, resolved as {@link DataPaths} resolves it). Every file is written to a
 * temporary name in its own folder and renamed into place, so a reader never sees half a file and
 * an interrupted run never damages what was written before. {@value #SUCCESS} is written last, and
 * only by {@link #finish()}: a directory without it holds an unfinished run.
 */
public final class RunDirectory {

    public static final String CONFIG = "config.conf";
    public static final String METRICS = "metrics.jsonl";
    public static final String LR_CSV = "lr.csv";
    public static final String LR_CHART = "lr_curves.png";
    public static final String LOSS_CHART = "loss.png";
    public static final String ACCURACY_CHART = "accuracy.png";
    public static final String SUMMARY = "summary.json";
    public static final String REPORT = "report.html";
    public static final String MODEL = "model";
    public static final String CHECKPOINTS = "checkpoints";
    public static final String SUCCESS = "_SUCCESS";

    /** What a run writes here; {@code --overwrite} removes exactly these, nothing else the folder holds. */
    static final List<String> OUTPUTS = List.of(CONFIG, METRICS, LR_CSV, LR_CHART, LOSS_CHART, ACCURACY_CHART,
            SUMMARY, REPORT, MODEL, CHECKPOINTS);

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .configure(JsonGenerator.Feature.AUTO_CLOSE_TARGET, false);

    private final String given;
    private final FileSystem fs;
    private final Path root;

    /** The run directory {@code dir} under the active Hadoop configuration (the Spark session's, if any). */
    public static RunDirectory at(String dir) throws IOException {
        return new RunDirectory(dir, DataPaths.configuration());
    }

    public RunDirectory(String dir, Configuration conf) throws IOException {
        this.given = dir;
        FileSystem resolved = DataPaths.fileSystem(dir, conf);
        // the local file system's checksum layer would leave a hidden .crc beside every output
        this.fs = resolved instanceof LocalFileSystem local ? local.getRawFileSystem() : resolved;
        this.root = fs.makeQualified(DataPaths.toPath(dir));
    }

    /** The fully qualified location, e.g. {@code file:/tmp/run1} or {@code hdfs://nn:8020/runs/a}. */
    public String path() {
        return root.toString();
    }

    public boolean exists(String name) throws IOException {
        return fs.exists(new Path(root, name));
    }

    /** Whether a run completed here ({@value #SUCCESS} exists). */
    public boolean isFinished() throws IOException {
        return exists(SUCCESS);
    }

    /**
     * Makes the directory ready for a new run. A finished run is refused unless {@code overwrite},
     * which first removes {@value #SUCCESS} (so a run that dies midway leaves an unfinished
     * directory) and then the previous outputs; {@code resume} on a finished run is refused, there
     * being nothing left to do. An unfinished directory is reused as it is.
     */
    public void prepare(boolean overwrite, boolean resume) throws IOException {
        if (overwrite && resume) {
            throw new IllegalArgumentException("--overwrite and --resume exclude each other: --resume continues the run in "
                    + given + ", --overwrite replaces it");
        }
        if (isFinished()) {
            if (resume) {
                throw new IllegalArgumentException("run.dir " + given + " holds a finished run (it has " + SUCCESS
                        + "): nothing to resume. Pass --overwrite to train again into it, or choose another run.dir");
            }
            if (!overwrite) {
                throw new IllegalArgumentException("run.dir " + given + " holds a finished run (it has " + SUCCESS
                        + "); pass --overwrite to replace it, or choose another run.dir");
            }
            delete(SUCCESS);
            for (String name : OUTPUTS) {
                delete(name);
            }
        }
        if (!fs.mkdirs(root)) {
            throw new IOException("cannot create the run directory " + path());
        }
    }

    public void writeText(String name, String text) throws IOException {
        writeBytes(name, text.getBytes(StandardCharsets.UTF_8));
    }

    public void writeBytes(String name, byte[] bytes) throws IOException {
        write(name, out -> out.write(bytes));
    }

    public void writeJson(String name, Object value) throws IOException {
        write(name, out -> JSON.writeValue(out, value));
    }

    public void writeWeights(String name, Network net, Map<String, float[]> values) throws IOException {
        write(name, out -> WeightFiles.write(out, net, values, name));
    }

    /** Marks the run complete; call after every other output is in place. */
    public void finish() throws IOException {
        writeBytes(SUCCESS, new byte[0]);
    }

    /** Writes whatever {@code body} streams, under {@code name} (a path relative to the run directory). */
    public void write(String name, HadoopFiles.Body body) throws IOException {
        HadoopFiles.write(fs, new Path(root, name), body);
    }

    private void delete(String name) throws IOException {
        Path p = new Path(root, name);
        if (fs.exists(p) && !fs.delete(p, true)) {
            throw new IOException("could not delete " + p + " to overwrite the run in " + path());
        }
    }
}
