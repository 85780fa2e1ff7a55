package io.metalr.data.read;

import io.metalr.data.records.RecordSource;
import io.metalr.data.records.RecordTable;
import io.metalr.udf.image.BadRecordException;

import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The records a reader finds on the driver, in rid order, as growing columns (about 30 bytes a
 * record): {@link #finish} makes the checks {@link SampleSets#finish} makes of samples (no records,
 * a declared split left empty) and returns the {@link RecordTable}.
 */
final class RecordList {

    private long[] rid = new long[1024];
    private int[] label = new int[1024];
    private String[] patient = new String[1024];
    private String[] split = new String[1024];
    private final Map<String, String> patients = new HashMap<>(); // one String per distinct id
    private int n;

    void add(long r, int l, String p, String s) {
        if (n == rid.length) {
            int cap = Math.multiplyExact(n, 2);
            rid = Arrays.copyOf(rid, cap);
            label = Arrays.copyOf(label, cap);
            patient = Arrays.copyOf(patient, cap);
            split = Arrays.copyOf(split, cap);
        }
        rid[n] = r;
        label[n] = l;
        patient[n] = p == null ? null : patients.computeIfAbsent(p, k -> k);
        split[n] = s;
        n++;
    }

    int size() {
        return n;
    }

    RecordTable finish(RecordSource source, String name, List<String> classNames, long skipped,
            Collection<String> declaredSplits) {
        Set<String> declared = new LinkedHashSet<>();
        for (String s : declaredSplits) {
            if (s != null) {
                declared.add(s);
            }
        }
        Set<String> present = new LinkedHashSet<>();
        for (int i = 0; i < n; i++) {
            if (split[i] != null) {
                present.add(split[i]);
            }
        }
        for (String s : declared) {
            if (!present.contains(s)) {
                throw new BadRecordException(name + ": the " + s + " split has no samples"
                        + (skipped > 0 ? " (" + skipped + " bad records were skipped)" : ""));
            }
        }
        if (n == 0) {
            throw new BadRecordException(name + ": no samples"
                    + (skipped > 0 ? " (all " + skipped + " records were bad and skipped)" : ""));
        }
        return RecordTable.of(source, Arrays.copyOf(rid, n), Arrays.copyOf(label, n), Arrays.copyOf(patient, n),
                Arrays.copyOf(split, n), classNames, skipped);
    }
}
