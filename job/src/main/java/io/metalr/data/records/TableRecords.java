package io.metalr.data.records;

import io.metalr.data.read.DataPaths;
import io.metalr.data.read.OnBadRecord;
import io.metalr.data.read.SparkTables;
import io.metalr.data.read.TableReader;
import io.metalr.udf.image.BadRecordException;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;

/**
 * The records of a Parquet table ({@code data.format = table}, see {@link TableReader} for its
 * columns), read on the driver without its images: only rid, label, patient_id and split come
 * back, a partition at a time. Each row is checked as {@link TableReader} checks it (a null,
 * negative or out-of-range label, an unknown split), the error naming the row; with
 * {@link OnBadRecord#SKIP} the row is dropped and counted. A bad image is found later, where it is
 * decoded (on the executors).
 */
public final class TableRecords {

    private TableRecords() {}

    public static RecordTable read(String path, OnBadRecord onBad, List<String> classNames, Configuration conf)
            throws IOException {
        if (!DataPaths.exists(path, conf)) {
            throw new FileNotFoundException(path + ": no such table");
        }
        TableSource source = TableSource.open(path);
        Columns cols = new Columns();
        for (Iterator<Row> it = SparkTables.localRows(source.metadata(), path); it.hasNext(); ) {
            Row r = it.next();
            if (r.getLong(0) < 0) { // array_position found no file: 0 - 1 = -1, shifted
                throw new IllegalStateException(path + ": a row of a file not in the table's file list " + source.files());
            }
            cols.add(r.getLong(0), r.isNullAt(1) ? null : r.getLong(1), r.isNullAt(2) ? null : r.getString(2),
                    r.isNullAt(3) ? null : r.getString(3));
        }
        int[] order = IntStream.range(0, cols.n).boxed().sorted(Comparator.comparingLong(i -> cols.rid[i]))
                .mapToInt(Integer::intValue).toArray();

        long[] rid = new long[cols.n];
        int[] label = new int[cols.n];
        String[] patient = new String[cols.n];
        String[] split = new String[cols.n];
        Map<String, String> patients = new HashMap<>(); // one String per distinct id
        Set<String> declared = new LinkedHashSet<>();
        long withSplit = -1;
        long withoutSplit = -1;
        long skipped = 0;
        long maxLabel = -1;
        int kept = 0;
        for (int i : order) {
            long id = cols.rid[i];
            String where = source.where(id);
            String splitText = cols.split[i];
            boolean hasSplit = splitText != null && !splitText.isBlank();
            withSplit = hasSplit && withSplit < 0 ? id : withSplit;
            withoutSplit = !hasSplit && withoutSplit < 0 ? id : withoutSplit;
            try {
                // a split of a row dropped for its label must still hold a sample (as TableReader)
                declared.add(TableReader.splitName(splitText, where));
            } catch (BadRecordException e) {
                // the unknown split is reported below, after the label, in TableReader's order
            }
            try {
                long lab = TableReader.label(cols.label[i], classNames, where);
                String splitName = TableReader.splitName(splitText, where);
                String p = TableReader.patient(cols.patient[i]);
                rid[kept] = id;
                label[kept] = (int) lab;
                patient[kept] = p == null ? null : patients.computeIfAbsent(p, k -> k);
                split[kept] = splitName;
                maxLabel = Math.max(maxLabel, lab);
                kept++;
            } catch (BadRecordException e) {
                onBad.handle(e);
                skipped++;
            }
        }
        if (withSplit >= 0 && withoutSplit >= 0) {
            throw new BadRecordException(source.where(withoutSplit) + " has no split while " + source.where(withSplit)
                    + " has one: give every row a split, or none");
        }
        if (kept == 0) {
            throw new BadRecordException(source.name() + ": no samples"
                    + (skipped > 0 ? " (all " + skipped + " records were bad and skipped)" : ""));
        }
        String[] keptSplits = Arrays.copyOf(split, kept);
        declared.remove(null);
        for (String s : declared) {
            if (Arrays.stream(keptSplits).noneMatch(s::equals)) {
                throw new BadRecordException(source.name() + ": the " + s + " split has no samples"
                        + (skipped > 0 ? " (" + skipped + " bad records were skipped)" : ""));
            }
        }
        List<String> classes = classNames != null ? List.copyOf(classNames)
                : TableReader.numberedClasses((int) (maxLabel + 1));
        return new RecordTable(source, Arrays.copyOf(rid, kept), Arrays.copyOf(label, kept),
                Arrays.copyOf(patient, kept), keptSplits, classes, skipped);
    }

    /** The rows as they arrive, in growing arrays (boxed label: null is a bad record). */
    private static final class Columns {
        long[] rid = new long[1024];
        Long[] label = new Long[1024];
        String[] patient = new String[1024];
        String[] split = new String[1024];
        int n;

        void add(long r, Long l, String p, String s) {
            if (n == rid.length) {
                int cap = Math.multiplyExact(n, 2);
                rid = Arrays.copyOf(rid, cap);
                label = Arrays.copyOf(label, cap);
                patient = Arrays.copyOf(patient, cap);
                split = Arrays.copyOf(split, cap);
            }
            rid[n] = r;
            label[n] = l;
            patient[n] = p;
            split[n] = s;
            n++;
        }
    }
}
