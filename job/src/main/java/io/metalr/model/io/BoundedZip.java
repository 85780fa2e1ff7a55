package io.metalr.model.io;

import io.metalr.model.BadModelException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A zip archive held in memory whose every size and offset is checked against the file before
 * it is used, so a crafted archive cannot make the reader allocate more than it has bytes for.
 *
 * <p>The central directory is parsed here instead of using {@link java.util.zip.ZipInputStream}:
 * torch's writer (miniz) sets the data-descriptor flag on stored entries, which ZipInputStream
 * refuses ("only DEFLATED entries can have EXT descriptor"). Zip64 end records and extra fields
 * are read. A stored entry is a view of the file's bytes (no copy); a deflated one is inflated
 * to exactly its declared size, and all deflated entries together may inflate to at most
 * {@value #MAX_INFLATION} times the archive's size (plus {@value #INFLATION_SLACK} bytes):
 * real weights barely compress, a zip bomb does.
 */
final class BoundedZip {

    record Entry(String name, int method, long compressedSize, long size, long crc, long localOffset) {
    }

    static final int LOCAL_SIG = 0x04034b50;
    private static final int CENTRAL_SIG = 0x02014b50;
    private static final int END_SIG = 0x06054b50;
    private static final int ZIP64_END_SIG = 0x06064b50;
    private static final int ZIP64_LOCATOR_SIG = 0x07064b50;
    private static final int CENTRAL_HEADER = 46;
    private static final int LOCAL_HEADER = 30;
    private static final long MAX_INFLATION = 100;
    private static final long INFLATION_SLACK = 1 << 20;

    private final ByteBuffer bytes;
    private final String source;
    private final Map<String, Entry> entries;
    private long inflatedBudget;

    private BoundedZip(ByteBuffer bytes, String source, Map<String, Entry> entries) {
        this.bytes = bytes;
        this.source = source;
        this.entries = entries;
        this.inflatedBudget = MAX_INFLATION * bytes.capacity() + INFLATION_SLACK;
    }

    /**
     * Parses the central directory.
     *
     * @param kind what the file should be, for messages: "not a {kind} (not a zip archive)"
     */
    static BoundedZip open(byte[] file, String source, String kind) throws BadModelException {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int end = findEndOfCentralDirectory(b);
        if (end < 0) {
            if (file.length >= 4 && b.getInt(0) == LOCAL_SIG) {
                throw new BadModelException(source + ": truncated zip archive (no end of central directory;"
                        + " the file was probably cut short)");
            }
            throw new BadModelException(source + ": not a " + kind + " (not a zip archive"
                    + (file.length == 0 ? "; the file is empty)" : ")"));
        }
        long count = b.getShort(end + 10) & 0xffff;
        long cdSize = b.getInt(end + 12) & 0xffffffffL;
        long cdOffset = b.getInt(end + 16) & 0xffffffffL;
        if (count == 0xffff || cdSize == 0xffffffffL || cdOffset == 0xffffffffL) {
            long[] zip64 = zip64End(b, end, source);
            if (zip64 != null) {
                count = zip64[0];
                cdSize = zip64[1];
                cdOffset = zip64[2];
            }
        }
        // Unsigned 64-bit values above Long.MAX_VALUE read as negative: out of range as well.
        if (count < 0 || cdSize < 0 || cdOffset < 0 || cdOffset > end || cdSize > end - cdOffset
                || count > cdSize / CENTRAL_HEADER) {
            throw new BadModelException(source + ": corrupt or truncated zip archive (central directory of "
                    + count + " entries at " + cdOffset + " out of range)");
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        long cdEnd = cdOffset + cdSize;
        long p = cdOffset;
        for (long i = 0; i < count; i++) {
            if (p + CENTRAL_HEADER > cdEnd || b.getInt((int) p) != CENTRAL_SIG) {
                throw new BadModelException(source + ": corrupt zip archive (bad central directory entry " + i + ")");
            }
            int at = (int) p;
            int nameLen = b.getShort(at + 28) & 0xffff;
            int extraLen = b.getShort(at + 30) & 0xffff;
            int commentLen = b.getShort(at + 32) & 0xffff;
            long next = p + CENTRAL_HEADER + nameLen + extraLen + commentLen;
            if (next > cdEnd) {
                throw new BadModelException(source + ": corrupt zip archive (central directory entry " + i
                        + " runs past the directory)");
            }
            String name = new String(file, at + CENTRAL_HEADER, nameLen, StandardCharsets.UTF_8);
            long[] sizes = {b.getInt(at + 24) & 0xffffffffL, b.getInt(at + 20) & 0xffffffffL,
                    b.getInt(at + 42) & 0xffffffffL}; // size, compressed size, local header offset
            zip64Extra(b, at + CENTRAL_HEADER + nameLen, extraLen, sizes, source + ": zip entry " + name);
            entries.put(name, new Entry(name, b.getShort(at + 10) & 0xffff, sizes[1], sizes[0],
                    b.getInt(at + 16) & 0xffffffffL, sizes[2]));
            p = next;
        }
        return new BoundedZip(b, source, Collections.unmodifiableMap(entries));
    }

    /** Entries by name, in central-directory order. */
    Map<String, Entry> entries() {
        return entries;
    }

    /**
     * The bytes of one entry, CRC-checked: a view of the file for a stored entry, a new array for
     * a deflated one. Positions are 0-based; the byte order is the caller's to set.
     */
    ByteBuffer read(Entry e) throws BadModelException {
        String where = source + ": zip entry " + e.name();
        long length = bytes.capacity();
        long lo = e.localOffset();
        if (lo < 0 || lo > length - LOCAL_HEADER || bytes.getInt((int) lo) != LOCAL_SIG) {
            throw new BadModelException(where + " has a bad local header (corrupt archive)");
        }
        // The local header has its own extra field: torch pads it so tensor data is 64-byte aligned.
        long start = lo + LOCAL_HEADER + (bytes.getShort((int) lo + 26) & 0xffff) + (bytes.getShort((int) lo + 28) & 0xffff);
        if (e.compressedSize() < 0 || e.size() < 0 || start > length || e.compressedSize() > length - start) {
            throw new BadModelException(where + " extends past the end of the file (truncated archive)");
        }
        ByteBuffer out;
        if (e.method() == 0) {
            if (e.compressedSize() != e.size()) {
                throw new BadModelException(where + " is stored with inconsistent sizes " + e.compressedSize()
                        + " and " + e.size() + " (corrupt archive)");
            }
            out = bytes.slice((int) start, (int) e.size());
        } else if (e.method() == 8) {
            if (e.size() > inflatedBudget || e.size() > Integer.MAX_VALUE - 8) {
                throw new BadModelException(where + " declares " + e.size() + " bytes once inflated, more than an"
                        + " archive of " + length + " bytes may hold (corrupt archive or zip bomb)");
            }
            inflatedBudget -= e.size();
            out = ByteBuffer.wrap(inflate(where, (int) start, (int) e.compressedSize(), (int) e.size()));
        } else {
            throw new BadModelException(where + " uses unsupported zip compression method " + e.method());
        }
        CRC32 crc = new CRC32();
        crc.update(out.duplicate());
        if (crc.getValue() != e.crc()) {
            throw new BadModelException(where + " fails its CRC check (corrupt archive)");
        }
        return out;
    }

    /** Inflates to exactly {@code size} bytes: fewer or more is a corrupt entry. */
    private byte[] inflate(String where, int start, int compressedSize, int size) throws BadModelException {
        Inflater inflater = new Inflater(true); // zip entries are raw deflate, no zlib header
        try {
            inflater.setInput(bytes.slice(start, compressedSize));
            byte[] out = new byte[size];
            int n = 0;
            while (n < size && !inflater.finished()) {
                int before = inflater.getRemaining();
                int got = inflater.inflate(out, n, size - n);
                if (got == 0 && (inflater.needsInput() || inflater.needsDictionary() || inflater.getRemaining() == before)) {
                    break; // no progress: the data ends early
                }
                n += got;
            }
            if (n == size && !inflater.finished() && inflater.inflate(new byte[1]) > 0) {
                throw new BadModelException(where + " inflates to more than its declared " + size
                        + " bytes (corrupt archive)");
            }
            if (n != size) {
                throw new BadModelException(where + " inflates to " + n + " bytes, expected " + size + " (corrupt archive)");
            }
            return out;
        } catch (DataFormatException ex) {
            throw new BadModelException(where + " is not valid deflate data (corrupt archive)", ex);
        } finally {
            inflater.end();
        }
    }

    /** The zip64 end record's entry count, directory size and offset, or null when there is none. */
    private static long[] zip64End(ByteBuffer b, int end, String source) throws BadModelException {
        int locator = end - 20;
        if (locator < 0 || b.getInt(locator) != ZIP64_LOCATOR_SIG) {
            return null; // a classic archive whose fields happen to be at their maximum
        }
        long at = b.getLong(locator + 8);
        if (at < 0 || at > locator - 56L || b.getInt((int) at) != ZIP64_END_SIG) {
            throw new BadModelException(source + ": corrupt zip archive (zip64 end record out of range)");
        }
        return new long[] {b.getLong((int) at + 32), b.getLong((int) at + 40), b.getLong((int) at + 48)};
    }

    /**
     * Replaces the 32-bit fields that are 0xffffffff by their zip64 extra-field values, which come
     * in the order size, compressed size, local header offset, each only when needed.
     */
    private static void zip64Extra(ByteBuffer b, int from, int length, long[] sizes, String where)
            throws BadModelException {
        int x = from;
        int end = from + length;
        while (x + 4 <= end) {
            int id = b.getShort(x) & 0xffff;
            int len = b.getShort(x + 2) & 0xffff;
            if (x + 4 + len > end) {
                throw new BadModelException(where + " has an extra field running past its header (corrupt archive)");
            }
            if (id == 0x0001) {
                int q = x + 4;
                for (int i = 0; i < sizes.length; i++) {
                    if (sizes[i] == 0xffffffffL) {
                        if (q + 8 > x + 4 + len) {
                            throw new BadModelException(where + " has a zip64 extra field too short for its sizes"
                                    + " (corrupt archive)");
                        }
                        sizes[i] = b.getLong(q);
                        q += 8;
                    }
                }
            }
            x += 4 + len;
        }
    }

    /** The end record is 22 bytes plus a comment of up to 64 KiB, so search backwards that far. */
    private static int findEndOfCentralDirectory(ByteBuffer b) {
        int length = b.capacity();
        for (int p = length - 22; p >= 0 && p >= length - 22 - 0xffff; p--) {
            if (b.getInt(p) == END_SIG && p + 22 + (b.getShort(p + 20) & 0xffff) <= length) {
                return p;
            }
        }
        return -1;
    }
}
