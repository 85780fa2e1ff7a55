package io.metalr.data.load;

import io.metalr.data.records.Placement;
import io.metalr.data.records.RecordSource;
import io.metalr.data.store.MappedStore;
import io.metalr.data.store.StoreWriter;
import io.metalr.udf.image.BadRecordException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One store being written: records arrive in rid order, each decoded and added, or kept as a
 * {@link BadRecord} and left out. {@link #finish} registers the store in this JVM's
 * {@link LocalStores} and returns its handle. The Spark and the in-process loaders both build
 * stores through this class, so equal records give bitwise equal files.
 */
final class StoreBuild {

    private final StoreKey key;
    private final RecordSource source;
    private final long maxPixels;
    private final StoreWriter writer;
    private final List<BadRecord> bad = new ArrayList<>();
    private long lastRid = -1;

    StoreBuild(StoreKey key, Path dir, String owner, RecordSource source, long maxPixels) {
        this.key = key;
        this.source = source;
        this.maxPixels = maxPixels;
        try {
            Path folder = Files.createDirectories(dir.resolve("metalr-stores").resolve(key.dataKey()));
            // the owner in the name: two JVMs sharing a local dir never write one file
            this.writer = StoreWriter.create(folder.resolve(key.fileStem() + "-" + owner + ".store"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the store " + key + " under " + dir, e);
        }
    }

    /**
     * The builds of one shard, indexed by split: one for each split of {@code spec} cut into more
     * than {@code shard} shards, null for the others.
     */
    static StoreBuild[] forShard(String dataKey, int shard, Placement placement, LoadSpec spec, RecordSource source,
            String owner) {
        Path dir = LocalStores.directory(spec.cacheDir());
        StoreBuild[] builds = new StoreBuild[3];
        for (int s : spec.splits()) {
            if (shard < placement.shardCount(s)) {
                builds[s] = new StoreBuild(new StoreKey(dataKey, s, shard), dir, owner, source, spec.maxPixels());
            }
        }
        return builds;
    }

    void add(RecordContent r) {
        if (r.rid() <= lastRid) {
            throw new IllegalStateException(key + ": records must come in ascending rid order: " + lastRid + " then "
                    + r.rid());
        }
        lastRid = r.rid();
        try {
            writer.add(r.rid(), r.label(), r.decode(source, maxPixels));
        } catch (BadRecordException e) {
            bad.add(new BadRecord(r.rid(), e.getMessage()));
        }
    }

    StoreHandle finish(String executorId) {
        MappedStore store = writer.finish();
        LocalStores.put(key, store);
        return new StoreHandle(key, store.size(), store.fileBytes(), store.sha256(), executorId, bad);
    }
}
