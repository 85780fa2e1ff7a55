package io.metalr.data.store;

import java.nio.ByteOrder;

/**
 * The bytes of a store file, and the window arithmetic both the writer and the reader use.
 *
 * <pre>
 *   header   128 B: magic "MLRSTOR1", int version, int count, long window, long payloadStart,
 *                   long indexStart, 32 B sha256 of the content
 *   payload  records' codes (little-endian), each wholly inside one window of {@code window}
 *            bytes counted from payloadStart (gaps are left unwritten)
 *   index    per record: long offset, long rid, int label, int c, int h, int w, byte kind (33 B)
 * </pre>
 *
 * Every offset is a {@code long}: only a record and a window are bounded, by the window size.
 */
final class StoreLayout {

    static final byte[] MAGIC = "MLRSTOR1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    static final int HEADER_BYTES = 128;
    static final int INDEX_ENTRY_BYTES = 33;
    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    /** 1 GiB: {@code FileChannel.map} takes at most 2 GiB, and a window this size keeps records whole cheaply. */
    static final long DEFAULT_WINDOW = 1L << 30;

    private StoreLayout() {}

    /**
     * Where a record of {@code bytes} bytes goes when the payload has been written up to {@code at}:
     * {@code at} itself, or the start of the next window when it would straddle a window edge.
     */
    static long place(long at, long bytes, long payloadStart, long window) {
        if (bytes > window) {
            throw new IllegalArgumentException("a record of " + bytes + " bytes does not fit a store window of "
                    + window + " bytes");
        }
        long rel = at - payloadStart;
        long within = rel % window;
        return within + bytes <= window ? at : payloadStart + (rel - within) + window;
    }

    /** The window holding the byte at {@code offset}. */
    static int windowOf(long offset, long payloadStart, long window) {
        return Math.toIntExact((offset - payloadStart) / window);
    }

    /** The position of {@code offset} inside its window. */
    static int withinWindow(long offset, long payloadStart, long window) {
        return (int) ((offset - payloadStart) % window);
    }
}
