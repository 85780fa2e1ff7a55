package io.metalr.data.read;

import io.metalr.data.records.RecordTable;
import io.metalr.udf.image.BadRecordException;
import io.metalr.udf.image.RawImage;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.apache.hadoop.conf.Configuration;

/**
 * A manifest that lists image files: CSV (a header row, then one row per image; RFC 4180 quoting,
 * so fields may hold commas, doubled quotes and line breaks; UTF-8, optionally {@code .gz}) or
 * Parquet, with columns {@code path}, {@code label}, optional {@code patient_id}
 * and optional {@code split} (column names in any case; other columns are ignored).
 *
 * <p>Paths are relative to the manifest's folder unless absolute or a URI; the images are PNG or
 * JPEG. A label is an integer or a class name: when {@code classNames} is given, a name from it or
 * an integer below its size; otherwise, when most labels are integers the labels are integers
 * (class names "0".."K-1", K = the largest + 1) and a label that is not one is a bad record, else
 * every label is a class name and the sorted distinct names are the classes. {@code split} is
 * train, val (valid, validation) or test, or blank.
 *
 * <p>Bad records (a missing or corrupt image, a missing, negative, unknown or non-integer label, an
 * unknown split, a different shape under {@code sameShape}) name the row:
 * {@code manifest.csv row 7: label 'x' is not an integer}. CSV rows are counted with the header as
 * row 1, so row N is line N of the file unless a quoted field spans lines; Parquet rows are counted
 * from 1 in file order (part files by name).
 *
 * <p>Parquet is read on this thread with parquet-mr, not with Spark ({@link ParquetManifest} says
 * why): a file or a folder of part files, {@code key=value} partition folders giving columns.
 */
public final class ManifestReader {

    private ManifestReader() {}

    public static SampleSet read(String path, OnBadRecord onBad) throws IOException {
        return read(path, onBad, false, null, DataPaths.configuration());
    }

    /**
     * @param sameShape whether every image must have the first good image's shape
     * @param classNames the classes by index, or null to take them from the labels
     */
    public static SampleSet read(String path, OnBadRecord onBad, boolean sameShape, List<String> classNames)
            throws IOException {
        return read(path, onBad, sameShape, classNames, DataPaths.configuration());
    }

    public static SampleSet read(String path, OnBadRecord onBad, boolean sameShape, List<String> classNames,
            Configuration conf) throws IOException {
        return read(path, onBad, sameShape, classNames, DataLimits.DEFAULTS, conf);
    }

    /** Reads the manifest and its images; the manifest, an image or a volume over {@code limits} is refused. */
    public static SampleSet read(String path, OnBadRecord onBad, boolean sameShape, List<String> classNames,
            DataLimits limits, Configuration conf) throws IOException {
        if (!DataPaths.exists(path, conf)) {
            throw new FileNotFoundException(path + ": no such manifest");
        }
        String name = DataPaths.name(path);
        List<Row5> rows;
        if (isParquet(path, conf)) {
            rows = parquetRows(path, limits, conf);
        } else {
            rows = csvRows(path, name, limits, conf);
        }
        return toSamples(rows, path, name, onBad, sameShape, classNames, limits, conf);
    }

    /** One manifest row: its number (for messages) and its five fields as text (null = absent). */
    record Row5(long row, String path, String label, String patientId, String split) {}

    /** NIfTI volumes in a manifest are labelled per volume and read slice by slice. */
    private static boolean isVolume(String file) {
        String f = file.toLowerCase(java.util.Locale.ROOT);
        return f.endsWith(".nii") || f.endsWith(".nii.gz");
    }

    private static boolean isParquet(String path, Configuration conf) throws IOException {
        String n = path.toLowerCase(Locale.ROOT);
        if (n.endsWith(".csv") || n.endsWith(".csv.gz") || n.endsWith(".txt")) {
            return false;
        }
        if (n.endsWith(".parquet") || n.endsWith(".parq") || DataPaths.isDirectory(path, conf)) {
            return true;
        }
        try (InputStream in = DataPaths.open(path, conf)) {
            byte[] magic = in.readNBytes(4);
            return Arrays.equals(magic, "PAR1".getBytes(StandardCharsets.US_ASCII));
        }
    }

    // ---------------------------------------------------------------- CSV

    private static List<Row5> csvRows(String path, String name, DataLimits limits, Configuration conf)
            throws IOException {
        String text = new String(DataPaths.readData(path, true, limits.maxFileBytes(), conf), StandardCharsets.UTF_8);
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        List<List<String>> records = parseCsv(text, name);
        if (records.isEmpty()) {
            throw new BadRecordException(name + ": empty manifest (no header row)");
        }
        List<String> header = records.get(0);
        int pathCol = column(header, "path");
        int labelCol = column(header, "label");
        int patientCol = column(header, "patient_id");
        int splitCol = column(header, "split");
        if (pathCol < 0 || labelCol < 0) {
            throw new BadRecordException(name + ": the header row must name the columns path and label"
                    + " (optional: patient_id, split); it has " + header);
        }
        List<Row5> rows = new ArrayList<>();
        for (int r = 1; r < records.size(); r++) {
            List<String> f = records.get(r);
            if (f.size() == 1 && f.get(0).isBlank()) {
                continue; // blank line
            }
            long row = r + 1;
            rows.add(new Row5(row, at(f, pathCol), at(f, labelCol), at(f, patientCol), at(f, splitCol)));
        }
        return rows;
    }

    private static int column(List<String> header, String name) {
        for (int i = 0; i < header.size(); i++) {
            if (header.get(i).trim().toLowerCase(Locale.ROOT).equals(name)) {
                return i;
            }
        }
        return -1;
    }

    private static String at(List<String> fields, int col) {
        return col >= 0 && col < fields.size() ? fields.get(col) : null;
    }

    /** RFC 4180: fields separated by commas, optionally quoted; "" is a quote inside quotes. */
    static List<List<String>> parseCsv(String text, String name) {
        List<List<String>> records = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        boolean any = false;
        int line = 1;
        int quoteLine = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < text.length() && text.charAt(i + 1) == '"') {
                        field.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    if (c == '\n') {
                        line++;
                    }
                    field.append(c);
                }
                continue;
            }
            switch (c) {
                case '"':
                    quoted = true;
                    quoteLine = line;
                    any = true;
                    break;
                case ',':
                    fields.add(field.toString());
                    field.setLength(0);
                    any = true;
                    break;
                case '\r':
                    break;
                case '\n':
                    fields.add(field.toString());
                    records.add(fields);
                    fields = new ArrayList<>();
                    field.setLength(0);
                    any = false;
                    line++;
                    break;
                default:
                    field.append(c);
                    any = true;
            }
        }
        if (quoted) {
            throw new BadRecordException(name + ": a quoted field opened on line " + quoteLine + " never closes");
        }
        if (any || field.length() > 0) {
            fields.add(field.toString());
            records.add(fields);
        }
        return records;
    }

    // ---------------------------------------------------------------- Parquet

    private static final List<String> COLUMNS = List.of("path", "label", "patient_id", "split");

    private static List<Row5> parquetRows(String path, DataLimits limits, Configuration conf) throws IOException {
        List<String[]> all = ParquetManifest.rows(path, COLUMNS, limits.maxFileBytes(), conf);
        List<Row5> rows = new ArrayList<>();
        long n = 0;
        boolean hasPath = false;
        boolean hasLabel = false;
        for (String[] r : all) {
            hasPath |= r[0] != null;
            hasLabel |= r[1] != null;
            rows.add(new Row5(++n, r[0], r[1], r[2], r[3]));
        }
        if (!rows.isEmpty() && (!hasPath || !hasLabel)) {
            throw new BadRecordException(path + ": a Parquet manifest needs the columns path and label"
                    + " (optional: patient_id, split); no row has " + (hasPath ? "a label" : "a path"));
        }
        return rows;
    }

    // ---------------------------------------------------------------- rows to samples

    private static SampleSet toSamples(List<Row5> rows, String path, String name, OnBadRecord onBad,
            boolean sameShape, List<String> classNames, DataLimits limits, Configuration conf) throws IOException {
        Labels labels = Labels.of(rows.stream().map(Row5::label).toList(), classNames);
        String folder = DataPaths.parent(path);
        List<Sample> samples = new ArrayList<>();
        Set<String> splits = new LinkedHashSet<>();
        long skipped = 0;
        int[] shape = null;
        long shapeRow = 0;
        long withSplit = 0;
        long withoutSplit = 0;
        for (Row5 r : rows) {
            String where = name + " row " + r.row();
            boolean hasSplit = r.split() != null && !r.split().isBlank();
            if (hasSplit && SampleSets.normalize(r.split()) != null) {
                splits.add(SampleSets.normalize(r.split()));
            }
            withSplit = hasSplit && withSplit == 0 ? r.row() : withSplit;
            withoutSplit = !hasSplit && withoutSplit == 0 ? r.row() : withoutSplit;
            try {
                Checked c = check(r, where, labels, folder);
                int label = c.label();
                String split = c.split();
                String file = c.file();
                String patient = c.patient();
                if (isVolume(file)) {
                    // a volume labelled as a whole: its axial slices, one patient (the row's, or the volume)
                    samples.addAll(slices(file, where, label, patient, split, limits.maxFileBytes(), conf));
                    continue;
                }
                RawImage image;
                try {
                    image = ImageFolderReader.decode(file, limits, conf);
                } catch (BadRecordException e) {
                    throw new BadRecordException(where + ": " + e.getMessage(), e);
                }
                if (sameShape) {
                    int[] s = {image.channels(), image.height(), image.width()};
                    if (shape == null) {
                        shape = s;
                        shapeRow = r.row();
                    } else if (!Arrays.equals(shape, s)) {
                        throw new BadRecordException(where + ": image " + file + " has shape " + s[0] + "x" + s[1]
                                + "x" + s[2] + ", the set's is " + shape[0] + "x" + shape[1] + "x" + shape[2]
                                + " (row " + shapeRow + ")");
                    }
                }
                samples.add(new Sample(file, image, label, patient, split));
            } catch (BadRecordException e) {
                onBad.handle(e);
                skipped++;
            }
        }
        if (withSplit > 0 && withoutSplit > 0) {
            throw new BadRecordException(name + ": row " + withoutSplit + " has no split while row " + withSplit
                    + " has one: give every row a split, or none");
        }
        return SampleSets.finish(name, samples, labels.classNames(), skipped, splits);
    }

    /** A row's fields once checked: its label, split (or null), resolved file and patient (or null). */
    private record Checked(int label, String split, String file, String patient) {}

    /** The checks of one row, in the order {@link #read} makes them; a bad row throws, naming it. */
    private static Checked check(Row5 r, String where, Labels labels, String folder) {
        if (r.path() == null || r.path().isBlank()) {
            throw new BadRecordException(where + ": no path");
        }
        int label = labels.parse(r.label(), where);
        String split = null;
        if (r.split() != null && !r.split().isBlank()) {
            split = SampleSets.normalize(r.split());
            if (split == null) {
                throw new BadRecordException(where + ": split '" + r.split() + "' is not train, val or test");
            }
        }
        String file;
        try {
            file = DataPaths.resolve(folder, r.path().trim());
        } catch (IllegalArgumentException e) {
            throw new BadRecordException(where + ": bad path '" + r.path() + "': " + e.getMessage(), e);
        }
        String patient = r.patientId() == null || r.patientId().isBlank() ? null : r.patientId().trim();
        return new Checked(label, split, file, patient);
    }

    /** A volume row's slices as {@link #read} makes them; a bad volume throws, naming the row. */
    static List<Sample> slices(String file, String where, int label, String patient, String split, long maxFileBytes,
            Configuration conf) throws IOException {
        try {
            return NiftiReader.volumeSlices(NiftiVolume.read(file, maxFileBytes, conf), 2, label, patient, split);
        } catch (BadRecordException | IllegalArgumentException e) {
            throw new BadRecordException(where + ": " + e.getMessage(), e);
        } catch (java.io.FileNotFoundException e) {
            throw new BadRecordException(where + ": no such file " + file, e);
        }
    }

    /**
     * The manifest's records, its rows checked on the driver as {@link #read} checks them (same
     * messages), without reading an image: rid = the record's place in {@link #read}'s sample
     * order. A row naming a NIfTI volume becomes its slices; which slices {@link #read} keeps
     * depends on their voxels, so the driver reads such a volume (one at a time, dropped after),
     * and a task reads it again for its pixels. An unreadable image is found where it is decoded.
     */
    public static RecordTable records(String path, OnBadRecord onBad, List<String> classNames, DataLimits limits,
            Configuration conf) throws IOException {
        if (!DataPaths.exists(path, conf)) {
            throw new FileNotFoundException(path + ": no such manifest");
        }
        String name = DataPaths.name(path);
        List<Row5> rows = isParquet(path, conf) ? parquetRows(path, limits, conf) : csvRows(path, name, limits, conf);
        Labels labels = Labels.of(rows.stream().map(Row5::label).toList(), classNames);
        String folder = DataPaths.parent(path);
        RecordList out = new RecordList();
        ImageFileSource.Parts parts = new ImageFileSource.Parts(true);
        Set<String> splits = new LinkedHashSet<>();
        long skipped = 0;
        long withSplit = 0;
        long withoutSplit = 0;
        long rid = 0;
        for (Row5 r : rows) {
            String where = name + " row " + r.row();
            boolean hasSplit = r.split() != null && !r.split().isBlank();
            if (hasSplit && SampleSets.normalize(r.split()) != null) {
                splits.add(SampleSets.normalize(r.split()));
            }
            withSplit = hasSplit && withSplit == 0 ? r.row() : withSplit;
            withoutSplit = !hasSplit && withoutSplit == 0 ? r.row() : withoutSplit;
            try {
                Checked c = check(r, where, labels, folder);
                if (isVolume(c.file())) {
                    List<Sample> slices = slices(c.file(), where, c.label(), c.patient(), c.split(), limits.maxFileBytes(), conf);
                    long[] rids = new long[slices.size()];
                    for (int k = 0; k < rids.length; k++) {
                        rids[k] = rid;
                        out.add(rid++, c.label(), slices.get(k).patientId(), c.split());
                    }
                    parts.volume(rids, c.file(), where);
                } else {
                    out.add(rid, c.label(), c.patient(), c.split());
                    parts.add(rid++, c.file(), where);
                }
            } catch (BadRecordException e) {
                onBad.handle(e);
                skipped++;
            }
        }
        if (withSplit > 0 && withoutSplit > 0) {
            throw new BadRecordException(name + ": row " + withoutSplit + " has no split while row " + withSplit
                    + " has one: give every row a split, or none");
        }
        ImageFileSource source = new ImageFileSource(name, "manifest " + path, limits.maxFileBytes(), parts.finish());
        return out.finish(source, name, labels.classNames(), skipped, splits);
    }

    /** How a manifest's label text becomes a class index. */
    record Labels(List<String> classNames, Map<String, Integer> byName, boolean integers) {

        static Labels of(List<String> all, List<String> given) {
            if (given != null) {
                if (given.isEmpty()) {
                    throw new IllegalArgumentException("classNames must not be empty");
                }
                Map<String, Integer> byName = new java.util.HashMap<>();
                for (int i = 0; i < given.size(); i++) {
                    byName.put(given.get(i), i);
                }
                return new Labels(List.copyOf(given), byName, false);
            }
            long ints = 0;
            long nonBlank = 0;
            long max = -1;
            TreeSet<String> names = new TreeSet<>();
            for (String l : all) {
                if (l == null || l.isBlank()) {
                    continue;
                }
                nonBlank++;
                names.add(l.trim());
                Long v = integer(l);
                if (v != null) {
                    ints++;
                    if (v < SampleSets.MAX_INFERRED_CLASSES) {
                        max = Math.max(max, v); // a larger label is a bad record of its own
                    }
                }
            }
            if (nonBlank > 0 && ints * 2 >= nonBlank) {
                return new Labels(SampleSets.numbered((int) Math.max(max + 1, 0)), Map.of(), true);
            }
            Map<String, Integer> byName = new java.util.HashMap<>();
            List<String> list = new ArrayList<>(names);
            for (int i = 0; i < list.size(); i++) {
                byName.put(list.get(i), i);
            }
            return new Labels(list, byName, false);
        }

        int parse(String text, String where) {
            if (text == null || text.isBlank()) {
                throw new BadRecordException(where + ": no label");
            }
            String t = text.trim();
            Integer named = byName.get(t);
            if (named != null) {
                return named;
            }
            Long v = integer(t);
            if (v == null) {
                throw new BadRecordException(where + ": label '" + t + "' is "
                        + (integers ? "not an integer" : "not a class name of " + classNames));
            }
            if (v < 0 || v >= classNames.size()) {
                throw new BadRecordException(where + ": label " + v + " is out of range [0, " + classNames.size() + ")");
            }
            return v.intValue();
        }

        /** "3", "-1", "3.0" as integers; anything else null. */
        static Long integer(String text) {
            String t = text.trim();
            try {
                return Long.parseLong(t);
            } catch (NumberFormatException e) {
                // maybe 3.0
            }
            try {
                double d = Double.parseDouble(t);
                if (!t.toLowerCase(Locale.ROOT).contains("n") && d == Math.rint(d) && Math.abs(d) < 1e15) {
                    return (long) d;
                }
            } catch (NumberFormatException e) {
                // not a number
            }
            return null;
        }
    }
}
