package io.metalr.data.records;

import io.metalr.data.read.DataPaths;
import io.metalr.data.read.SparkTables;
import io.metalr.data.read.TableReader;
import io.metalr.udf.image.BadRecordException;
import io.metalr.udf.image.RawImage;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * A Parquet table as a record source: its path, its data files in rid order, and which columns hold
 * what. Small and serializable, so executors get it whole and read the table themselves.
 *
 * <p>Both selections start with {@code rid} (see {@link RecordIds}), computed from Spark's
 * {@code _metadata.file_path} and {@code _metadata.row_index}: {@link #metadata()} adds only label,
 * patient and split, so Parquet reads no pixel column for it (its ReadSchema lacks them);
 * {@link #content()} adds the image.
 */
public record TableSource(String path, String name, List<String> files, TableReader.Columns columns)
        implements RecordSource {

    public static final String RID = "rid";

    /** The table at {@code path}: its schema checked as {@link TableReader} does, its files listed by Spark. */
    public static TableSource open(String path) {
        Dataset<Row> df = SparkTables.readParquet(path);
        TableReader.Columns columns = TableReader.Columns.resolve(path, df.schema());
        // the file index's list, without a job; %-encoded URIs as _metadata.file_path has them, but
        // with an empty authority (file:///x) where file_path has none (file:/x): both are compared
        // canonical, and TableRecords checks that every row found its file
        List<String> files = new ArrayList<>();
        for (String f : df.inputFiles()) {
            files.add(canonical(f));
        }
        files.sort(null);
        if (files.size() >= (1 << 23)) {
            throw new BadRecordException(path + ": " + files.size() + " data files, more than a record id can number");
        }
        return new TableSource(path, DataPaths.name(path), List.copyOf(files), columns);
    }

    /** rid, label (LONG), patient_id and split (STRING): no image column. */
    public Dataset<Row> metadata() {
        List<Column> cols = new ArrayList<>();
        cols.add(rid());
        cols.addAll(columns.metadata());
        return SparkTables.readParquet(path).select(cols.toArray(new Column[0]));
    }

    /** rid, then the image: its bytes, or pixels, channels, height, width. */
    public Dataset<Row> content() {
        List<Column> cols = new ArrayList<>();
        cols.add(rid());
        cols.addAll(columns.content());
        return SparkTables.readParquet(path).select(cols.toArray(new Column[0]));
    }

    @Override
    public String identity() {
        return "table " + path + "\n" + String.join("\n", files) + "\n" + columns;
    }

    /** A row of {@link #content()} as a fetched record: the image bytes, or the pixels checked as {@link TableReader} does. */
    public RecordImage image(Row r) {
        long rid = r.getLong(0);
        String where = where(rid);
        if (columns.bytes()) {
            return RecordImage.encoded(rid, where, r.isNullAt(1) ? null : (byte[]) r.get(1)); // null: the decoder names it
        }
        try {
            if (r.isNullAt(1) || r.isNullAt(2) || r.isNullAt(3) || r.isNullAt(4)) {
                throw new BadRecordException(where + ": null pixels, channels, height or width");
            }
            long c = r.getLong(2);
            long h = r.getLong(3);
            long w = r.getLong(4);
            float[] px = TableReader.pixelArray(r.getList(1), c, h, w, where);
            return RecordImage.of(rid, where, RawImage.f32(px, (int) c, (int) h, (int) w));
        } catch (BadRecordException e) {
            return RecordImage.bad(rid, where, e.getMessage());
        }
    }

    /** A file URI without an empty authority: {@code file:///x} and {@code file:/x} are one file. */
    static String canonical(String uri) {
        return uri.replaceFirst(EMPTY_AUTHORITY, "$1:/");
    }

    private static final String EMPTY_AUTHORITY = "^([a-zA-Z][a-zA-Z0-9+.-]*):///";

    private Column rid() {
        Column[] names = files.stream().map(functions::lit).toArray(Column[]::new);
        Column path = functions.regexp_replace(functions.col("_metadata.file_path"), EMPTY_AUTHORITY, "$1:/");
        Column ordinal = functions.array_position(functions.array(names), path).minus(1);
        return functions.shiftleft(ordinal.cast("long"), RecordIds.ROW_BITS)
                .bitwiseOR(functions.col("_metadata.row_index")).as(RID);
    }

    /**
     * Where a record is, for error messages: {@code images.parquet row 12} (rows counted from 1) for
     * a one-file table, {@code images/part-00003-....parquet row 12} for a folder.
     */
    public String where(long rid) {
        int f = RecordIds.file(rid);
        String row = " row " + (RecordIds.row(rid) + 1);
        if (files.size() == 1 || f >= files.size()) {
            return name + row;
        }
        return name + "/" + fileName(files.get(f)) + row;
    }

    private static String fileName(String uri) {
        String p;
        try {
            p = URI.create(uri).getPath();
        } catch (IllegalArgumentException e) {
            p = uri;
        }
        return p.substring(p.lastIndexOf('/') + 1);
    }
}
