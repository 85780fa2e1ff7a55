package io.metalr.data.records;

import io.metalr.udf.image.BadRecordException;

import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The records of a data set as the driver holds them: per record, in ascending rid order, its rid,
 * label, patient id (null for none) and given split (train, val, test, or null), and nothing of its
 * image. About 30 bytes a record plus the distinct patient ids.
 */
public final class RecordTable {

    private final RecordSource source;
    private final long[] rid;
    private final int[] label;
    private final String[] patient;
    private final String[] split;
    private final List<String> classNames;
    private final long skipped;

    RecordTable(RecordSource source, long[] rid, int[] label, String[] patient, String[] split, List<String> classNames,
            long skipped) {
        for (int i = 1; i < rid.length; i++) {
            if (rid[i] <= rid[i - 1]) {
                throw new IllegalArgumentException("record ids must ascend: " + rid[i - 1] + " then " + rid[i]);
            }
        }
        this.source = source;
        this.rid = rid;
        this.label = label;
        this.patient = patient;
        this.split = split;
        this.classNames = List.copyOf(classNames);
        this.skipped = skipped;
    }

    /**
     * The records of {@code source} (rids ascending, with their labels, patients or null, given
     * splits or null), {@code skipped} counting those dropped for bad metadata.
     */
    public static RecordTable of(RecordSource source, long[] rid, int[] label, String[] patient, String[] split,
            List<String> classNames, long skipped) {
        return new RecordTable(source, rid, label, patient, split, classNames, skipped);
    }

    /**
     * These records less those of {@code bad} (rids, any order; a rid not here is ignored), which
     * {@link #skipped} then counts: a set whose bad images were found where they were decoded. A
     * set left without records, or without any of a split it names, is a {@link BadRecordException}.
     */
    public RecordTable without(long[] bad) {
        long[] drop = bad.clone();
        Arrays.sort(drop);
        int n = 0;
        int[] keep = new int[rid.length];
        for (int i = 0; i < rid.length; i++) {
            if (Arrays.binarySearch(drop, rid[i]) < 0) {
                keep[n++] = i;
            }
        }
        long[] r = new long[n];
        int[] l = new int[n];
        String[] p = new String[n];
        String[] s = new String[n];
        for (int k = 0; k < n; k++) {
            r[k] = rid[keep[k]];
            l[k] = label[keep[k]];
            p[k] = patient[keep[k]];
            s[k] = split[keep[k]];
        }
        RecordTable out = new RecordTable(source, r, l, p, s, classNames, skipped + (rid.length - n));
        out.checkRemainsOf(this);
        return out;
    }

    /** A set that lost all its records, or all of a split it names, to bad images is refused, as the readers refuse one. */
    private void checkRemainsOf(RecordTable before) {
        if (size() == 0) {
            throw new BadRecordException(name() + ": no samples"
                    + (skipped > 0 ? " (all " + skipped + " records were bad and skipped)" : ""));
        }
        Set<String> after = new HashSet<>(Arrays.asList(split));
        for (String s : new LinkedHashSet<>(Arrays.asList(before.split))) {
            if (s != null && !after.contains(s)) {
                throw new BadRecordException(name() + ": the " + s + " split has no samples"
                        + (skipped > 0 ? " (" + skipped + " bad records were skipped)" : ""));
            }
        }
    }

    public RecordSource source() {
        return source;
    }

    public String name() {
        return source.name();
    }

    public int size() {
        return rid.length;
    }

    public long rid(int i) {
        return rid[i];
    }

    /** The records' ids, ascending (a copy). */
    public long[] rids() {
        return rid.clone();
    }

    /** The labels, in record order (a copy). */
    public int[] labels() {
        return label.clone();
    }

    /** The patient ids, in record order (a copy; null for none). */
    public String[] patients() {
        return patient.clone();
    }

    /** The splits the data names, in record order, or null when it names none. */
    public String[] givenSplits() {
        return Arrays.stream(split).anyMatch(s -> s != null) ? split.clone() : null;
    }

    public List<String> classNames() {
        return classNames;
    }

    public int numClasses() {
        return classNames.size();
    }

    /** Records dropped (data.onBadRecord = skip) because their metadata was bad. */
    public long skipped() {
        return skipped;
    }

    /** Where a record is, for error messages (see {@link RecordSource#where}). */
    public String where(long rid) {
        return source.where(rid);
    }
}
