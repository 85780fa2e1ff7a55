package io.metalr.sweep;

import com.typesafe.config.ConfigRenderOptions;

import io.metalr.config.JobConfig;
import io.metalr.data.DataSets;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The loaded data sets of this JVM, by data config: trials running side by side in one executor
 * (and the trials after them) read and preprocess their data once. Concurrent trials asking for
 * the same data wait for the one load. The few most recent data configs are kept.
 */
public final class TrialData {

    private static final int KEPT = 3;
    private static final AtomicLong LOADS = new AtomicLong();
    private static final Map<String, CompletableFuture<DataSets.Loaded>> LOADED = new LinkedHashMap<>(8, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, CompletableFuture<DataSets.Loaded>> eldest) {
            return size() > KEPT;
        }
    };

    private TrialData() {}

    /** The data of {@code cfg}, loaded once per JVM. */
    public static DataSets.Loaded get(JobConfig cfg) {
        String key = key(cfg);
        CompletableFuture<DataSets.Loaded> entry;
        boolean mine = false;
        synchronized (LOADED) {
            entry = LOADED.get(key);
            if (entry == null) {
                entry = new CompletableFuture<>();
                LOADED.put(key, entry);
                mine = true;
            }
        }
        if (mine) {
            try {
                LOADS.incrementAndGet();
                entry.complete(DataSets.load(cfg));
            } catch (RuntimeException | Error e) {
                // not kept: the next trial tries again and reports its own error
                synchronized (LOADED) {
                    LOADED.remove(key, entry);
                }
                entry.completeExceptionally(e);
                throw e;
            }
        }
        try {
            return entry.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    /** How many times this JVM has loaded data (for tests and logs). */
    public static long loads() {
        return LOADS.get();
    }

    /**
     * Everything the loaded sets depend on: the data section, train.seed (it seeds the split) and
     * report.record_ids (how the description names records).
     */
    static String key(JobConfig cfg) {
        return cfg.raw().getConfig("data").root().render(ConfigRenderOptions.concise()) + "|train.seed=" + cfg.integer("train.seed")
                + "|report.record_ids=" + cfg.word("report.record_ids");
    }
}
