package io.metalr.data.store;

import io.metalr.udf.image.Image;
import io.metalr.udf.image.RawImage;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * Writes a store file one image at a time: the heap holds only the index (33 bytes an image) and
 * a 1 MiB buffer, whatever the set's size. The SHA-256 of the content (each record's id, label,
 * shape, kind and codes, in order; not the padding, so it does not depend on the window size) is
 * computed as it goes.
 *
 * <p>The file is temporary: {@link #finish()}'s store removes it when closed or unreachable, and
 * the JVM removes it at exit; a writer that fails or is closed unfinished removes it at once.
 * Not thread-safe.
 */
public final class StoreWriter implements Closeable {

    private static final int BUFFER_BYTES = 1 << 20;

    private final Path file;
    private final long window;
    private final FileChannel ch;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER_BYTES).order(StoreLayout.ORDER);
    private final ByteBuffer meta = ByteBuffer.allocate(25).order(StoreLayout.ORDER);
    private final MessageDigest sha;
    /** Bytes of payload written or buffered, as a file position. */
    private long end = StoreLayout.HEADER_BYTES;
    private int count;
    private long[] offset = new long[64];
    private long[] rid = new long[64];
    private int[] label = new int[64];
    private int[] shape = new int[3 * 64];
    private byte[] kind = new byte[64];
    private boolean done;

    private StoreWriter(Path file, long window) throws IOException {
        if (window < 1 || window > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("store window must be 1.." + Integer.MAX_VALUE + " bytes, got " + window);
        }
        this.file = file;
        this.window = window;
        StoreFiles.removeAtExit(file);
        this.ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            this.sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** A writer of {@code file} (created or truncated). */
    public static StoreWriter create(Path file) {
        return create(file, StoreLayout.DEFAULT_WINDOW);
    }

    /** A writer of a new, uniquely named file in {@code dir} (null: {@code java.io.tmpdir}). */
    public static StoreWriter createIn(Path dir, String prefix) {
        Path d = dir != null ? dir : Path.of(System.getProperty("java.io.tmpdir"));
        try {
            Files.createDirectories(d);
            return create(Files.createTempFile(d, prefix, ".store"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a store file in " + d + ": " + e.getMessage(), e);
        }
    }

    /** As {@link #create(Path)} with windows of {@code window} bytes (tests use tiny ones). */
    static StoreWriter create(Path file, long window) {
        try {
            return new StoreWriter(file, window);
        } catch (IOException e) {
            StoreFiles.delete(file);
            throw new UncheckedIOException("cannot create store file " + file + ": " + e.getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    /** Images added so far. */
    public int size() {
        return count;
    }

    /** Adds a float image, kept as it is ({@link CodeKind#F32}). */
    public StoreWriter add(long recordId, int imageLabel, Image img) {
        return add(recordId, imageLabel, RawImage.of(img));
    }

    /** Adds one image at its source depth. */
    public StoreWriter add(long recordId, int imageLabel, RawImage img) {
        if (done) {
            throw new IllegalStateException("store " + file + " is already finished");
        }
        if (count == Integer.MAX_VALUE) {
            throw new IllegalStateException("store " + file + " is full (" + count + " images)");
        }
        CodeKind k = CodeKind.of(img.depth());
        long bytes = (long) img.length() * k.bytesPerValue();
        try {
            long at = StoreLayout.place(end, bytes, StoreLayout.HEADER_BYTES, window);
            if (at != end) {
                flush();
                end = at;
            }
            grow();
            offset[count] = at;
            rid[count] = recordId;
            label[count] = imageLabel;
            shape[3 * count] = img.channels();
            shape[3 * count + 1] = img.height();
            shape[3 * count + 2] = img.width();
            kind[count] = k.tag();
            meta.clear();
            meta.putLong(recordId).putInt(imageLabel).putInt(img.channels()).putInt(img.height()).putInt(img.width())
                    .put(k.tag()).flip();
            sha.update(meta);
            putCodes(img, k);
            count++;
            return this;
        } catch (IOException e) {
            close();
            throw new UncheckedIOException("cannot write store file " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private void putCodes(RawImage img, CodeKind k) throws IOException {
        int n = img.length();
        int per = k.bytesPerValue();
        for (int done = 0; done < n; ) {
            if (buf.remaining() < per) {
                flush();
            }
            int m = Math.min(n - done, buf.remaining() / per);
            int start = buf.position();
            switch (k) {
                case U8, U8_SCALED -> buf.put(img.bytes(), done, m);
                case U16 -> buf.asShortBuffer().put(img.shorts(), done, m);
                case F32 -> buf.asFloatBuffer().put(img.floats(), done, m);
                default -> throw new IllegalStateException(k.toString());
            }
            buf.position(start + m * per);
            sha.update(buf.slice(start, m * per));
            end += (long) m * per;
            done += m;
        }
    }

    /** Writes what is buffered at its place in the file. */
    private void flush() throws IOException {
        buf.flip();
        long at = end - buf.remaining();
        while (buf.hasRemaining()) {
            at += ch.write(buf, at);
        }
        buf.clear();
    }

    private void grow() {
        if (count == rid.length) {
            int n = (int) Math.min(Integer.MAX_VALUE - 8L, 2L * count);
            offset = Arrays.copyOf(offset, n);
            rid = Arrays.copyOf(rid, n);
            label = Arrays.copyOf(label, n);
            shape = Arrays.copyOf(shape, 3 * n);
            kind = Arrays.copyOf(kind, n);
        }
    }

    /**
     * Writes the index and the header and maps the file: the store owns the file from here and
     * removes it when it is closed.
     */
    public MappedStore finish() {
        if (done) {
            throw new IllegalStateException("store " + file + " is already finished");
        }
        try {
            flush();
            long indexStart = end;
            for (int i = 0; i < count; i++) {
                if (buf.remaining() < StoreLayout.INDEX_ENTRY_BYTES) {
                    flush();
                }
                buf.putLong(offset[i]).putLong(rid[i]).putInt(label[i]).putInt(shape[3 * i]).putInt(shape[3 * i + 1])
                        .putInt(shape[3 * i + 2]).put(kind[i]);
                end += StoreLayout.INDEX_ENTRY_BYTES;
            }
            flush();
            ByteBuffer h = ByteBuffer.allocate(StoreLayout.HEADER_BYTES).order(StoreLayout.ORDER);
            h.put(StoreLayout.MAGIC).putInt(StoreLayout.VERSION).putInt(count).putLong(window)
                    .putLong(StoreLayout.HEADER_BYTES).putLong(indexStart).put(sha.digest());
            h.clear();
            long at = 0;
            while (h.hasRemaining()) {
                at += ch.write(h, at);
            }
            ch.close();
            done = true;
        } catch (IOException e) {
            close();
            throw new UncheckedIOException("cannot write store file " + file + ": " + e.getMessage(), e);
        }
        return MappedStore.open(file, true);
    }

    /** Abandons an unfinished store and removes its file; nothing after {@link #finish()}. */
    @Override
    public void close() {
        if (done) {
            return;
        }
        done = true;
        try {
            ch.close();
        } catch (IOException e) {
            // removed below anyway
        }
        StoreFiles.delete(file);
    }
}
