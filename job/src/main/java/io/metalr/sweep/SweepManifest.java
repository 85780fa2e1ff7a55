package io.metalr.sweep;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;

import io.metalr.config.JobConfig;
import io.metalr.config.KeyDifferences;
import io.metalr.data.read.DataPaths;

import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What fixes a sweep's rows, written as {@code sweep.json} in its output before any trial runs: the
 * base config (key by key), the plan (each trial's overrides), and the identity of the files the
 * trials read (size and modification time of data.path, data.nifti.label_path, model.pretrained).
 * Its fingerprint is stamped on every committed row, so a resumed sweep takes only rows of the same
 * sweep, and a resume with another config, plan or data is refused naming what changed.
 *
 * @param config the resolved base config, key to value, without the keys that change no result
 * @param trials per trial, its overrides, in trial order
 * @param data per file or folder the trials read, its size and modification time
 */
record SweepManifest(TreeMap<String, String> config, List<String> trials, TreeMap<String, String> data) {

    static final String FILE = "sweep.json";

    /** Where outputs and log lines go, or who schedules: a resume may change them. */
    private static final Set<String> NOT_FIXING = Set.of("run.dir", "distributed.master", "train.log_every");

    /** The keys naming files the trials read. */
    private static final List<String> INPUTS = List.of("data.path", "data.nifti.label_path", "model.pretrained");

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The manifest of {@code trials} over {@code base}; looks up the files they read. */
    static SweepManifest of(JobConfig base, List<Trial> trials) throws IOException {
        TreeMap<String, String> config = new TreeMap<>();
        for (Map.Entry<String, ConfigValue> e : base.own().entrySet()) { // not the JVM's system properties
            if (!e.getKey().startsWith("sweep.") && !NOT_FIXING.contains(e.getKey())) {
                config.put(e.getKey(), e.getValue().render(ConfigRenderOptions.concise()));
            }
        }
        List<String> plan = new ArrayList<>();
        TreeMap<String, String> data = new TreeMap<>();
        for (Trial t : trials) {
            plan.add(String.join(", ", t.overrides()));
            for (String input : inputs(base.raw(), t)) {
                if (!data.containsKey(input)) {
                    data.put(input, identity(input));
                }
            }
        }
        return new SweepManifest(config, plan, data);
    }

    /** SHA-256 of the three parts, in hex. */
    String fingerprint() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(JSON.writeValueAsBytes(List.of(config, trials, data)));
            return HexFormat.of().formatHex(sha.digest());
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot fingerprint the sweep", e);
        }
    }

    /**
     * What differs from {@code committed} (the manifest of the sweep found in the output), one
     * phrase each: config keys with both values, trials, files. Empty when they agree.
     */
    List<String> differences(SweepManifest committed) {
        List<String> out = new ArrayList<>(KeyDifferences.between(committed.config, config,
                (key, was, now) -> key + " was " + or(was, "(unset)") + ", now " + or(now, "(unset)")));
        if (committed.trials.size() != trials.size()) {
            out.add("the plan had " + committed.trials.size() + " trials, now " + trials.size());
        }
        for (int i = 0; i < Math.min(trials.size(), committed.trials.size()); i++) {
            if (!committed.trials.get(i).equals(trials.get(i))) {
                out.add("trial " + i + " was [" + committed.trials.get(i) + "], now [" + trials.get(i) + "]");
            }
        }
        out.addAll(KeyDifferences.between(committed.data, data,
                (file, was, now) -> file + " was " + or(was, "(not read)") + ", now " + or(now, "(not read)")));
        return out;
    }

    private static String or(String value, String absent) {
        return value == null ? absent : value;
    }

    byte[] toJson() throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("fingerprint", fingerprint());
        m.put("config", config);
        m.put("trials", trials);
        m.put("data", data);
        return JSON.writeValueAsBytes(m);
    }

    /** Reads {@code sweep.json}; {@code where} names it in the error. */
    static SweepManifest read(byte[] json, String where) {
        try {
            var tree = JSON.readTree(json);
            return new SweepManifest(JSON.convertValue(tree.get("config"), JSON.getTypeFactory()
                    .constructMapType(TreeMap.class, String.class, String.class)),
                    List.of(JSON.convertValue(tree.get("trials"), String[].class)),
                    JSON.convertValue(tree.get("data"), JSON.getTypeFactory()
                            .constructMapType(TreeMap.class, String.class, String.class)));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(where + ": not a sweep manifest (" + e.getMessage() + ")", e);
        }
    }

    /** The non-empty input paths of one trial: its overrides over the base. */
    private static List<String> inputs(Config base, Trial t) {
        Config user;
        try {
            user = JobConfig.withOverrides(base, t.overrides());
        } catch (RuntimeException e) {
            return List.of(); // an override that does not parse fails the trial itself, as its row
        }
        List<String> out = new ArrayList<>();
        for (String key : INPUTS) {
            try {
                String v = user.getString(key).trim();
                if (!v.isEmpty()) {
                    out.add(v);
                }
            } catch (ConfigException e) {
                // a wrong type fails the trial, as its row
            }
        }
        return out;
    }

    /** Size and modification time of a file; of a folder, the total over its files, their count and the newest. */
    private static String identity(String path) throws IOException {
        FileSystem fs = DataPaths.fileSystem(path, DataPaths.configuration());
        Path p = DataPaths.toPath(path);
        FileStatus s;
        try {
            s = fs.getFileStatus(p);
        } catch (FileNotFoundException e) {
            return "missing"; // the trials that read it fail as bad data
        }
        if (!s.isDirectory()) {
            return s.getLen() + " bytes, modified " + s.getModificationTime();
        }
        long bytes = 0;
        long files = 0;
        long newest = 0;
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(p, true);
        while (it.hasNext()) {
            LocatedFileStatus f = it.next();
            bytes += f.getLen();
            files++;
            newest = Math.max(newest, f.getModificationTime());
        }
        return files + " files, " + bytes + " bytes, newest modified " + newest;
    }

    /** The first few differences, for an error message (a new plan can change hundreds of trials). */
    static String describe(List<String> differences) {
        int shown = Math.min(10, differences.size());
        return String.join("; ", differences.subList(0, shown))
                + (shown < differences.size() ? "; and " + (differences.size() - shown) + " more" : "");
    }
}
