package io.metalr;

import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FilterFileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A file system that records every change made through it (create, mkdirs, rename, delete) and
 * dies at the {@code crashAt}-th one: that change and every later call, of any kind, throw, as if
 * the process had been killed there. With {@code objectStore}, a rename onto an existing path
 * fails (returns false) as it does on s3a, so only a writer that moves the old version aside first
 * can replace anything.
 */
public final class CrashingFileSystem extends FilterFileSystem {

    private final int crashAt;
    private final boolean objectStore;
    private final List<String> changes = new ArrayList<>();
    private boolean dead;

    public CrashingFileSystem(FileSystem inner, int crashAt, boolean objectStore) {
        super(inner);
        this.crashAt = crashAt;
        this.objectStore = objectStore;
    }

    /** A recorder that never crashes. */
    public static CrashingFileSystem recording(FileSystem inner) {
        return new CrashingFileSystem(inner, Integer.MAX_VALUE, false);
    }

    /** The changes made, in order, as "op path" or "rename from -> to" (paths without scheme and authority). */
    public List<String> changes() {
        return changes;
    }

    public boolean crashed() {
        return dead;
    }

    private void change(String what) throws IOException {
        alive();
        changes.add(what);
        if (changes.size() >= crashAt) {
            dead = true;
            throw new IOException("simulated crash at change " + crashAt + ": " + what);
        }
    }

    private void alive() throws IOException {
        if (dead) {
            throw new IOException("simulated crash: the process is gone");
        }
    }

    private static String p(Path path) {
        return path.toUri().getPath();
    }

    @Override
    public FSDataOutputStream create(Path f, FsPermission permission, boolean overwrite, int bufferSize, short replication,
            long blockSize, Progressable progress) throws IOException {
        change("create " + p(f));
        return super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress);
    }

    @Override
    public boolean mkdirs(Path f, FsPermission permission) throws IOException {
        change("mkdirs " + p(f));
        return super.mkdirs(f, permission);
    }

    @Override
    public boolean mkdirs(Path f) throws IOException {
        change("mkdirs " + p(f));
        return super.mkdirs(f);
    }

    @Override
    public boolean rename(Path src, Path dst) throws IOException {
        change("rename " + p(src) + " -> " + p(dst));
        if (objectStore && super.exists(dst)) {
            return false;
        }
        return super.rename(src, dst);
    }

    @Override
    protected void rename(Path src, Path dst, Options.Rename... options) throws IOException {
        change("rename " + p(src) + " -> " + p(dst) + " " + java.util.Arrays.toString(options));
        super.rename(src, dst, options);
    }

    @Override
    public boolean delete(Path f, boolean recursive) throws IOException {
        change("delete " + p(f));
        return super.delete(f, recursive);
    }

    @Override
    public org.apache.hadoop.fs.FileStatus getFileStatus(Path f) throws IOException {
        alive();
        return super.getFileStatus(f);
    }

    @Override
    public org.apache.hadoop.fs.FileStatus[] listStatus(Path f) throws IOException {
        alive();
        return super.listStatus(f);
    }

    @Override
    public org.apache.hadoop.fs.FSDataInputStream open(Path f, int bufferSize) throws IOException {
        alive();
        return super.open(f, bufferSize);
    }
}
