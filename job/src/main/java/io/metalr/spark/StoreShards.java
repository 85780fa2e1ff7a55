package io.metalr.spark;

import io.metalr.data.ImageSet;
import io.metalr.data.Shards;
import io.metalr.data.Splits;
import io.metalr.data.load.LocalStores;
import io.metalr.data.load.StoreHandle;
import io.metalr.data.load.StoreKey;
import io.metalr.data.store.MappedStore;
import io.metalr.udf.image.Preprocessor;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Makes a shard's {@link ShardData} on the executor, as views over the stores its JVM holds
 * ({@link LocalStores}): split s's store of shard k holds the images of {@code shards(s).indices(k)}
 * in ascending index (rid order), so position j is the j-th smallest of those indices; that index
 * is the image's augmentation key and its batch-order index, as in a single process. Made once per
 * JVM and store; null when a store is not here. {@code train} null: the load built no training
 * stores (an evaluation of other splits).
 */
record StoreShards(String dataKey, Pre preSpec, int numClasses, Shards train, boolean metaFromVal, Shards val,
        Shards test, Map<StoreKey, String> sha256) implements Serializable {

    /** A {@link Preprocessor}'s settings, which travel (the record itself is not Serializable). */
    record Pre(int height, int width, int channels, float[] mean, float[] std) implements Serializable {
        static Pre of(Preprocessor p) {
            return new Pre(p.height(), p.width(), p.channels(), p.mean(), p.std());
        }

        Preprocessor get() {
            return new Preprocessor(height, width, channels, mean, std);
        }
    }

    /** Forgets the data made over {@code dataKey}'s stores (released). */
    static void forget(String dataKey) {
        MADE.keySet().removeIf(k -> k.dataKey().equals(dataKey));
    }

    /** The data made for a shard, with the stores it views (stale when LocalStores holds others now). */
    private record Made(ShardData data, List<MappedStore> stores) {}

    private static final Map<StoreKey, Made> MADE = new ConcurrentHashMap<>();

    /** The shard of these handles (one partition's), or null when one of its stores is not in this JVM. */
    ShardData shard(List<StoreHandle> handles) {
        int k = handles.get(0).key().shard();
        for (StoreHandle h : handles) {
            String want = sha256.get(h.key());
            if (!h.sha256().equals(want)) {
                // the partition was rebuilt from its lineage with other content: never train on it
                throw new IllegalStateException(h.key() + ": the store's SHA-256 " + h.sha256() + " is not the load's " + want);
            }
        }
        StoreKey trainKey = new StoreKey(dataKey, Splits.TRAIN, k);
        MappedStore trainStore = train == null ? null : LocalStores.get(trainKey);
        MappedStore valStore = val != null && k < val.count() ? LocalStores.get(new StoreKey(dataKey, Splits.VAL, k)) : null;
        MappedStore testStore = test != null && k < test.count() ? LocalStores.get(new StoreKey(dataKey, Splits.TEST, k)) : null;
        if ((train != null && trainStore == null) || (val != null && k < val.count() && valStore == null)
                || (test != null && k < test.count() && testStore == null)) {
            return null;
        }
        List<MappedStore> stores = Arrays.asList(trainStore, valStore, testStore);
        Made m = MADE.get(trainKey);
        if (m != null && sameStores(m.stores(), stores)) {
            return m.data();
        }
        ShardData d = make(k, trainStore, valStore, testStore);
        MADE.put(trainKey, new Made(d, stores));
        return d;
    }

    private static boolean sameStores(List<MappedStore> a, List<MappedStore> b) {
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i) != b.get(i)) {
                return false;
            }
        }
        return true;
    }

    private ShardData make(int k, MappedStore trainStore, MappedStore valStore, MappedStore testStore) {
        String name = dataKey + "/shard" + k;
        int[] members = train == null ? null : sorted(train, k);
        ImageSet trainSet = train == null ? null : view(name + "/train", trainStore, members.length);
        ShardData.Part valPart = valStore == null ? null : new ShardData.Part(view(name + "/val", valStore, val.size(k)), sorted(val, k));
        ShardData.Part testPart = testStore == null ? null
                : new ShardData.Part(view(name + "/test", testStore, test.size(k)), sorted(test, k));
        ImageSet meta = metaFromVal ? valPart.images() : null;
        return new ShardData(k, trainSet, members, meta, metaFromVal ? valPart.keys() : null, valPart, testPart);
    }

    private ImageSet view(String name, MappedStore store, int expected) {
        if (store.size() != expected) {
            throw new IllegalStateException(name + ": the store holds " + store.size() + " images, the shard " + expected
                    + " (a record left out as bad after the split cannot be trained around yet)");
        }
        int[] positions = new int[store.size()];
        Arrays.setAll(positions, i -> i);
        Preprocessor pre = preSpec.get();
        return new ImageSet(name, store, positions, new String[positions.length], pre, pre.channels(), pre.height(),
                pre.width(), numClasses);
    }

    private static int[] sorted(Shards shards, int k) {
        int[] m = shards.indices(k);
        Arrays.sort(m);
        return m;
    }
}
