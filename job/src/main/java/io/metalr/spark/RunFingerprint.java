package io.metalr.spark;

import com.typesafe.config.ConfigValue;

import io.metalr.config.JobConfig;
import io.metalr.config.KeyDifferences;
import io.metalr.data.FloatDigest;
import io.metalr.data.ImageSet;

import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Everything that fixes a run's trajectory, as readable key = value pairs, written
 * with each of its checkpoints: {@code --resume} continues a checkpoint only when the run resuming
 * it has the same fingerprint, so it can never continue another run that left its checkpoints in
 * the same folder.
 *
 * <ul>
 *   <li>every key of reference.conf except {@link #NOT_COUNTED};
 *   <li>{@code distributed.shards} and {@code distributed.meta_mode} as the trainer runs them (a
 *       single-process run counts as 1 shard: it draws the same batches);
 *   <li>per split, its image count and a SHA-256 of its images after preprocessing (shape, labels,
 *       pixels, in order). The images are in memory anyway, so one pass over them is cheap next to
 *       an epoch; unlike file sizes or modification times it changes exactly when what training
 *       reads changes (a copy of the data to another file system keeps it, a re-export with other
 *       pixels or another split does not);
 *   <li>the model's parameter count and a SHA-256 of its initial weights, which covers the
 *       architecture, {@code model.pretrained}'s content (not only its path), the replaced head
 *       and {@code model.init_seed}.
 * </ul>
 */
public record RunFingerprint(SortedMap<String, String> values) {

    /**
     * Keys that say where a run computes, what it logs and how often it saves, never what it
     * computes: a resume may change them. {@code device} is here because {@code auto} resolves per
     * machine, and continuing a run on other hardware is still the same run (its steps agree up to
     * float rounding). Sweep keys are the sweep command's, not a training run's; report keys only
     * name records in the outputs.
     */
    static final List<String> NOT_COUNTED = List.of("run.dir", "train.log_every", "train.checkpoint_every",
            "train.keep_checkpoints", "distributed.master", "device", "sweep", "report");

    public RunFingerprint {
        values = new TreeMap<>(values);
    }

    /** The fingerprint of a run with this config, shard count, meta mode, initial weights and splits ({@code test} may be null). */
    public static RunFingerprint of(JobConfig cfg, int shards, MetaMode mode, Map<String, float[]> initial,
            ImageSet train, ImageSet val, ImageSet test) {
        SortedMap<String, String> data = new TreeMap<>();
        split(data, "train", train);
        split(data, "val", val);
        split(data, "test", test);
        return of(cfg, shards, mode, initial, data);
    }

    /**
     * The fingerprint of a run with this config, shard count, meta mode and initial weights, and
     * the data's own entries ({@code data.*}: image counts and digests, however the data was read).
     */
    public static RunFingerprint of(JobConfig cfg, int shards, MetaMode mode, Map<String, float[]> initial,
            Map<String, String> data) {
        SortedMap<String, String> v = new TreeMap<>();
        for (Map.Entry<String, ConfigValue> e : cfg.own().entrySet()) {
            if (counted(e.getKey())) {
                v.put(e.getKey(), text(e.getValue().unwrapped()));
            }
        }
        // one shard draws the batches a single process draws: the same trajectory, so a run may resume across them
        v.put("distributed.shards", Integer.toString(Math.max(1, shards)));
        v.put("distributed.meta_mode", mode.name().toLowerCase(java.util.Locale.ROOT));
        v.putAll(data);
        FloatDigest weights = new FloatDigest();
        long count = 0;
        for (Map.Entry<String, float[]> e : initial.entrySet()) {
            weights.add(e.getKey()).add(e.getValue());
            count += e.getValue().length;
        }
        v.put("model.parameters", Long.toString(count));
        v.put("model.initial_weights_sha256", weights.hex());
        return new RunFingerprint(v);
    }

    /**
     * What differs from {@code now}, one "key: old in the checkpoint, new now" entry per key,
     * sorted by key; empty when the two runs are the same run.
     */
    public List<String> differences(RunFingerprint now) {
        return KeyDifferences.between(values, now.values,
                (k, was, is) -> k + ": " + shown(was) + " in the checkpoint, " + shown(is) + " now");
    }

    private static boolean counted(String key) {
        for (String k : NOT_COUNTED) {
            if (key.equals(k) || key.startsWith(k + ".")) {
                return false;
            }
        }
        return true;
    }

    private static void split(SortedMap<String, String> v, String name, ImageSet set) {
        if (set != null) {
            v.put("data.images." + name, Integer.toString(set.size()));
            v.put("data.sha256." + name, set.digestInto(new FloatDigest()).hex());
        }
    }

    /** A config value as text; a whole number the same whether written 1 or 1.0. */
    private static String text(Object value) {
        if (value instanceof List<?> list) {
            return list.stream().map(RunFingerprint::text).toList().toString();
        }
        if (value instanceof Number n) {
            double d = n.doubleValue();
            return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
        }
        return String.valueOf(value);
    }

    private static String shown(String v) {
        return v == null ? "(absent)" : v.isEmpty() ? "\"\"" : v;
    }
}
