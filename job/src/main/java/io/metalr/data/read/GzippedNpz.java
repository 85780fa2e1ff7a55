package io.metalr.data.read;

import io.metalr.formats.NpyArray;
import io.metalr.formats.NpyFormat;
import io.metalr.udf.image.BadRecordException;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;

import org.apache.hadoop.conf.Configuration;

/**
 * The entries of a gzipped {@code .npz} ({@code .npz.gz}), inflated as one stream in file order
 * (the zip's central directory is at the end of the gzip stream, so no entry can be reached
 * without inflating all before it). An entry is read whole (at most {@code data.max_file_bytes}),
 * or only its first bytes, or passed over without being held. A stream cut short or corrupt, or
 * not a zip inside, is a {@link BadRecordException} naming the file.
 */
final class GzippedNpz implements Closeable {

    private final String name;
    private final int maxEntryBytes;
    private final ZipInputStream zip;
    private String key;
    private long read; // bytes of the current entry read so far

    private GzippedNpz(String name, long maxEntryBytes, InputStream in) {
        this.name = name;
        this.maxEntryBytes = (int) Math.min(maxEntryBytes, DataLimits.MAX_ARRAY);
        this.zip = new ZipInputStream(in);
    }

    static GzippedNpz open(String path, long maxEntryBytes, Configuration conf) throws IOException {
        DataPaths.dataFile(path, conf); // a missing file is not found, naming it
        String name = DataPaths.name(path);
        InputStream raw = DataPaths.open(path, conf);
        try {
            return new GzippedNpz(name, maxEntryBytes, new GZIPInputStream(raw, 1 << 16));
        } catch (ZipException | EOFException e) {
            raw.close();
            throw new BadRecordException(name + ": not gzip data though named .gz: " + e.getMessage(), e);
        }
    }

    /** The next entry's key (its name without {@code .npy}), or null past the last (or for no zip at all). */
    String next() throws IOException {
        try {
            ZipEntry e = zip.getNextEntry(); // passes over the rest of the current entry
            key = e == null ? null : Npy.key(e.getName());
            read = 0;
            return key;
        } catch (ZipException | EOFException e) {
            throw corrupt(e);
        }
    }

    /** The current entry as an array; more than {@code data.max_file_bytes} is refused, naming it. */
    NpyArray array() throws IOException {
        byte[] all = head(maxEntryBytes);
        try {
            if (zip.read() >= 0) {
                throw new BadRecordException(where() + ": an entry of over " + maxEntryBytes
                        + " bytes (inflated) is over data.max_file_bytes (" + maxEntryBytes + ")");
            }
        } catch (ZipException | EOFException e) {
            throw corrupt(e);
        }
        return NpyFormat.parse(ByteBuffer.wrap(all), where(), Npy.DTYPES, Npy.SUPPORTED);
    }

    /** The current entry's first {@code n} bytes (fewer when it is shorter), held as they arrive. */
    byte[] head(int n) throws IOException {
        try {
            byte[] got = zip.readNBytes(n);
            read += got.length;
            return got;
        } catch (ZipException | EOFException e) {
            throw corrupt(e);
        }
    }

    /** The current entry's size in all, what is left of it inflated and passed over, not held. */
    long size() throws IOException {
        byte[] scratch = new byte[1 << 16];
        try {
            for (int k; (k = zip.read(scratch)) >= 0;) {
                read += k;
            }
        } catch (ZipException | EOFException e) {
            throw corrupt(e);
        }
        return read;
    }

    /** How messages name the current entry. */
    String where() {
        return name + " key " + key;
    }

    private BadRecordException corrupt(IOException e) {
        return new BadRecordException(name + ": truncated or corrupt .npz.gz data: " + e.getMessage(), e);
    }

    @Override
    public void close() throws IOException {
        zip.close();
    }
}
