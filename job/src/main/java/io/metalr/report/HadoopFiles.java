package io.metalr.report;

import io.metalr.data.read.DataPaths;

import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.OutputStream;
import java.util.UUID;

/**
 * Outputs on any Hadoop path, committed by a rename so that a reader never sees half of one:
 * written under a hidden temporary name next to the target, then renamed to it. The one place
 * the job's run directories, reports and predictions are committed.
 */
public final class HadoopFiles {

    private HadoopFiles() {}

    /** Streams one output file. */
    public interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    /** The file system of {@code path}; the local one without Hadoop's .crc side files. */
    public static FileSystem fileSystem(String path) throws IOException {
        FileSystem fs = DataPaths.fileSystem(path, DataPaths.configuration());
        return fs instanceof ChecksumFileSystem c ? c.getRawFileSystem() : fs;
    }

    /** A hidden name in the target's folder, so the final rename stays within one file system. */
    public static String tempSibling(String target) {
        Path t = DataPaths.toPath(target);
        return new Path(t.getParent(), "." + t.getName() + ".tmp-" + UUID.randomUUID()).toString();
    }

    /** Writes one file at {@code target} (any Hadoop path), replacing an existing one. */
    public static void write(String target, Body body) throws IOException {
        write(fileSystem(target), DataPaths.toPath(target), body);
    }

    /** Writes one file, replacing an existing one. */
    public static void write(FileSystem fs, Path target, Body body) throws IOException {
        Path tmp = new Path(target.getParent(), "." + target.getName() + ".tmp-" + UUID.randomUUID());
        try {
            try (OutputStream out = fs.create(tmp, true)) {
                body.writeTo(out);
            }
            // a local rename replaces the target in one step; HDFS and object stores refuse, so delete first there
            if (!renamed(fs, tmp, target) && !(fs.exists(target) && fs.delete(target, false) && renamed(fs, tmp, target))) {
                throw new IOException("could not move " + tmp + " to " + target);
            }
        } finally {
            if (fs.exists(tmp)) {
                fs.delete(tmp, false);
            }
        }
    }

    /**
     * Moves a finished temporary directory to {@code target}. An existing target is deleted first
     * when {@code overwrite} is set (no file system replaces a directory atomically), else an error.
     */
    public static void commitDirectory(String tmp, String target, boolean overwrite) throws IOException {
        FileSystem fs = fileSystem(target);
        Path dst = DataPaths.toPath(target);
        if (fs.exists(dst)) {
            if (!overwrite) {
                throw new IllegalArgumentException(target + " exists; use --overwrite to replace it");
            }
            fs.delete(dst, true);
        }
        if (!fs.rename(DataPaths.toPath(tmp), dst)) {
            throw new IOException(target + ": could not rename " + tmp + " to it");
        }
    }

    /** Removes a temporary output after a failure; a failure to remove it is not the error to report. */
    public static void deleteQuietly(String path) {
        try {
            fileSystem(path).delete(DataPaths.toPath(path), true);
        } catch (IOException | RuntimeException e) {
            System.err.println("metalr: could not remove temporary output " + path + ": " + e.getMessage());
        }
    }

    private static boolean renamed(FileSystem fs, Path from, Path to) throws IOException {
        try {
            return fs.rename(from, to);
        } catch (FileAlreadyExistsException e) {
            return false;
        }
    }
}
