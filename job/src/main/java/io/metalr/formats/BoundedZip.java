package io.metalr.formats;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
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
 * into a buffer that grows with what it yields, to exactly its declared size, which may not pass
 * the caller's cap, what deflate can expand its bytes to, nor (when the caller sets one) the
 * archive's inflation budget. Entries are CRC-checked.
 */
public final class BoundedZip {

    /** One entry of the central directory; sizes and offset already checked against the file. */
    public record Entry(String name, int method, long compressedSize, long size, long crc, long localOffset) {
    }

    /**
     * What the entries may inflate to.
     *
     * @param maxEntryBytes the most bytes one entry may inflate to (at most {@link #MAX_ARRAY})
     * @param entryLimit names {@code maxEntryBytes} in messages, e.g. the config key that sets it
     * @param maxInflation all deflated entries together may inflate to at most this many times the
     *     archive's size (plus 1 MiB); 0 for no such budget
     */
    public record Limits(long maxEntryBytes, String entryLimit, long maxInflation) {
    }

    /** The largest Java byte array. */
    public static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    private static final int LOCAL_SIG = 0x04034b50;
    private static final int CENTRAL_SIG = 0x02014b50;
    private static final int END_SIG = 0x06054b50;
    private static final int ZIP64_END_SIG = 0x06064b50;
    private static final int ZIP64_LOCATOR_SIG = 0x07064b50;
    private static final int CENTRAL_HEADER = 46;
    private static final int LOCAL_HEADER = 30;
    /** Deflate cannot expand data by more than about 1032:1; a size past that is a lie. */
    private static final long MAX_DEFLATE_RATIO = 1032;
    private static final long INFLATION_SLACK = 1 << 20;

    private final ByteBuffer bytes;
    private final UnaryOperator<String> label;
    private final Map<String, Entry> entries;
    private final Limits limits;
    private long inflatedBudget;

    private BoundedZip(ByteBuffer bytes, UnaryOperator<String> label, Map<String, Entry> entries, Limits limits) {
        this.bytes = bytes;
        this.label = label;
        this.entries = entries;
        this.limits = limits;
        this.inflatedBudget = limits.maxInflation() > 0
                ? limits.maxInflation() * bytes.capacity() + INFLATION_SLACK : Long.MAX_VALUE;
    }

    /**
     * Parses the central directory; every entry's sizes and offset must lie inside the file.
     *
     * @param source names the file in messages
     * @param kind what the file should be, for messages: "not a {kind} (not a zip archive)"
     * @param label names an entry in messages, from its name: e.g. "f.pt: zip entry a/data/0"
     */
    public static BoundedZip open(byte[] file, String source, String kind, UnaryOperator<String> label,
            Limits limits) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        return new BoundedZip(b, label, parseDirectory(b, 0, file.length, source, kind, label), limits);
    }

    /** Reads bytes at a position of a file: a seekable stream (Hadoop's {@code FSDataInputStream}). */
    public interface Ranges {
        void readFully(long position, byte[] buf, int off, int len) throws IOException;
    }

    /** The most bytes a central directory read from a seekable file may take (npz files have a few entries). */
    private static final long MAX_DIRECTORY = 64L << 20;

    /**
     * The central directory of a zip file of {@code length} bytes read in place: only its tail and
     * its directory are read, whatever the size of the entries. Checked as {@link #open} checks.
     */
    public static Map<String, Entry> directory(Ranges in, long length, String source, String kind,
            UnaryOperator<String> label) throws IOException {
        int tailLength = (int) Math.min(length, 22 + 0xffff + 20 + 56);
        long base = length - tailLength;
        ByteBuffer tail = read(in, base, tailLength);
        int end = findEndOfCentralDirectory(tail);
        if (end >= 0) {
            long cdOffset = tail.getInt(end + 16) & 0xffffffffL;
            long[] zip64 = zip64End(tail, base, end, source);
            cdOffset = zip64 != null ? zip64[2] : cdOffset;
            if (cdOffset >= 0 && cdOffset < base && length - cdOffset <= MAX_DIRECTORY) {
                base = cdOffset;
                tail = read(in, base, (int) (length - base));
                end = findEndOfCentralDirectory(tail);
            }
        }
        if (end < 0 && base > 0) {
            // no end record in the tail: say what open() says of the whole file
            ByteBuffer head = read(in, 0, (int) Math.min(4, length));
            if (length >= 4 && head.getInt(0) == LOCAL_SIG) {
                throw new MalformedFileException(source + ": truncated zip archive (no end of central directory;"
                        + " the file was probably cut short)");
            }
            throw new MalformedFileException(source + ": not a " + kind + " (not a zip archive)");
        }
        return parseDirectory(tail, base, length, source, kind, label);
    }

    /**
     * The offset in the file where a stored entry's bytes start (after its local header): so a
     * reader can seek to any part of it. The entry's CRC is not checked (that needs all of it).
     */
    public static long dataStart(Ranges in, long length, Entry e, UnaryOperator<String> label) throws IOException {
        String where = label.apply(e.name());
        long lo = e.localOffset();
        if (lo > length - LOCAL_HEADER) {
            throw new MalformedFileException(where + ": bad local header (corrupt archive)");
        }
        ByteBuffer h = read(in, lo, LOCAL_HEADER);
        if (h.getInt(0) != LOCAL_SIG) {
            throw new MalformedFileException(where + ": bad local header (corrupt archive)");
        }
        long start = lo + LOCAL_HEADER + (h.getShort(26) & 0xffff) + (h.getShort(28) & 0xffff);
        if (start > length || e.compressedSize() > length - start) {
            throw new MalformedFileException(where + ": truncated archive (" + e.compressedSize() + " bytes expected, "
                    + Math.max(0, length - start) + " present)");
        }
        return start;
    }

    /** One whole entry read in place, as {@link #read} reads it (inflated, bounded, CRC-checked). */
    public static ByteBuffer readEntry(Ranges in, long length, Entry e, UnaryOperator<String> label, Limits limits)
            throws IOException {
        String where = label.apply(e.name());
        long start = dataStart(in, length, e, label);
        long cap = Math.min(limits.maxEntryBytes(), MAX_ARRAY);
        if (e.compressedSize() > cap - LOCAL_HEADER) {
            throw new MalformedFileException(where + ": an entry of " + e.compressedSize() + " bytes is over "
                    + limits.entryLimit() + " (" + cap + ")");
        }
        // the entry alone, behind a local header of its own: read() then checks it as in a whole file
        ByteBuffer one = ByteBuffer.allocate(LOCAL_HEADER + (int) e.compressedSize()).order(ByteOrder.LITTLE_ENDIAN);
        one.putInt(0, LOCAL_SIG);
        in.readFully(start, one.array(), LOCAL_HEADER, (int) e.compressedSize());
        Entry local = new Entry(e.name(), e.method(), e.compressedSize(), e.size(), e.crc(), 0);
        return new BoundedZip(one, label, Map.of(e.name(), local), limits).read(local);
    }

    private static ByteBuffer read(Ranges in, long position, int length) throws IOException {
        byte[] buf = new byte[length];
        in.readFully(position, buf, 0, length);
        return ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * The central directory in {@code b}, which holds the file's bytes from offset {@code base} to
     * its end ({@code fileLength}); offsets in the archive are the file's.
     */
    private static Map<String, Entry> parseDirectory(ByteBuffer b, long base, long fileLength, String source,
            String kind, UnaryOperator<String> label) {
        int end = findEndOfCentralDirectory(b);
        if (end < 0) {
            if (b.capacity() >= 4 && b.getInt(0) == LOCAL_SIG) {
                throw new MalformedFileException(source + ": truncated zip archive (no end of central directory;"
                        + " the file was probably cut short)");
            }
            throw new MalformedFileException(source + ": not a " + kind + " (not a zip archive"
                    + (fileLength == 0 ? "; the file is empty)" : ")"));
        }
        long count = b.getShort(end + 10) & 0xffff;
        long cdSize = b.getInt(end + 12) & 0xffffffffL;
        long cdOffset = b.getInt(end + 16) & 0xffffffffL;
        long[] zip64 = zip64End(b, base, end, source); // only when a field is at its maximum
        if (zip64 != null) {
            count = zip64[0];
            cdSize = zip64[1];
            cdOffset = zip64[2];
        }
        // Unsigned 64-bit values above Long.MAX_VALUE read as negative: out of range as well.
        // Every entry takes 46 bytes or more: a count the directory cannot hold is corrupt, not a loop bound.
        long endAt = base + end;
        if (count < 0 || cdSize < 0 || cdOffset < base || cdOffset > endAt || cdSize > endAt - cdOffset
                || count > cdSize / CENTRAL_HEADER) {
            throw new MalformedFileException(source + ": corrupt or truncated zip archive (central directory of "
                    + count + " entries at " + cdOffset + " out of range)");
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        long cdEnd = cdOffset + cdSize;
        long p = cdOffset;
        for (long i = 0; i < count; i++) {
            if (p + CENTRAL_HEADER > cdEnd || b.getInt((int) (p - base)) != CENTRAL_SIG) {
                throw new MalformedFileException(source + ": corrupt zip archive (bad central directory entry " + i + ")");
            }
            int at = (int) (p - base);
            int nameLen = b.getShort(at + 28) & 0xffff;
            int extraLen = b.getShort(at + 30) & 0xffff;
            int commentLen = b.getShort(at + 32) & 0xffff;
            long next = p + CENTRAL_HEADER + nameLen + extraLen + commentLen;
            if (next > cdEnd) {
                throw new MalformedFileException(source + ": corrupt zip archive (central directory entry " + i
                        + " runs past the directory)");
            }
            byte[] nameBytes = new byte[nameLen];
            b.get(at + CENTRAL_HEADER, nameBytes);
            String name = new String(nameBytes, StandardCharsets.UTF_8);
            String where = label.apply(name);
            long[] sizes = {b.getInt(at + 24) & 0xffffffffL, b.getInt(at + 20) & 0xffffffffL,
                    b.getInt(at + 42) & 0xffffffffL}; // size, compressed size, local header offset
            zip64Extra(b, at + CENTRAL_HEADER + nameLen, extraLen, sizes, where);
            long size = sizes[0];
            long compressed = sizes[1];
            long local = sizes[2];
            // sizes and offsets as unsigned 64-bit numbers: anything past the file is corrupt
            if (size < 0 || compressed < 0 || compressed > fileLength || local < 0 || local > fileLength) {
                throw new MalformedFileException(where + ": sizes or offset outside the file (compressed "
                        + Long.toUnsignedString(compressed) + ", size " + Long.toUnsignedString(size) + ", offset "
                        + Long.toUnsignedString(local) + ", file " + fileLength + " bytes; corrupt archive)");
            }
            entries.put(name, new Entry(name, b.getShort(at + 10) & 0xffff, compressed, size,
                    b.getInt(at + 16) & 0xffffffffL, local));
            p = next;
        }
        return Collections.unmodifiableMap(entries);
    }

    /** Entries by name, in central-directory order. */
    public Map<String, Entry> entries() {
        return entries;
    }

    /**
     * The bytes of one entry, CRC-checked: a view of the file for a stored entry, a new array for
     * a deflated one. Positions are 0-based; the byte order is the caller's to set.
     */
    public ByteBuffer read(Entry e) {
        String where = label.apply(e.name());
        long length = bytes.capacity();
        long lo = e.localOffset();
        if (lo > length - LOCAL_HEADER || bytes.getInt((int) lo) != LOCAL_SIG) {
            throw new MalformedFileException(where + ": bad local header (corrupt archive)");
        }
        // The local header has its own extra field: torch pads it so tensor data is 64-byte aligned.
        long start = lo + LOCAL_HEADER + (bytes.getShort((int) lo + 26) & 0xffff) + (bytes.getShort((int) lo + 28) & 0xffff);
        if (start > length || e.compressedSize() > length - start) {
            throw new MalformedFileException(where + ": truncated archive (" + e.compressedSize() + " bytes expected, "
                    + Math.max(0, length - start) + " present)");
        }
        ByteBuffer out;
        if (e.method() == 0) {
            if (e.compressedSize() != e.size()) {
                throw new MalformedFileException(where + ": stored with inconsistent sizes " + e.compressedSize()
                        + " and " + e.size() + " (corrupt archive)");
            }
            out = bytes.slice((int) start, (int) e.size());
        } else if (e.method() == 8) {
            checkInflatedSize(e, where, length);
            inflatedBudget -= e.size();
            out = ByteBuffer.wrap(inflate(where, (int) start, (int) e.compressedSize(), (int) e.size()));
        } else {
            throw new MalformedFileException(where + ": zip compression method " + e.method()
                    + " is not supported (stored or deflated only)");
        }
        CRC32 crc = new CRC32();
        crc.update(out.duplicate());
        if (crc.getValue() != e.crc()) {
            throw new MalformedFileException(where + ": fails its CRC check (corrupt archive)");
        }
        return out;
    }

    private void checkInflatedSize(Entry e, String where, long length) {
        long cap = Math.min(limits.maxEntryBytes(), MAX_ARRAY);
        if (e.size() > cap) {
            throw new MalformedFileException(where + ": an entry of " + e.size() + " bytes (inflated) is over "
                    + limits.entryLimit() + " (" + cap + ")");
        }
        if (e.size() > e.compressedSize() * MAX_DEFLATE_RATIO + 1024) {
            throw new MalformedFileException(where + ": " + e.compressedSize() + " deflated bytes cannot hold the "
                    + e.size() + " bytes it declares (corrupt archive or zip bomb)");
        }
        if (e.size() > inflatedBudget) {
            throw new MalformedFileException(where + ": declares " + e.size() + " bytes once inflated, more than an"
                    + " archive of " + length + " bytes may hold (corrupt archive or zip bomb)");
        }
    }

    /** Inflates to exactly {@code size} bytes: fewer or more is a corrupt entry. */
    private byte[] inflate(String where, int start, int compressedSize, int size) {
        Inflater inflater = new Inflater(true); // zip entries are raw deflate, no zlib header
        try {
            inflater.setInput(bytes.slice(start, compressedSize));
            // grows with what actually inflates: a declared size is not allocated on trust
            byte[] out = new byte[Math.min(size, 1 << 16)];
            int n = 0;
            while (n < size && !inflater.finished()) {
                if (n == out.length) {
                    out = Arrays.copyOf(out, (int) Math.min(size, 2L * n));
                }
                int before = inflater.getRemaining();
                int got = inflater.inflate(out, n, out.length - n);
                if (got == 0 && (inflater.needsInput() || inflater.needsDictionary() || inflater.getRemaining() == before)) {
                    break; // no progress: the data ends early
                }
                n += got;
            }
            if (n == size && !inflater.finished() && inflater.inflate(new byte[1]) > 0) {
                throw new MalformedFileException(where + ": inflates to more than its declared " + size
                        + " bytes (corrupt archive)");
            }
            if (n != size) {
                throw new MalformedFileException(where + ": inflates to " + n + " bytes, expected " + size
                        + " (truncated or corrupt archive)");
            }
            return out;
        } catch (DataFormatException ex) {
            throw new MalformedFileException(where + ": not valid deflate data (corrupt archive): " + ex.getMessage(), ex);
        } finally {
            inflater.end();
        }
    }

    /** The zip64 end record's entry count, directory size and offset, or null when there is none. */
    private static long[] zip64End(ByteBuffer b, long base, int end, String source) {
        long count = b.getShort(end + 10) & 0xffff;
        long cdSize = b.getInt(end + 12) & 0xffffffffL;
        long cdOffset = b.getInt(end + 16) & 0xffffffffL;
        if (count != 0xffff && cdSize != 0xffffffffL && cdOffset != 0xffffffffL) {
            return null;
        }
        int locator = end - 20;
        if (locator < 0 || b.getInt(locator) != ZIP64_LOCATOR_SIG) {
            return null; // a classic archive whose fields happen to be at their maximum
        }
        long at = b.getLong(locator + 8) - base; // an index into b
        if (at < 0 || at > locator - 56L || b.getInt((int) at) != ZIP64_END_SIG) {
            throw new MalformedFileException(source + ": corrupt zip archive (zip64 end record out of range)");
        }
        return new long[] {b.getLong((int) at + 32), b.getLong((int) at + 40), b.getLong((int) at + 48)};
    }

    /**
     * Replaces the 32-bit fields that are 0xffffffff by their zip64 extra-field values, which come
     * in the order size, compressed size, local header offset, each only when needed.
     */
    private static void zip64Extra(ByteBuffer b, int from, int length, long[] sizes, String where) {
        int x = from;
        int end = from + length;
        while (x + 4 <= end) {
            int id = b.getShort(x) & 0xffff;
            int len = b.getShort(x + 2) & 0xffff;
            if (x + 4 + len > end) {
                throw new MalformedFileException(where + ": extra field runs past its header (corrupt archive)");
            }
            if (id == 0x0001) {
                int q = x + 4;
                for (int i = 0; i < sizes.length; i++) {
                    if (sizes[i] == 0xffffffffL) {
                        if (q + 8 > x + 4 + len) {
                            throw new MalformedFileException(where + ": zip64 extra field too short for its sizes"
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
