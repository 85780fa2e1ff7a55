package io.metalr.data.read;

import io.metalr.udf.image.BadRecordException;
import io.metalr.udf.image.Image;
import io.metalr.udf.image.ImageDecoder;
import io.metalr.udf.image.RawImage;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A Parquet table (a file, or a Spark table's folder) whose rows are images, read with Spark:
 * either a BINARY column {@code image} (PNG or JPEG bytes, decoded with {@link ImageDecoder}) or an
 * ARRAY&lt;FLOAT&gt; (or ARRAY&lt;DOUBLE&gt;) column {@code pixels} in channel, row, column order
 * plus integer columns {@code channels}, {@code height}, {@code width}; an integer {@code label}
 * (INT, LONG, SHORT or BYTE); optional {@code patient_id} and {@code split} (train, val, test, or
 * null). When both {@code image} and {@code pixels} are present, {@code image} is used. Column names
 * match in any case; other columns are ignored.
 *
 * <p>{@code pixels} are taken as stored (expected in [0, 1]). Bad records name the row, counted from
 * 1 in the order Spark reads the table ({@code images.parquet row 12: pixel 40 is NaN}): a null or
 * undecodable image, pixels whose count is not channels x height x width, a NaN or infinite pixel,
 * a null, negative or (with {@code classNames}) too large label, an unknown split, a shape that
 * differs from the first image's under {@code sameShape}.
 *
 * <p>Class names are {@code classNames} when given, else "0".."K-1" with K the largest label + 1.
 * Sample ids are {@code <table>[row]}. Spark: {@code SparkSession.active()} when there is one, else a
 * {@code local[1]} session built here and left running. Rows stream to the driver with
 * {@code toLocalIterator}, one partition at a time.
 */
public final class TableReader {

    private TableReader() {}

    public static SampleSet read(String path, OnBadRecord onBad) throws IOException {
        return read(path, onBad, false, null, DataPaths.configuration());
    }

    public static SampleSet read(String path, OnBadRecord onBad, boolean sameShape, List<String> classNames)
            throws IOException {
        return read(path, onBad, sameShape, classNames, DataPaths.configuration());
    }

    public static SampleSet read(String path, OnBadRecord onBad, boolean sameShape, List<String> classNames,
            Configuration conf) throws IOException {
        return read(path, onBad, sameShape, classNames, DataLimits.DEFAULTS, conf);
    }

    /** Reads the table; an image declaring more than {@code limits.maxImagePixels()} is a bad record. */
    public static SampleSet read(String path, OnBadRecord onBad, boolean sameShape, List<String> classNames,
            DataLimits limits, Configuration conf) throws IOException {
        if (!DataPaths.exists(path, conf)) {
            throw new FileNotFoundException(path + ": no such table");
        }
        String name = DataPaths.name(path);
        Dataset<Row> df = SparkTables.readParquet(path);
        Columns columns = Columns.resolve(path, df.schema());
        boolean bytes = columns.bytes();
        List<Column> cols = new ArrayList<>(columns.metadata());
        cols.addAll(columns.content());
        Dataset<Row> sel = df.select(cols.toArray(new Column[0]));

        List<Sample> samples = new ArrayList<>();
        Set<String> splits = new LinkedHashSet<>();
        long skipped = 0;
        long row = 0;
        long maxLabel = -1;
        int[] shape = null;
        long shapeRow = 0;
        long withSplit = 0;
        long withoutSplit = 0;
        for (Iterator<Row> it = SparkTables.localRows(sel, path); it.hasNext(); ) {
            Row r = it.next();
            row++;
            String where = name + " row " + row;
            String splitText = r.isNullAt(2) ? null : r.getString(2);
            boolean hasSplit = splitText != null && !splitText.isBlank();
            if (hasSplit && SampleSets.normalize(splitText) != null) {
                splits.add(SampleSets.normalize(splitText));
            }
            withSplit = hasSplit && withSplit == 0 ? row : withSplit;
            withoutSplit = !hasSplit && withoutSplit == 0 ? row : withoutSplit;
            try {
                long lab = label(r.isNullAt(0) ? null : r.getLong(0), classNames, where);
                String splitName = splitName(splitText, where);
                RawImage img = bytes ? decodeImage(r, where, limits.maxImagePixels()) : RawImage.of(pixelImage(r, where));
                if (sameShape) {
                    int[] s = {img.channels(), img.height(), img.width()};
                    if (shape == null) {
                        shape = s;
                        shapeRow = row;
                    } else if (!Arrays.equals(shape, s)) {
                        throw new BadRecordException(where + ": shape " + s[0] + "x" + s[1] + "x" + s[2]
                                + " differs from the set's " + shape[0] + "x" + shape[1] + "x" + shape[2]
                                + " (row " + shapeRow + ")");
                    }
                }
                String patientId = patient(r.isNullAt(1) ? null : r.getString(1));
                samples.add(new Sample(name + "[" + row + "]", img, (int) lab, patientId, splitName));
                maxLabel = Math.max(maxLabel, lab);
            } catch (BadRecordException e) {
                onBad.handle(e);
                skipped++;
            }
        }
        if (withSplit > 0 && withoutSplit > 0) {
            throw new BadRecordException(name + ": row " + withoutSplit + " has no split while row " + withSplit
                    + " has one: give every row a split, or none");
        }
        List<String> classes = classNames != null ? List.copyOf(classNames) : SampleSets.numbered((int) (maxLabel + 1));
        return SampleSets.finish(name, samples, classes, skipped, splits);
    }

    /**
     * Which of a table's columns hold what (names as the table spells them): {@code label}, and
     * {@code patient} and {@code split} when present; {@code image} (BINARY) or else {@code pixels}
     * (ARRAY of FLOAT or DOUBLE) with its {@code dims} columns channels, height, width.
     */
    public record Columns(String label, String patient, String split, String image, String pixels,
            List<String> dims) implements Serializable {

        /**
         * The columns of {@code schema} as this reader needs them; a missing or mistyped one is a
         * {@link BadRecordException} naming {@code path}.
         */
        public static Columns resolve(String path, StructType schema) {
            StructField image = SparkTables.field(schema, "image");
            StructField pixels = SparkTables.field(schema, "pixels");
            StructField label = SparkTables.field(schema, "label");
            StructField patient = SparkTables.field(schema, "patient_id");
            StructField split = SparkTables.field(schema, "split");
            String has = " (it has " + SparkTables.names(schema) + ")";
            if (label == null || !isInteger(label.dataType())) {
                throw new BadRecordException(path + ": needs an integer column label" + has);
            }
            boolean bytes = image != null;
            if (bytes && !(image.dataType() instanceof BinaryType)) {
                throw new BadRecordException(path + ": column image must be BINARY (PNG/JPEG bytes)" + has);
            }
            List<String> dims = new ArrayList<>();
            if (!bytes) {
                if (pixels == null) {
                    throw new BadRecordException(path + ": needs a BINARY column image, or an ARRAY<FLOAT> column"
                            + " pixels with INT columns channels, height, width" + has);
                }
                if (!(pixels.dataType() instanceof ArrayType at)
                        || !(at.elementType() instanceof FloatType || at.elementType() instanceof DoubleType)) {
                    throw new BadRecordException(path + ": column pixels must be ARRAY<FLOAT>" + has);
                }
                for (String dim : List.of("channels", "height", "width")) {
                    StructField f = SparkTables.field(schema, dim);
                    if (f == null || !isInteger(f.dataType())) {
                        throw new BadRecordException(path + ": pixels needs an INT column " + dim + has);
                    }
                    dims.add(f.name());
                }
            }
            return new Columns(label.name(), patient == null ? null : patient.name(), split == null ? null : split.name(),
                    bytes ? image.name() : null, bytes ? null : pixels.name(), List.copyOf(dims));
        }

        /** PNG/JPEG bytes ({@code image}) rather than float pixels. */
        public boolean bytes() {
            return image != null;
        }

        /** label as LONG, patient_id and split as STRING (null literals when absent): no pixel column. */
        public List<Column> metadata() {
            Column none = functions.lit(null).cast("string");
            return List.of(functions.col(label).cast("long"),
                    patient == null ? none : functions.col(patient).cast("string"),
                    split == null ? none : functions.col(split).cast("string"));
        }

        /** The image: its bytes, or pixels as ARRAY&lt;FLOAT&gt; then channels, height, width as LONG. */
        public List<Column> content() {
            if (bytes()) {
                return List.of(functions.col(image));
            }
            List<Column> out = new ArrayList<>();
            out.add(functions.col(pixels).cast("array<float>"));
            dims.forEach(d -> out.add(functions.col(d).cast("long")));
            return out;
        }
    }

    /** The label of a row: null, negative or at least the class count (given, or the most inferred) is bad. */
    public static long label(Long label, List<String> classNames, String where) {
        if (label == null) {
            throw new BadRecordException(where + ": no label");
        }
        int bound = classNames != null ? classNames.size() : SampleSets.MAX_INFERRED_CLASSES;
        if (label < 0 || label >= bound) {
            throw new BadRecordException(where + ": label " + label + " is out of range [0, " + bound + ")"
                    + (classNames != null ? "" : " (the most classes inferred from labels)"));
        }
        return label;
    }

    /** train, val or test for a row's split text; null for none (null or blank); any other word is bad. */
    public static String splitName(String text, String where) {
        if (text == null || text.isBlank()) {
            return null;
        }
        String name = SampleSets.normalize(text);
        if (name == null) {
            throw new BadRecordException(where + ": split '" + text + "' is not train, val or test");
        }
        return name;
    }

    /** A row's patient id, trimmed; null for none. */
    public static String patient(String text) {
        return text == null || text.isBlank() ? null : text.trim();
    }

    /** Class names "0".."count-1", as for a table whose labels name no classes. */
    public static List<String> numberedClasses(int count) {
        return SampleSets.numbered(count);
    }

    private static boolean isInteger(DataType t) {
        return t instanceof IntegerType || t instanceof LongType || t instanceof ShortType || t instanceof ByteType;
    }

    private static RawImage decodeImage(Row r, String where, long maxPixels) {
        if (r.isNullAt(3)) {
            throw new BadRecordException(where + ": no image bytes");
        }
        byte[] b = (byte[]) r.get(3);
        RawImage img;
        try {
            img = ImageDecoder.decodeRaw(b, where, maxPixels);
        } catch (BadRecordException e) {
            throw e.getMessage() != null && e.getMessage().contains(where) ? e
                    : new BadRecordException(where + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new BadRecordException(where + ": not a readable image: " + e, e);
        }
        return img;
    }

    private static Image pixelImage(Row r, String where) {
        if (r.isNullAt(3) || r.isNullAt(4) || r.isNullAt(5) || r.isNullAt(6)) {
            throw new BadRecordException(where + ": null pixels, channels, height or width");
        }
        long c = r.getLong(4);
        long h = r.getLong(5);
        long w = r.getLong(6);
        return new Image(pixelArray(r.getList(3), c, h, w, where), (int) c, (int) h, (int) w);
    }

    /** A row's pixels as floats: their count must be c x h x w, none null, NaN or infinite. */
    public static float[] pixelArray(List<?> px, long c, long h, long w, String where) {
        if (c < 1 || h < 1 || w < 1 || c * h * w != px.size()) {
            throw new BadRecordException(where + ": wrong shape: " + px.size() + " pixels for channels x height x width = "
                    + c + "x" + h + "x" + w);
        }
        float[] data = new float[px.size()];
        for (int i = 0; i < data.length; i++) {
            Object o = px.get(i);
            if (o == null) {
                throw new BadRecordException(where + ": pixel " + i + " is null");
            }
            float v = ((Number) o).floatValue();
            if (Float.isNaN(v) || Float.isInfinite(v)) {
                throw new BadRecordException(where + ": pixel " + i + " is " + v);
            }
            data[i] = v;
        }
        return data;
    }
}
