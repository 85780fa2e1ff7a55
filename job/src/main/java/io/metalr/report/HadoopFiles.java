package io.metalr.report;

import io.metalr.data.read.DataPaths;

import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.OutputStream;
import java.util.UUID;

/**
 * Outputs on any Hadoop path, committed by a rename so that a reader never sees half of one:
 * written under a hidden temporary name next to the target, then renamed to it. The one place
 * the job's run directories, reports, checkpoints, sweep tables and predictions are committed.
 *
 * <p>Replacing an existing output never deletes it before the new one is in place. A file is
 * replaced in one atomic step where the file system has one: HDFS's rename with
 * {@link Options.Rename#OVERWRITE}, and the local rename (POSIX rename(2) replaces a file; Hadoop's
 * own OVERWRITE rename on the local file system deletes first, so it is not used there). Everywhere
 * else (object stores such as s3a, and directories on every file system: none replaces a non-empty
 * one atomically) the old version is first renamed aside to a backup sibling
 * ({@code .NAME.previous}), the new one renamed in, then the backup deleted. {@link #recover} repairs
 * what a crash between those steps left, and runs before every replace: a backup whose target is
 * missing (or lacks its completion marker) is renamed back. So at every instant one complete
 * version exists under the target's name or the backup's, given renames that are atomic (HDFS, local);
 * on s3a a rename copies then deletes, see WHAT_CAN_GO_WRONG.md.
 */
public final class HadoopFiles {

    private static final String BACKUP_SUFFIX = ".previous";

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

    /** Where {@link #replace} keeps the previous version of {@code target} while the new one moves in. */
    public static Path backupOf(Path target) {
        return new Path(target.getParent(), "." + target.getName() + BACKUP_SUFFIX);
    }

    /** The target a backup name ({@link #backupOf}) stands for, or null when {@code name} is not one. */
    public static String backedUpName(String name) {
        return name.startsWith(".") && name.endsWith(BACKUP_SUFFIX) && name.length() > 1 + BACKUP_SUFFIX.length()
                ? name.substring(1, name.length() - BACKUP_SUFFIX.length()) : null;
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
            replace(fs, tmp, target);
        } finally {
            if (fs.exists(tmp)) {
                fs.delete(tmp, false);
            }
        }
    }

    /**
     * Moves a finished temporary directory to {@code target}. An existing target is replaced when
     * {@code overwrite} is set (via a backup, see the class comment), else an error.
     */
    public static void commitDirectory(String tmp, String target, boolean overwrite) throws IOException {
        FileSystem fs = fileSystem(target);
        Path dst = DataPaths.toPath(target);
        recover(fs, dst, null);
        if (fs.exists(dst) && !overwrite) {
            throw new IllegalArgumentException(target + " exists; use --overwrite to replace it");
        }
        replace(fs, DataPaths.toPath(tmp), dst);
    }

    /** Moves the finished file or directory {@code tmp} to {@code target}, replacing what is there. */
    public static void replace(FileSystem fs, Path tmp, Path target) throws IOException {
        replace(fs, tmp, target, null);
    }

    /**
     * Moves the finished directory or file {@code tmp} to {@code target}, replacing what is there,
     * and then, for a directory, creates the empty file {@code marker} in it (null: none). A target
     * is complete once it holds its marker: the marker is created only after the rename, because on
     * s3a a rename copies object by object and a marker copied early could arrive without the rest.
     */
    public static void replace(FileSystem fs, Path tmp, Path target, String marker) throws IOException {
        recover(fs, target, marker);
        if (fs.getFileStatus(tmp).isFile() && atomicFileReplace(fs, tmp, target)) {
            return;
        }
        Path backup = backupOf(target);
        boolean replacing = fs.exists(target);
        if (replacing) {
            rename(fs, target, backup);
        }
        rename(fs, tmp, target);
        if (marker != null) {
            fs.create(new Path(target, marker), true).close();
        }
        if (replacing) {
            fs.delete(backup, true);
        }
    }

    /**
     * Repairs what a {@link #replace} that died midway left at {@code target}: when a backup of it
     * exists, the target is kept if it is complete (it exists, and holds {@code marker} when one is
     * given) and the backup deleted; otherwise the backup, the last complete version, is moved back.
     */
    public static void recover(FileSystem fs, Path target, String marker) throws IOException {
        Path backup = backupOf(target);
        if (!fs.exists(backup)) {
            return;
        }
        boolean complete = fs.exists(target) && (marker == null || fs.exists(new Path(target, marker)));
        if (complete) {
            fs.delete(backup, true);
            return;
        }
        if (fs.exists(target)) {
            fs.delete(target, true);
        }
        rename(fs, backup, target);
    }

    /** Removes a temporary output after a failure; a failure to remove it is not the error to report. */
    public static void deleteQuietly(String path) {
        try {
            fileSystem(path).delete(DataPaths.toPath(path), true);
        } catch (IOException | RuntimeException e) {
            System.err.println("metalr: could not remove temporary output " + path + ": " + e.getMessage());
        }
    }

    /** Renames a file over an existing one in one atomic step where the file system can; false where it cannot. */
    private static boolean atomicFileReplace(FileSystem fs, Path tmp, Path target) throws IOException {
        switch (String.valueOf(fs.getUri().getScheme())) {
            case "hdfs" -> {
                FileUtil.rename(fs, tmp, target, Options.Rename.OVERWRITE); // one namenode operation
                return true;
            }
            case "file" -> {
                try {
                    return fs.rename(tmp, target);
                } catch (FileAlreadyExistsException e) {
                    return false;
                }
            }
            default -> {
                return false;
            }
        }
    }

    private static void rename(FileSystem fs, Path from, Path to) throws IOException {
        if (!fs.rename(from, to)) {
            throw new IOException("could not rename " + from + " to " + to);
        }
    }
}
