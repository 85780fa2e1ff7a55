package io.metalr.data.load;

import io.metalr.data.store.MappedStore;
import io.metalr.spark.EveryExecutor;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The stores this JVM holds (an executor's, or the driver's in-process), by {@link StoreKey}: the
 * task that trains on shard s finds the store a load built here. A store's file is removed by
 * {@link #release} and, failing that, at JVM exit (the store's own hook).
 */
public final class LocalStores {

    private static final Map<StoreKey, MappedStore> STORES = new ConcurrentHashMap<>();

    private LocalStores() {}

    /** Registers a store, closing (and removing) one that was built for the same key before. */
    static void put(StoreKey key, MappedStore store) {
        MappedStore old = STORES.put(key, store);
        if (old != null && old != store) {
            old.close();
        }
    }

    /** The store of {@code key} built in this JVM, or null. */
    public static MappedStore get(StoreKey key) {
        return STORES.get(key);
    }

    /** The keys of the stores this JVM holds. */
    public static List<StoreKey> keys() {
        return new ArrayList<>(STORES.keySet());
    }

    /** Closes and removes every store of {@code dataKey}. */
    public static void release(String dataKey) {
        STORES.entrySet().removeIf(e -> {
            if (e.getKey().dataKey().equals(dataKey)) {
                e.getValue().close();
                return true;
            }
            return false;
        });
    }

    /**
     * Releases {@code dataKey}'s stores in this JVM and in every executor of the application
     * ({@link EveryExecutor}); a store it misses is removed when its JVM exits. Called when a run
     * ends and after a failed load.
     */
    public static void releaseEverywhere(JavaSparkContext sc, String dataKey) {
        EveryExecutor.run(sc, () -> release(dataKey));
    }

    /**
     * As {@link #releaseEverywhere}, for every store not in {@code keep} (the data keys of this JVM
     * before a load that failed before telling its key): executors belong to one application, so
     * these are that load's.
     */
    public static void releaseAllBut(JavaSparkContext sc, java.util.Set<String> keep) {
        java.util.Set<String> kept = java.util.Set.copyOf(keep);
        EveryExecutor.run(sc, () -> releaseAllBut(kept));
    }

    private static void releaseAllBut(java.util.Set<String> kept) {
        dataKeys().stream().filter(k -> !kept.contains(k)).forEach(LocalStores::release);
    }

    /** The data keys of the stores this JVM holds. */
    public static java.util.Set<String> dataKeys() {
        java.util.Set<String> out = new java.util.TreeSet<>();
        STORES.keySet().forEach(k -> out.add(k.dataKey()));
        return out;
    }

    /**
     * Where stores go: {@code cacheDir} when given, else the first local dir Spark gives this
     * executor (as Spark picks them: {@code SPARK_EXECUTOR_DIRS} on a standalone Worker,
     * {@code SPARK_LOCAL_DIRS}, YARN's {@code LOCAL_DIRS}, {@code spark.local.dir}), else
     * {@code java.io.tmpdir}.
     */
    public static Path directory(String cacheDir) {
        if (cacheDir != null && !cacheDir.isBlank()) {
            return Path.of(cacheDir);
        }
        String dirs = System.getenv("SPARK_EXECUTOR_DIRS");
        String sep = File.pathSeparator;
        if (blank(dirs)) {
            dirs = System.getenv("SPARK_LOCAL_DIRS");
            sep = ",";
        }
        if (blank(dirs) && System.getenv("CONTAINER_ID") != null) {
            dirs = System.getenv("LOCAL_DIRS");
            sep = ",";
        }
        if (blank(dirs) && SparkEnv.get() != null) {
            dirs = SparkEnv.get().conf().get("spark.local.dir", null);
            sep = ",";
        }
        if (blank(dirs)) {
            return Path.of(System.getProperty("java.io.tmpdir"));
        }
        return Path.of(dirs.split(sep.equals(",") ? "," : java.util.regex.Pattern.quote(sep))[0].trim());
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
