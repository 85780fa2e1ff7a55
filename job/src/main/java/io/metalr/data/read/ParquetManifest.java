package io.metalr.data.read;

import io.metalr.udf.image.BadRecordException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;

/**
 * The rows of a Parquet manifest (a file, or a folder of part files as Spark writes it, partition
 * folders {@code key=value} giving a column), as text, read on the calling thread with parquet-mr.
 *
 * <p>Not through Spark: a manifest is small, and a crafted file can make Spark's vectorized reader
 * spin forever or allocate what a page or dictionary entry declares. In a Spark task that
 * {@link OutOfMemoryError} is fatal: it ends an executor (and, retried, the next ones) or, in local
 * mode, the driver. Here every file is at most {@code maxBytes}, and a failed allocation is one
 * array in this thread, so such a file is a {@link BadRecordException} naming it, as is any file
 * that does not decode.
 */
final class ParquetManifest {

    private ParquetManifest() {}

    /** Rows of the named columns (matched in any case; null where a row or file has none), in file order. */
    static List<String[]> rows(String path, List<String> columns, long maxBytes, Configuration conf)
            throws IOException {
        FileSystem fs = DataPaths.fileSystem(path, conf);
        Map<FileStatus, Map<String, String>> files = new LinkedHashMap<>();
        collect(fs, fs.getFileStatus(DataPaths.toPath(path)), Map.of(), files);
        List<String[]> out = new ArrayList<>();
        for (var f : files.entrySet()) {
            if (f.getKey().getLen() > maxBytes) {
                throw new BadRecordException(f.getKey().getPath() + ": " + f.getKey().getLen()
                        + " bytes, over data.max_file_bytes (" + maxBytes + " bytes per data file)");
            }
            read(f.getKey(), f.getValue(), columns, conf, out);
        }
        return out;
    }

    /** The data files under {@code s} (names starting with _ or . are not data), each with its partition values. */
    private static void collect(FileSystem fs, FileStatus s, Map<String, String> partition,
            Map<FileStatus, Map<String, String>> out) throws IOException {
        if (!s.isDirectory()) {
            out.put(s, partition);
            return;
        }
        FileStatus[] children = fs.listStatus(s.getPath());
        java.util.Arrays.sort(children, (a, b) -> a.getPath().getName().compareTo(b.getPath().getName()));
        for (FileStatus c : children) {
            String n = c.getPath().getName();
            if (n.startsWith("_") || n.startsWith(".")) {
                continue;
            }
            Map<String, String> p = partition;
            int eq = n.indexOf('=');
            if (c.isDirectory() && eq > 0) {
                p = new LinkedHashMap<>(partition);
                p.put(n.substring(0, eq).toLowerCase(Locale.ROOT), n.substring(eq + 1));
            }
            collect(fs, c, p, out);
        }
    }

    private static void read(FileStatus f, Map<String, String> partition, List<String> columns, Configuration conf,
            List<String[]> out) {
        try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(), f.getPath()).withConf(conf).build()) {
            int[] index = null;
            for (Group g; (g = r.read()) != null; ) {
                if (index == null) {
                    index = indexes(g.getType(), columns);
                }
                String[] row = new String[columns.size()];
                for (int c = 0; c < row.length; c++) {
                    row[c] = index[c] >= 0 ? text(g, index[c]) : partition.get(columns.get(c));
                }
                out.add(row);
            }
        } catch (OutOfMemoryError e) {
            // one allocation of a declared size failed; nothing else was held (see the class comment)
            throw new BadRecordException(f.getPath() + ": corrupt Parquet file: it declares a page or value"
                    + " larger than memory can hold", e);
        } catch (BadRecordException e) {
            throw e;
        } catch (Exception e) {
            throw new BadRecordException(f.getPath() + ": not a readable Parquet file: " + e, e);
        }
    }

    /** Where each column is in the schema, by name in any case; -1 when absent. */
    private static int[] indexes(GroupType schema, List<String> columns) {
        int[] index = new int[columns.size()];
        for (int c = 0; c < index.length; c++) {
            index[c] = -1;
            for (int i = 0; i < schema.getFieldCount(); i++) {
                if (schema.getFieldName(i).toLowerCase(Locale.ROOT).equals(columns.get(c))) {
                    index[c] = i;
                }
            }
        }
        return index;
    }

    /** A value as Spark's cast to string gives it: numbers in Java's notation, bytes as UTF-8; null when absent. */
    private static String text(Group g, int i) {
        Type t = g.getType().getType(i);
        if (g.getFieldRepetitionCount(i) == 0 || !t.isPrimitive()) {
            return null;
        }
        PrimitiveTypeName p = t.asPrimitiveType().getPrimitiveTypeName();
        if (p == PrimitiveTypeName.BINARY || p == PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY) {
            return g.getBinary(i, 0).toStringUsingUTF8();
        }
        return g.getValueToString(i, 0);
    }
}
