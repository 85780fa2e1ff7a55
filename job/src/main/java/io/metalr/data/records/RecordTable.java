package io.metalr.data.records;

import java.util.Arrays;
import java.util.List;

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
