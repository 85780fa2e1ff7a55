package io.metalr.data.store;

import io.metalr.udf.image.Image;
import io.metalr.udf.image.RawImage;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A store file written by {@link StoreWriter}, memory-mapped read-only in windows of at most
 * 1 GiB (no record straddles one). The heap holds only the index, about 33 bytes an image; the
 * pixels stay in the OS page cache, which spills to the file under memory pressure. Reads are
 * thread-safe (absolute gets on the mapped windows).
 */
public final class MappedStore implements Store, Closeable {

    private final Path file;
    private final long fileBytes;
    private final long window;
    private final long payloadStart;
    private final String sha256;
    private final long[] offset;
    private final long[] rid;
    private final int[] label;
    private final int[] shape;
    private final byte[] kind;
    private final MappedByteBuffer[] windows;
    private final Cleaner.Cleanable remover;
    private volatile boolean closed;

    private MappedStore(Path file, FileChannel ch, boolean removeOnClose) throws IOException {
        this.file = file;
        this.fileBytes = ch.size();
        ByteBuffer h = read(ch, 0, StoreLayout.HEADER_BYTES, "header");
        byte[] magic = new byte[StoreLayout.MAGIC.length];
        h.get(magic);
        if (!Arrays.equals(magic, StoreLayout.MAGIC)) {
            throw new IOException("not a store file (magic " + HexFormat.of().formatHex(magic) + ")");
        }
        int version = h.getInt();
        if (version != StoreLayout.VERSION) {
            throw new IOException("store file version " + version + ", this build reads " + StoreLayout.VERSION);
        }
        int count = h.getInt();
        this.window = h.getLong();
        this.payloadStart = h.getLong();
        long indexStart = h.getLong();
        byte[] sha = new byte[32];
        h.get(sha);
        this.sha256 = HexFormat.of().formatHex(sha);
        if (count < 0 || window < 1 || window > Integer.MAX_VALUE || payloadStart != StoreLayout.HEADER_BYTES
                || indexStart < payloadStart
                || indexStart + (long) count * StoreLayout.INDEX_ENTRY_BYTES != fileBytes) {
            throw new IOException("corrupt store header (" + count + " records, window " + window + ", index at "
                    + indexStart + ", " + fileBytes + " bytes in the file)");
        }
        offset = new long[count];
        rid = new long[count];
        label = new int[count];
        shape = new int[3 * count];
        kind = new byte[count];
        long at = indexStart;
        int chunk = 1 << 15;
        for (int from = 0; from < count; from += chunk) {
            int n = Math.min(chunk, count - from);
            ByteBuffer b = read(ch, at, n * StoreLayout.INDEX_ENTRY_BYTES, "index");
            at += (long) n * StoreLayout.INDEX_ENTRY_BYTES;
            for (int i = from; i < from + n; i++) {
                offset[i] = b.getLong();
                rid[i] = b.getLong();
                label[i] = b.getInt();
                shape[3 * i] = b.getInt();
                shape[3 * i + 1] = b.getInt();
                shape[3 * i + 2] = b.getInt();
                kind[i] = b.get();
                CodeKind k = CodeKind.ofTag(kind[i]);
                long bytes = (long) shape[3 * i] * shape[3 * i + 1] * shape[3 * i + 2] * k.bytesPerValue();
                if (shape[3 * i] < 1 || shape[3 * i + 1] < 1 || shape[3 * i + 2] < 1 || offset[i] < payloadStart
                        || offset[i] + bytes > indexStart
                        || StoreLayout.withinWindow(offset[i], payloadStart, window) + bytes > window) {
                    throw new IOException("corrupt store index: record " + i + " (" + shape[3 * i] + "x"
                            + shape[3 * i + 1] + "x" + shape[3 * i + 2] + " " + k + " at " + offset[i] + ")");
                }
            }
        }
        long payload = indexStart - payloadStart;
        int n = Math.toIntExact((payload + window - 1) / window);
        windows = new MappedByteBuffer[n];
        for (int w = 0; w < n; w++) {
            long start = payloadStart + w * window;
            windows[w] = ch.map(FileChannel.MapMode.READ_ONLY, start, Math.min(window, indexStart - start));
            windows[w].order(StoreLayout.ORDER);
        }
        this.remover = removeOnClose ? StoreFiles.removeWhenUnreachable(this, file) : null;
    }

    /** Opens an existing store file; closing it leaves the file in place. */
    public static MappedStore open(Path file) {
        return open(file, false);
    }

    static MappedStore open(Path file, boolean removeOnClose) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            // the mappings outlive the channel
            return new MappedStore(file, ch, removeOnClose);
        } catch (IOException | RuntimeException e) {
            if (removeOnClose) {
                StoreFiles.delete(file);
            }
            throw new UncheckedIOException("store file " + file + ": " + e.getMessage(),
                    e instanceof IOException io ? io : new IOException(e));
        }
    }

    private static ByteBuffer read(FileChannel ch, long at, int bytes, String what) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(bytes).order(StoreLayout.ORDER);
        while (b.hasRemaining()) {
            if (ch.read(b, at + b.position()) < 0) {
                throw new IOException("truncated store file: its " + what + " ends at " + (at + b.position()));
            }
        }
        return b.flip();
    }

    public Path file() {
        return file;
    }

    /** The file's size in bytes: payload, index and header. */
    public long fileBytes() {
        return fileBytes;
    }

    /** SHA-256 (hex) of the content: equal for two stores of the same images in the same order. */
    public String sha256() {
        return sha256;
    }

    /** How many windows the file is mapped in (tests). */
    int windowCount() {
        return windows.length;
    }

    @Override
    public int size() {
        return rid.length;
    }

    @Override
    public long rid(int position) {
        return rid[position];
    }

    @Override
    public int label(int position) {
        return label[position];
    }

    @Override
    public int channels(int position) {
        return shape[3 * position];
    }

    @Override
    public int height(int position) {
        return shape[3 * position + 1];
    }

    @Override
    public int width(int position) {
        return shape[3 * position + 2];
    }

    @Override
    public CodeKind kind(int position) {
        return CodeKind.ofTag(kind[position]);
    }

    /** Values of the image at {@code position}. */
    public int length(int position) {
        return channels(position) * height(position) * width(position);
    }

    @Override
    public Image image(int position) {
        float[] out = new float[length(position)];
        imageInto(position, out, 0);
        return new Image(out, channels(position), height(position), width(position));
    }

    @Override
    public void imageInto(int position, float[] out, int at) {
        ByteBuffer w = windowOf(position);
        int p = within(position);
        int n = length(position);
        switch (kind(position)) {
            case U8 -> {
                for (int i = 0; i < n; i++) {
                    out[at + i] = RawImage.u8Value(w.get(p + i));
                }
            }
            case U16 -> {
                for (int i = 0; i < n; i++) {
                    out[at + i] = RawImage.u16Value(w.getShort(p + 2 * i));
                }
            }
            case F32 -> w.slice(p, 4 * n).order(StoreLayout.ORDER).asFloatBuffer().get(out, at, n);
            case U8_SCALED -> {
                for (int i = 0; i < n; i++) {
                    out[at + i] = RawImage.u8ScaledValue(w.get(p + i));
                }
            }
            default -> throw new IllegalStateException(kind(position).toString());
        }
    }

    @Override
    public RawImage raw(int position) {
        ByteBuffer w = windowOf(position);
        int p = within(position);
        int n = length(position);
        int c = channels(position);
        int h = height(position);
        int wd = width(position);
        return switch (kind(position)) {
            case U8 -> {
                byte[] b = new byte[n];
                w.get(p, b);
                yield RawImage.u8(b, c, h, wd);
            }
            case U8_SCALED -> {
                byte[] b = new byte[n];
                w.get(p, b);
                yield RawImage.u8Scaled(b, c, h, wd);
            }
            case U16 -> {
                short[] s = new short[n];
                w.slice(p, 2 * n).order(StoreLayout.ORDER).asShortBuffer().get(s);
                yield RawImage.u16(s, c, h, wd);
            }
            case F32 -> {
                float[] f = new float[n];
                w.slice(p, 4 * n).order(StoreLayout.ORDER).asFloatBuffer().get(f);
                yield RawImage.f32(f, c, h, wd);
            }
        };
    }

    private ByteBuffer windowOf(int position) {
        if (closed) {
            throw new IllegalStateException("store " + file + " is closed");
        }
        return windows[StoreLayout.windowOf(offset[position], payloadStart, window)];
    }

    private int within(int position) {
        return StoreLayout.withinWindow(offset[position], payloadStart, window);
    }

    /** Drops the mappings; a store made by {@link StoreWriter} also removes its file. */
    @Override
    public void close() {
        closed = true;
        if (remover != null) {
            remover.clean();
        }
    }

    @Override
    public String toString() {
        return "store " + file.getFileName();
    }
}
