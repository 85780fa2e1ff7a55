package io.metalr.spark;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.metalr.data.read.DataPaths;
import io.metalr.report.HadoopFiles;

import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * A training checkpoint on any Hadoop path: every tensor, the optimizer's state, the group learning
 * rates, the position in the data (epoch, step) and the model selection so far. Batches are pure
 * functions of (seed, epoch, step, shard), so the position is the whole data cursor and RNG state.
 *
 * <p>Written into a temporary directory that is renamed to {@code step-NNNNNNNNN}, and only then
 * marked {@code _COMPLETE}: on s3a a rename copies object by object, so a marker written before it
 * could arrive without the tensors. A checkpoint of the same step already there is replaced through
 * a backup ({@link HadoopFiles#replace}), never deleted first. Readers take only marked checkpoints,
 * and fall back to the one before when the newest cannot be read. Each holds the best weights so
 * far, so keeping the newest few ({@code train.keep_checkpoints}) keeps the best too. Each also
 * holds the {@link RunFingerprint} of the run that wrote it ({@value #FINGERPRINT}, readable JSON;
 * null when read from a checkpoint written before fingerprints were recorded) and the
 * {@link RunHistory} so far (null likewise).
 */
public record Checkpoint(
        long step,
        int epoch,
        int stepInEpoch,
        double[] lr,
        long optimizerStep,
        Map<String, float[]> tensors,
        Map<String, float[]> optimizerState,
        Map<String, long[]> optimizerShapes,
        int bestEpoch,
        Map<String, float[]> bestTensors,
        RunFingerprint fingerprint,
        RunHistory history) {

    /** A checkpoint without a run history (what a resumed run then reports starts at the restart). */
    public Checkpoint(long step, int epoch, int stepInEpoch, double[] lr, long optimizerStep, Map<String, float[]> tensors,
            Map<String, float[]> optimizerState, Map<String, long[]> optimizerShapes, int bestEpoch,
            Map<String, float[]> bestTensors, RunFingerprint fingerprint) {
        this(step, epoch, stepInEpoch, lr, optimizerStep, tensors, optimizerState, optimizerShapes, bestEpoch, bestTensors,
                fingerprint, null);
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PREFIX = "step-";
    private static final String COMPLETE = "_COMPLETE";
    public static final String FINGERPRINT = "fingerprint.json";

    /** Writes this checkpoint under {@code dir}; returns its path. */
    public String write(String dir) throws IOException {
        return write(DataPaths.fileSystem(dir, DataPaths.configuration()), root(dir));
    }

    String write(FileSystem fs, Path root) throws IOException {
        Path tmp = new Path(root, "_tmp-" + PREFIX + step + "-" + System.nanoTime());
        Path done = new Path(root, String.format("%s%09d", PREFIX, step));
        fs.mkdirs(tmp);
        writeTensors(fs, new Path(tmp, "tensors.bin"), tensors);
        writeTensors(fs, new Path(tmp, "optimizer.bin"), optimizerState);
        writeTensors(fs, new Path(tmp, "best.bin"), bestTensors == null ? Map.of() : bestTensors);
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("step", step);
        meta.put("epoch", epoch);
        meta.put("step_in_epoch", stepInEpoch);
        meta.put("lr", lr);
        meta.put("optimizer_step", optimizerStep);
        meta.put("optimizer_shapes", optimizerShapes);
        meta.put("best_epoch", bestEpoch);
        try (FSDataOutputStream out = fs.create(new Path(tmp, "state.json"), true)) {
            JSON.writeValue((java.io.OutputStream) out, meta);
        }
        if (fingerprint != null) {
            try (FSDataOutputStream out = fs.create(new Path(tmp, FINGERPRINT), true)) {
                JSON.writerWithDefaultPrettyPrinter().writeValue((java.io.OutputStream) out, fingerprint.values());
            }
        }
        if (history != null) {
            history.write(fs, tmp);
        }
        HadoopFiles.replace(fs, tmp, done, COMPLETE); // renamed in, then marked
        return done.toString();
    }

    /** Deletes all but the newest {@code keep} complete checkpoints under {@code dir}. */
    public static void prune(String dir, int keep) throws IOException {
        FileSystem fs = DataPaths.fileSystem(dir, DataPaths.configuration());
        List<Path> complete = completeNewestFirst(fs, root(dir));
        for (Path old : complete.subList(Math.min(keep, complete.size()), complete.size())) {
            fs.delete(old, true);
        }
    }

    /** Deletes the temporary folders that writers killed mid-write left under {@code dir}. */
    public static void removeTemporary(String dir) throws IOException {
        FileSystem fs = DataPaths.fileSystem(dir, DataPaths.configuration());
        Path root = root(dir);
        if (fs.exists(root)) {
            for (FileStatus st : fs.listStatus(root)) {
                if (st.getPath().getName().startsWith("_tmp-")) {
                    fs.delete(st.getPath(), true);
                }
            }
        }
    }

    /** The steps of the complete checkpoints under {@code dir}, newest first; empty when there are none. */
    public static List<Long> completeSteps(String dir) throws IOException {
        FileSystem fs = DataPaths.fileSystem(dir, DataPaths.configuration());
        return completeNewestFirst(fs, root(dir)).stream().map(p -> Long.parseLong(p.getName().substring(PREFIX.length()))).toList();
    }

    /** Deletes every checkpoint under {@code dir}, and the folder. */
    public static void deleteAll(String dir) throws IOException {
        FileSystem fs = DataPaths.fileSystem(dir, DataPaths.configuration());
        Path root = root(dir);
        if (fs.exists(root) && !fs.delete(root, true)) {
            throw new IOException("could not delete the checkpoints in " + root);
        }
    }

    /**
     * The newest complete checkpoint under {@code dir} that can be read, if any; one that cannot
     * (a file lost or cut short) is reported on {@code warn} and the one before it is taken.
     */
    public static Optional<Checkpoint> newest(String dir, Consumer<String> warn) throws IOException {
        return newest(DataPaths.fileSystem(dir, DataPaths.configuration()), root(dir), warn);
    }

    static Optional<Checkpoint> newest(FileSystem fs, Path root, Consumer<String> warn) throws IOException {
        for (Path p : completeNewestFirst(fs, root)) {
            try {
                return Optional.of(read(fs, p));
            } catch (IOException | RuntimeException e) {
                warn.accept("checkpoint " + p + " cannot be read (" + e.getMessage() + "); trying the one before");
            }
        }
        return Optional.empty();
    }

    private static Path root(String dir) {
        return new Path(DataPaths.toPath(dir).toString());
    }

    /**
     * The marked checkpoints under {@code root}, newest first (names sort by step); first repairs
     * what a writer that died while replacing a checkpoint left ({@link HadoopFiles#recover}).
     */
    private static List<Path> completeNewestFirst(FileSystem fs, Path root) throws IOException {
        List<Path> out = new ArrayList<>();
        if (!fs.exists(root)) {
            return out;
        }
        for (FileStatus st : fs.listStatus(root)) {
            String target = HadoopFiles.backedUpName(st.getPath().getName());
            if (target != null && target.startsWith(PREFIX)) {
                HadoopFiles.recover(fs, new Path(root, target), COMPLETE);
            }
        }
        for (FileStatus st : fs.listStatus(root)) {
            String name = st.getPath().getName();
            if (st.isDirectory() && name.matches(PREFIX + "\\d+") && fs.exists(new Path(st.getPath(), COMPLETE))) {
                out.add(st.getPath());
            }
        }
        out.sort(Comparator.comparing(Path::getName).reversed());
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Checkpoint read(FileSystem fs, Path dir) throws IOException {
        Map<String, Object> meta;
        try (InputStream in = fs.open(new Path(dir, "state.json"))) {
            meta = JSON.readValue(in, Map.class);
        }
        Map<String, long[]> shapes = new LinkedHashMap<>();
        ((Map<String, java.util.List<Number>>) meta.get("optimizer_shapes")).forEach((k, v) ->
                shapes.put(k, v.stream().mapToLong(Number::longValue).toArray()));
        double[] lr = ((java.util.List<Number>) meta.get("lr")).stream().mapToDouble(Number::doubleValue).toArray();
        Map<String, float[]> best = readTensors(fs, new Path(dir, "best.bin"));
        RunFingerprint fingerprint = null;
        Path fp = new Path(dir, FINGERPRINT);
        if (fs.exists(fp)) {
            try (InputStream in = fs.open(fp)) {
                fingerprint = new RunFingerprint(new TreeMap<>(JSON.readValue(in, new TypeReference<Map<String, String>>() { })));
            }
        }
        return new Checkpoint(((Number) meta.get("step")).longValue(), ((Number) meta.get("epoch")).intValue(),
                ((Number) meta.get("step_in_epoch")).intValue(), lr, ((Number) meta.get("optimizer_step")).longValue(),
                readTensors(fs, new Path(dir, "tensors.bin")), readTensors(fs, new Path(dir, "optimizer.bin")), shapes,
                ((Number) meta.get("best_epoch")).intValue(), best.isEmpty() ? null : best, fingerprint,
                RunHistory.read(fs, dir));
    }

    /** Named float tensors: count, then (name, length, values) each; exact and engine-free. */
    private static void writeTensors(FileSystem fs, Path file, Map<String, float[]> tensors) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(fs.create(file, true), 1 << 20))) {
            out.writeInt(tensors.size());
            for (Map.Entry<String, float[]> e : tensors.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeInt(e.getValue().length);
                for (float f : e.getValue()) {
                    out.writeFloat(f);
                }
            }
        }
    }

    private static Map<String, float[]> readTensors(FileSystem fs, Path file) throws IOException {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(fs.open(file), 1 << 20))) {
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                float[] v = new float[in.readInt()];
                for (int k = 0; k < v.length; k++) {
                    v[k] = in.readFloat();
                }
                out.put(name, v);
            }
        }
        return out;
    }
}
