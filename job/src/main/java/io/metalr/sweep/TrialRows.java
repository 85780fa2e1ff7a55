package io.metalr.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import io.metalr.data.read.DataPaths;
import io.metalr.report.HadoopFiles;

import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The sweep's committed rows, {@code <out>/rows/trial-<id>.json}, one per finished trial (failed
 * rows included: a diverged trial diverges again). The task that ran a trial writes its row as the
 * trial ends, in one atomic step, stamped with the sweep's fingerprint, the run (one start of the
 * sweep) and the task attempt. A retried task and a {@code --resume} skip the trials found here,
 * and the final tables are assembled from them. Serializable: it travels to the tasks.
 */
final class TrialRows implements Serializable {

    private static final long serialVersionUID = 1L;

    static final String DIR = "rows";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** A committed row, and which run and task attempt committed it. */
    record Committed(TrialResult result, String run, int attempt) {}

    private final String dir;
    private final String fingerprint;
    private final String run;

    /**
     * @param dir the rows folder, fully qualified (tasks resolve it on other machines)
     * @param fingerprint the sweep's ({@link SweepManifest#fingerprint()}); rows with another are not this sweep's
     * @param run this start of the sweep, stamped on the rows it commits
     */
    TrialRows(String dir, String fingerprint, String run) {
        this.dir = dir;
        this.fingerprint = fingerprint;
        this.run = run;
    }

    String dir() {
        return dir;
    }

    String run() {
        return run;
    }

    /** Commits a finished trial's row, replacing any earlier one. */
    void commit(TrialResult r, int attempt) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sweep", fingerprint);
        m.put("run", run);
        m.put("attempt", attempt);
        m.put("result", r);
        byte[] json = JSON.writeValueAsBytes(m);
        HadoopFiles.write(file(r.trial()), out -> out.write(json));
    }

    /** The committed row of {@code trial}, or null when this sweep has none. */
    Committed find(int trial) throws IOException {
        String f = file(trial);
        FileSystem fs = HadoopFiles.fileSystem(f);
        try (InputStream in = fs.open(DataPaths.toPath(f))) {
            return parse(in.readAllBytes(), f);
        } catch (FileNotFoundException e) {
            return null;
        }
    }

    /** Every committed row of this sweep, by trial id. */
    Map<Integer, Committed> all() throws IOException {
        Map<Integer, Committed> out = new TreeMap<>();
        FileSystem fs = HadoopFiles.fileSystem(dir);
        FileStatus[] files;
        try {
            files = fs.listStatus(DataPaths.toPath(dir));
        } catch (FileNotFoundException e) {
            return out;
        }
        for (FileStatus s : files) {
            String name = s.getPath().getName();
            if (name.startsWith("trial-") && name.endsWith(".json")) { // not a hidden temporary
                try (InputStream in = fs.open(s.getPath())) {
                    Committed c = parse(in.readAllBytes(), s.getPath().toString());
                    if (c != null) {
                        out.put(c.result().trial(), c);
                    }
                }
            }
        }
        return out;
    }

    /** Whether {@code dir} holds any committed row, of any sweep. */
    static boolean any(String dir) throws IOException {
        FileSystem fs = HadoopFiles.fileSystem(dir);
        try {
            for (FileStatus s : fs.listStatus(DataPaths.toPath(dir))) {
                if (s.getPath().getName().startsWith("trial-")) {
                    return true;
                }
            }
            return false;
        } catch (FileNotFoundException e) {
            return false;
        }
    }

    private String file(int trial) {
        return new Path(DataPaths.toPath(dir), "trial-" + trial + ".json").toString();
    }

    /** A row of this sweep, or null: another sweep's, or one that does not parse (its trial runs again). */
    private Committed parse(byte[] bytes, String where) {
        try {
            JsonNode tree = JSON.readTree(bytes);
            if (!fingerprint.equals(tree.path("sweep").asText())) {
                return null;
            }
            return new Committed(JSON.treeToValue(tree.get("result"), TrialResult.class), tree.path("run").asText(),
                    tree.path("attempt").asInt());
        } catch (IOException | RuntimeException e) {
            System.err.println("metalr: " + where + " is not a readable sweep row, its trial runs again: " + e.getMessage());
            return null;
        }
    }
}
