package io.metalr.cli;

import io.metalr.data.read.DataPaths;

import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.OutputStream;
import java.util.UUID;

/**
 * Outputs of {@code evaluate} and {@code predict} on any Hadoop path, committed by a rename so that
 * a reader never sees half an output: written under a hidden temporary name next to the target,
 * then renamed to it.
 */
final class HadoopOutputs {

    private HadoopOutputs() {}

    /** A hidden name in the target's folder, so the final rename stays within one file system. */
    static String tempSibling(String target) {
        Path t = DataPaths.toPath(target);
        return new Path(t.getParent(), "." + t.getName() + ".tmp-" + UUID.randomUUID()).toString();
    }

    static boolean exists(String path) throws IOException {
        return DataPaths.exists(path);
    }

    /** Writes one file; an existing file at {@code target} is replaced. */
    static void writeFile(String target, byte[] bytes) throws IOException {
        FileSystem fs = DataPaths.fileSystem(target, DataPaths.configuration());
        if (fs instanceof ChecksumFileSystem c) {
            fs = c.getRawFileSystem(); // no .crc side file next to a small report
        }
        Path dst = DataPaths.toPath(target);
        Path tmp = DataPaths.toPath(tempSibling(target));
        try {
            try (OutputStream out = fs.create(tmp, false)) {
                out.write(bytes);
            }
            // a local rename replaces the target in one step; HDFS and object stores refuse, so delete first there
            if (!fs.rename(tmp, dst)) {
                if (!fs.delete(dst, false) || !fs.rename(tmp, dst)) {
                    throw new IOException(target + ": could not rename " + tmp + " to it");
                }
            }
        } finally {
            fs.delete(tmp, false);
        }
    }

    /**
     * Moves a finished temporary directory to {@code target}. An existing target is deleted first
     * when {@code overwrite} is set (there is no atomic replacement of a directory), else an error.
     */
    static void commitDirectory(String tmp, String target, boolean overwrite) throws IOException {
        FileSystem fs = DataPaths.fileSystem(target, DataPaths.configuration());
        Path dst = DataPaths.toPath(target);
        if (fs.exists(dst)) {
            if (!overwrite) {
                throw new IllegalArgumentException(target + " exists (appeared while predicting); use --overwrite to replace it");
            }
            fs.delete(dst, true);
        }
        if (!fs.rename(DataPaths.toPath(tmp), dst)) {
            throw new IOException(target + ": could not rename " + tmp + " to it");
        }
    }

    /** Removes a temporary output after a failure; a failure to remove it is not the error to report. */
    static void deleteQuietly(String path) {
        try {
            DataPaths.fileSystem(path, DataPaths.configuration()).delete(DataPaths.toPath(path), true);
        } catch (IOException | RuntimeException e) {
            System.err.println("metalr: could not remove temporary output " + path + ": " + e.getMessage());
        }
    }
}
