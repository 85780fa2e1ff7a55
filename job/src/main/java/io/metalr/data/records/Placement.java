package io.metalr.data.records;

import io.metalr.data.Shards;
import io.metalr.data.Splits;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * Where every record goes, with its label: its split, its shard within that split and its index
 * in the split, by rid. The splits come from {@link Splits#assign} over the records' labels,
 * patients and given splits; the shards of each split from {@link Shards#of} over that split's
 * labels (so train shard s is what {@code Shards.of(trainLabels, count, seed)} gives the
 * trainer). Compact, sorted arrays: broadcast it, and look records up by rid on the executors.
 */
public final class Placement implements Serializable {

    private static final long serialVersionUID = 1L;

    private final long[] rid;
    private final int[] label;
    private final byte[] split;
    private final int[] shard;
    private final int[] position;
    private final int[] shardCounts;

    private Placement(long[] rid, int[] label, byte[] split, int[] shard, int[] position, int[] shardCounts) {
        this.rid = rid;
        this.label = label;
        this.split = split;
        this.shard = shard;
        this.position = position;
        this.shardCounts = shardCounts;
    }

    /** The splits of {@code records} by {@link Splits#assign}, each cut into {@code shards} (fewer for a smaller split). */
    public static Placement of(RecordTable records, Splits.Ratios ratios, long seed, int shards) {
        Splits.Assignment a = Splits.assign(records.labels(), records.patients(), records.givenSplits(), ratios, seed);
        return of(records, a, seed, shards);
    }

    /** The given split assignment (indices into {@code records}), each split cut into {@code shards}. */
    public static Placement of(RecordTable records, Splits.Assignment a, long seed, int shards) {
        if (shards < 1) {
            throw new IllegalArgumentException("shards must be at least 1, got " + shards);
        }
        int n = records.size();
        int[] labels = records.labels();
        byte[] split = new byte[n];
        int[] shard = new int[n];
        int[] position = new int[n];
        Arrays.fill(split, (byte) -1);
        int[] counts = new int[3];
        for (int s = 0; s < 3; s++) {
            int[] members = a.indices(s);
            if (members.length == 0) {
                continue;
            }
            int[] splitLabels = new int[members.length];
            for (int p = 0; p < members.length; p++) {
                splitLabels[p] = labels[members[p]];
                split[members[p]] = (byte) s;
                position[members[p]] = p;
            }
            Shards cut = Shards.of(splitLabels, Math.min(shards, members.length), seed);
            counts[s] = cut.count();
            for (int k = 0; k < cut.count(); k++) {
                for (int p : cut.indices(k)) {
                    shard[members[p]] = k;
                }
            }
        }
        return new Placement(records.rids(), labels, split, shard, position, counts);
    }

    public int size() {
        return rid.length;
    }

    /** The place of {@code rid} in the records, or -1 for a rid not among them. */
    public int indexOf(long rid) {
        int i = Arrays.binarySearch(this.rid, rid);
        return i >= 0 ? i : -1;
    }

    public long rid(int i) {
        return rid[i];
    }

    public int label(int i) {
        return label[i];
    }

    /** {@link Splits#TRAIN}, {@link Splits#VAL} or {@link Splits#TEST} of record i, or -1 for none. */
    public int split(int i) {
        return split[i];
    }

    /** The shard of record i within its split. */
    public int shard(int i) {
        return shard[i];
    }

    /** The index of record i in its split (records of a split in rid order): the augmentation key of a train image. */
    public int position(int i) {
        return position[i];
    }

    /** The number of shards split {@code s} was cut into (0 for an empty split). */
    public int shardCount(int s) {
        return shardCounts[s];
    }

    /** A digest of the whole placement (rids, labels, splits, shards): equal for equal placements. */
    public byte[] digest() {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        ByteBuffer b = ByteBuffer.allocate(21);
        for (int i = 0; i < rid.length; i++) {
            b.clear();
            b.putLong(rid[i]).putInt(label[i]).put(split[i]).putInt(shard[i]).putInt(position[i]);
            md.update(b.array(), 0, b.position());
        }
        return md.digest();
    }

    /** How many records of split {@code s} are in shard {@code k}. */
    public int count(int s, int k) {
        int c = 0;
        for (int i = 0; i < rid.length; i++) {
            if (split[i] == s && shard[i] == k) {
                c++;
            }
        }
        return c;
    }
}
