package io.metalr.data.read;

import io.metalr.udf.image.BadRecordException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

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
 * Decodes every value of a small Parquet file (a manifest; each part file of a table folder) on the
 * calling thread, with parquet-mr, before Spark reads it.
 *
 * <p>Why: a corrupt file can declare a page or dictionary entry of gigabytes, and the reader
 * allocates what it declares. In a Spark task that {@link OutOfMemoryError} is fatal: it ends an
 * executor (and, retried, the next ones) or, in local mode, the driver's JVM. Here the failed
 * allocation is one array in one thread, so the file is refused as a {@link BadRecordException}
 * naming it, as is any file that does not decode, or one over {@code maxBytes}.
 */
final class ParquetCheck {

    private ParquetCheck() {}

    static void check(String path, long maxBytes, Configuration conf) throws IOException {
        FileSystem fs = DataPaths.fileSystem(path, conf);
        for (FileStatus f : files(fs, fs.getFileStatus(DataPaths.toPath(path)))) {
            if (f.getLen() > maxBytes) {
                throw new BadRecordException(f.getPath() + ": " + f.getLen() + " bytes, over data.max_file_bytes ("
                        + maxBytes + " bytes per data file)");
            }
            decodeAll(f, conf);
        }
    }

    /** The file, or a folder's data files (Spark's part files; names starting with _ or . are not data). */
    private static List<FileStatus> files(FileSystem fs, FileStatus s) throws IOException {
        List<FileStatus> out = new ArrayList<>();
        if (!s.isDirectory()) {
            out.add(s);
            return out;
        }
        for (FileStatus c : fs.listStatus(s.getPath())) {
            String n = c.getPath().getName();
            if (!n.startsWith("_") && !n.startsWith(".")) {
                out.addAll(files(fs, c));
            }
        }
        return out;
    }

    private static void decodeAll(FileStatus f, Configuration conf) {
        try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(), f.getPath()).withConf(conf).build()) {
            for (Group g; (g = r.read()) != null; ) {
                touch(g);
            }
        } catch (OutOfMemoryError e) {
            // one allocation of a declared size failed; nothing else was held (see the class comment)
            throw new BadRecordException(f.getPath() + ": corrupt Parquet file: it declares a page or value"
                    + " larger than memory can hold", e);
        } catch (Exception e) {
            throw new BadRecordException(f.getPath() + ": not a readable Parquet file: " + e, e);
        }
    }

    /** Every value of the record, so that every page and dictionary entry is decoded. */
    private static void touch(Group g) {
        GroupType type = g.getType();
        for (int i = 0; i < type.getFieldCount(); i++) {
            Type field = type.getType(i);
            for (int j = 0; j < g.getFieldRepetitionCount(i); j++) {
                if (!field.isPrimitive()) {
                    touch(g.getGroup(i, j));
                } else if (field.asPrimitiveType().getPrimitiveTypeName() == PrimitiveTypeName.BINARY
                        || field.asPrimitiveType().getPrimitiveTypeName() == PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY) {
                    g.getBinary(i, j).getBytes();
                } else {
                    g.getValueToString(i, j);
                }
            }
        }
    }
}
