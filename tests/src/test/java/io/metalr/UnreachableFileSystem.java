package io.metalr;

import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

import java.io.IOException;
import java.net.URI;

/**
 * The file system of {@code unreachable://} paths (registered through META-INF/services): every
 * look-up fails with an I/O error, as a name node or object store that cannot be reached does. The
 * job must treat that as its infrastructure failing, never as the user's data.
 */
public final class UnreachableFileSystem extends RawLocalFileSystem {

    public static final String SCHEME = "unreachable";

    @Override
    public String getScheme() {
        return SCHEME;
    }

    @Override
    public URI getUri() {
        return URI.create(SCHEME + ":///");
    }

    @Override
    public FileStatus getFileStatus(Path f) throws IOException {
        throw new IOException("Call to " + f + " failed on connection exception: Connection refused");
    }

    @Override
    public FSDataInputStream open(Path f, int bufferSize) throws IOException {
        throw new IOException("Call to " + f + " failed on connection exception: Connection refused");
    }
}
