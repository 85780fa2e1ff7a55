package io.metalr.data.read;

import io.metalr.udf.image.BadRecordException;

import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.ToLongFunction;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Every file the readers touch goes through here, and so through the Hadoop {@link FileSystem} API:
 * {@code file://}, {@code hdfs://}, {@code s3a://} or a path without a scheme. A path without a
 * scheme is resolved the way {@code spark.read} resolves it: against {@code fs.defaultFS}, which is
 * the local file system unless the cluster's configuration names another.
 *
 * <p>The Hadoop configuration is the active Spark session's ({@code spark.hadoop.*} settings, such
 * as S3A credentials, apply) when there is one, else a default {@link Configuration}; every method
 * also takes an explicit one. File systems come from Hadoop's cache and are never closed here.
 *
 * <p>A missing path is a {@link FileNotFoundException} whose message names the path.
 */
public final class DataPaths {

    private DataPaths() {}

    /**
     * The Hadoop configuration to use: the active Spark session's if any, on an executor one built
     * from the application's Spark settings, else a default one.
     */
    public static Configuration configuration() {
        try {
            Configuration fromSpark = SparkHolder.activeHadoopConfiguration();
            if (fromSpark != null) {
                return fromSpark;
            }
        } catch (LinkageError e) {
            // Spark SQL is not on the class path (a plain JVM): Hadoop's defaults serve.
        }
        return new Configuration();
    }

    /** The Hadoop path for a path string (a URI, or a path without a scheme). */
    public static Path toPath(String path) {
        if (path == null || path.isBlank()) {
            throw new IllegalArgumentException("empty data path");
        }
        try {
            return new Path(path);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a valid path: '" + path + "': " + e.getMessage(), e);
        }
    }

    /** The file system that holds {@code path}, via {@link FileSystem#get(URI, Configuration)}. */
    public static FileSystem fileSystem(String path, Configuration conf) throws IOException {
        URI uri = toPath(path).toUri();
        try {
            return FileSystem.get(uri, conf);
        } catch (IOException e) {
            throw new IOException(path + ": no file system for it: " + e.getMessage(), e);
        }
    }

    public static boolean exists(String path) throws IOException {
        return exists(path, configuration());
    }

    public static boolean exists(String path, Configuration conf) throws IOException {
        return fileSystem(path, conf).exists(toPath(path));
    }

    public static boolean isDirectory(String path) throws IOException {
        return isDirectory(path, configuration());
    }

    public static boolean isDirectory(String path, Configuration conf) throws IOException {
        try {
            return fileSystem(path, conf).getFileStatus(toPath(path)).isDirectory();
        } catch (FileNotFoundException e) {
            throw notFound(path, e);
        }
    }

    /** Opens a file as it is stored (no decompression). */
    public static InputStream open(String path) throws IOException {
        return open(path, configuration());
    }

    public static InputStream open(String path, Configuration conf) throws IOException {
        Path p = toPath(path);
        FileSystem fs = fileSystem(path, conf);
        try {
            if (fs.getFileStatus(p).isDirectory()) {
                throw new IOException(path + ": is a directory, not a file");
            }
            return fs.open(p);
        } catch (FileNotFoundException e) {
            throw notFound(path, e);
        }
    }

    /** Opens a file, gunzipping it on the fly when its name ends in {@code .gz}. */
    public static InputStream openMaybeGunzip(String path) throws IOException {
        return openMaybeGunzip(path, configuration());
    }

    public static InputStream openMaybeGunzip(String path, Configuration conf) throws IOException {
        InputStream in = open(path, conf);
        if (!isGzipName(path)) {
            return in;
        }
        try {
            return new GZIPInputStream(in, 1 << 16);
        } catch (IOException e) {
            in.close();
            throw new IOException(path + ": not a gzip file: " + e.getMessage(), e);
        }
    }

    /** All bytes of a file as stored. */
    public static byte[] readAllBytes(String path) throws IOException {
        return readAllBytes(path, false, configuration());
    }

    /**
     * All bytes of a file, gunzipped when {@code gunzip} is set and its name ends in {@code .gz}. A
     * truncated or corrupt gzip stream is an {@link IOException} naming the path.
     */
    public static byte[] readAllBytes(String path, boolean gunzip) throws IOException {
        return readAllBytes(path, gunzip, configuration());
    }

    public static byte[] readAllBytes(String path, boolean gunzip, Configuration conf) throws IOException {
        try (InputStream in = gunzip ? openMaybeGunzip(path, conf) : open(path, conf)) {
            return in.readAllBytes();
        } catch (EOFException | ZipException e) {
            throw new IOException(path + ": truncated or corrupt gzip data: " + e.getMessage(), e);
        } catch (OutOfMemoryError e) {
            throw new IOException(path + ": too large to read into memory (at most 2 GiB)", e);
        }
    }

    /** Bytes past what a header declares (padding, a trailer) before a file counts as a bomb. */
    static final long HEADER_SLACK = 1 << 20;

    /**
     * A data file whose size no header declares: at most {@code maxBytes}, gunzipped when
     * {@code gunzip} is set and its name ends in {@code .gz}; see the full form.
     */
    static byte[] readData(String path, boolean gunzip, long maxBytes, Configuration conf) throws IOException {
        return readData(path, gunzip && isGzipName(path), maxBytes, 0, null, null, conf);
    }

    /**
     * The bytes of an untrusted data file, gunzipped when its name ends in {@code .gz}, read so that
     * no file can make a reader hold more than it should: the buffer grows as bytes arrive (no size
     * a file declares is allocated up front), a file that holds (decompressed) more than
     * {@code maxBytes}, or more than its header declares plus {@link #HEADER_SLACK}, is a
     * {@link BadRecordException} naming it, as is a file that is not gzip data though named
     * {@code .gz}. A gzip bomb therefore costs at most what the limit allows.
     *
     * @param headerBytes how many leading (decompressed) bytes {@code declaredSize} looks at; 0 = none
     * @param declaredSize the whole (decompressed) size the file's header declares, from its first
     *     {@code headerBytes} bytes (it may throw a {@link BadRecordException} for a bad header);
     *     negative = not known. Null when the format has no such header.
     * @param truncated null: a gzip stream cut short or corrupt is a {@link BadRecordException};
     *     else it yields what it held up to the fault and sets {@code truncated[0]} (for readers
     *     that count a cut-off tail as bad records)
     */
    static byte[] readData(String path, long maxBytes, int headerBytes, ToLongFunction<byte[]> declaredSize,
            boolean[] truncated, Configuration conf) throws IOException {
        return readData(path, isGzipName(path), maxBytes, headerBytes, declaredSize, truncated, conf);
    }

    /** The status of a data file: a missing one is not found, naming it; a directory is a bad record. */
    static FileStatus dataFile(String path, Configuration conf) throws IOException {
        FileStatus status;
        try {
            status = fileSystem(path, conf).getFileStatus(toPath(path));
        } catch (FileNotFoundException e) {
            throw notFound(path, e);
        }
        if (status.isDirectory()) {
            throw new BadRecordException(path + ": is a directory, not a data file");
        }
        return status;
    }

    private static byte[] readData(String path, boolean gz, long maxBytes, int headerBytes,
            ToLongFunction<byte[]> declaredSize, boolean[] truncated, Configuration conf) throws IOException {
        int cap = (int) Math.min(maxBytes, DataLimits.MAX_ARRAY);
        FileStatus status = dataFile(path, conf);
        if (!gz && declaredSize == null && status.getLen() > cap) {
            throw tooLarge(path, status.getLen() + " bytes", cap);
        }
        try (InputStream in = gz ? gunzip(path, open(path, conf)) : open(path, conf)) {
            boolean[] more = {false};
            byte[] head = readUpTo(in, null, Math.min(headerBytes, cap), null, truncated, path);
            if (truncated != null && truncated[0]) {
                return head;
            }
            int limit = cap;
            long declared = -1;
            if (declaredSize != null && head.length == headerBytes) {
                declared = declaredSize.applyAsLong(head);
                if (declared >= 0 && declared < cap - HEADER_SLACK) {
                    limit = (int) (declared + HEADER_SLACK);
                }
            }
            byte[] all = readUpTo(in, head, limit, more, truncated, path);
            if (more[0]) {
                if (limit < cap) {
                    throw new BadRecordException(path + ": holds more than the " + declared + " bytes its header"
                            + " declares" + (gz ? " once decompressed (a gzip bomb?)" : ""));
                }
                throw tooLarge(path, "over " + cap + " bytes" + (gz ? " once decompressed" : ""), cap);
            }
            return all;
        }
    }

    private static BadRecordException tooLarge(String path, String what, long cap) {
        return new BadRecordException(path + ": " + what + ", over data.max_file_bytes (" + cap
                + " bytes per data file)");
    }

    /** A gzip stream over {@code raw}; a stream that is not gzip data is a bad record naming the file. */
    private static InputStream gunzip(String path, InputStream raw) throws IOException {
        try {
            return new GZIPInputStream(raw, 1 << 16);
        } catch (EOFException | ZipException e) {
            raw.close();
            throw new BadRecordException(path + ": not gzip data though named .gz: " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /**
     * Up to {@code limit} bytes of a stream after {@code prefix} (null = none), in a buffer that
     * grows as bytes arrive. With {@code more} given, one byte past the limit is probed and
     * {@code more[0]} tells whether the stream held more. A gzip stream cut short or corrupt ends
     * the read when {@code truncated} is given (flag set), else it is a bad record naming {@code path}.
     */
    private static byte[] readUpTo(InputStream in, byte[] prefix, int limit, boolean[] more, boolean[] truncated,
            String path) throws IOException {
        int n = prefix == null ? 0 : prefix.length;
        byte[] buf = Arrays.copyOf(prefix == null ? new byte[0] : prefix, Math.min(limit, Math.max(n, 1 << 16)));
        try {
            while (true) {
                if (n == buf.length) {
                    if (n >= limit) {
                        if (more != null) {
                            more[0] = in.read() >= 0;
                        }
                        break;
                    }
                    buf = Arrays.copyOf(buf, (int) Math.min(limit, 2L * n));
                }
                int got = in.read(buf, n, buf.length - n);
                if (got < 0) {
                    break;
                }
                n += got;
            }
        } catch (EOFException | ZipException e) {
            if (truncated == null) {
                throw new BadRecordException(path + ": truncated or corrupt gzip data after " + n + " bytes: "
                        + e.getMessage(), e);
            }
            truncated[0] = true;
        }
        return n == buf.length ? buf : Arrays.copyOf(buf, n);
    }

    /** The entries of a directory as full path strings, sorted by name. */
    public static List<String> list(String dir) throws IOException {
        return list(dir, configuration());
    }

    public static List<String> list(String dir, Configuration conf) throws IOException {
        List<String> out = new ArrayList<>();
        for (FileStatus s : listStatus(dir, conf)) {
            out.add(s.getPath().toString());
        }
        return out;
    }

    /** The entries of a directory, sorted by name. */
    static List<FileStatus> listStatus(String dir, Configuration conf) throws IOException {
        Path p = toPath(dir);
        FileSystem fs = fileSystem(dir, conf);
        FileStatus[] all;
        try {
            if (!fs.getFileStatus(p).isDirectory()) {
                throw new IOException(dir + ": not a directory");
            }
            all = fs.listStatus(p);
        } catch (FileNotFoundException e) {
            throw notFound(dir, e);
        }
        List<FileStatus> out = new ArrayList<>(List.of(all));
        out.sort((a, b) -> a.getPath().getName().compareTo(b.getPath().getName()));
        return out;
    }

    /**
     * {@code child} resolved against the directory {@code parentDir}, unless it is absolute or
     * carries a scheme of its own ({@code s3a://b/x.png}, {@code file:/x.png}).
     */
    public static String resolve(String parentDir, String child) {
        Path c = toPath(child);
        if (c.isAbsolute() || c.toUri().getScheme() != null) {
            return c.toString();
        }
        return new Path(toPath(parentDir), c).toString();
    }

    /** The last component of a path ("x.npz" for "s3a://b/d/x.npz"). */
    public static String name(String path) {
        return toPath(path).getName();
    }

    /** The folder that holds a path. */
    public static String parent(String path) {
        Path parent = toPath(path).getParent();
        if (parent == null) {
            throw new IllegalArgumentException(path + ": has no parent folder");
        }
        return parent.toString();
    }

    static boolean isGzipName(String path) {
        return path.toLowerCase(Locale.ROOT).endsWith(".gz");
    }

    private static FileNotFoundException notFound(String path, FileNotFoundException cause) {
        FileNotFoundException e = new FileNotFoundException(path + ": no such file or directory");
        e.initCause(cause);
        return e;
    }

    /** Kept apart so that a JVM without Spark SQL never loads {@code SparkSession}. */
    private static final class SparkHolder {
        static Configuration activeHadoopConfiguration() {
            var active = org.apache.spark.sql.SparkSession.getActiveSession();
            if (active.isDefined()) {
                return active.get().sparkContext().hadoopConfiguration();
            }
            var dflt = org.apache.spark.sql.SparkSession.getDefaultSession();
            if (dflt.isDefined()) {
                return dflt.get().sparkContext().hadoopConfiguration();
            }
            // on an executor: the application's spark.hadoop.* settings (e.g. S3A credentials)
            // reach it in its SparkConf, not in a session
            org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
            return env == null ? null : org.apache.spark.deploy.SparkHadoopUtil.get().newConfiguration(env.conf());
        }
    }
}
