package io.metalr.model.io;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The zip container of {@code torch.save} (since torch 1.6) and {@code torch.jit.save}, read from
 * memory.
 *
 * <p>Every record sits under one top folder, the archive name ({@code <archive>/data.pkl},
 * {@code <archive>/data/0}, ...), which torch takes from the file name at save time, so it is
 * found rather than assumed. The central directory is parsed here instead of using
 * {@link java.util.zip.ZipInputStream}: torch's writer (miniz) sets the data-descriptor flag on
 * stored entries, which ZipInputStream refuses ("only DEFLATED entries can have EXT descriptor").
 */
final class TorchArchive {

    private record Entry(String name, int method, long compressedSize, long size, long crc, long localOffset) {
    }

    private static final int LOCAL_SIG = 0x04034b50;
    private static final int CENTRAL_SIG = 0x02014b50;
    private static final int END_SIG = 0x06054b50;

    /** The legacy format begins with a pickled magic number: PROTO 2, LONG1 of 10 bytes, 0x1950a86a20f9469cfc6c. */
    private static final byte[] LEGACY_MAGIC = {(byte) 0x80, 0x02, (byte) 0x8a, 0x0a,
            0x6c, (byte) 0xfc, (byte) 0x9c, 0x46, (byte) 0xf9, 0x20, 0x6a, (byte) 0xa8, 0x50, 0x19};

    private final byte[] bytes;
    private final String source;
    private final String prefix;
    private final Map<String, Entry> entries;

    private TorchArchive(byte[] bytes, String source, String prefix, Map<String, Entry> entries) {
        this.bytes = bytes;
        this.source = source;
        this.prefix = prefix;
        this.entries = entries;
    }

    /** Parses the zip directory; refuses the legacy format, non-zips and truncated zips by name. */
    static TorchArchive open(byte[] bytes, String source) throws IOException {
        if (startsWith(bytes, 0, LEGACY_MAGIC) || startsWith(bytes, 257, "ustar".getBytes(StandardCharsets.US_ASCII))) {
            throw new IOException(source + ": legacy (pre-1.6, non-zip) torch.save format, which is not supported;"
                    + " re-save it with a current torch: torch.save(torch.load(f), f)");
        }
        int end = findEndOfCentralDirectory(bytes);
        if (end < 0) {
            if (bytes.length >= 4 && le4(bytes, 0) == LOCAL_SIG) {
                throw new IOException(source + ": truncated zip archive (no end of central directory;"
                        + " the file was probably cut short)");
            }
            throw new IOException(source + ": not a PyTorch weight file (not a zip archive"
                    + (bytes.length == 0 ? "; the file is empty)" : ")"));
        }
        int count = le2(bytes, end + 10);
        long cdSize = le4(bytes, end + 12) & 0xffffffffL;
        long cdOffset = le4(bytes, end + 16) & 0xffffffffL;
        if (count == 0xffff || cdOffset == 0xffffffffL) {
            throw new IOException(source + ": zip64 archives are not supported");
        }
        if (cdOffset + cdSize > end) {
            throw new IOException(source + ": corrupt or truncated zip archive (central directory out of range)");
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        int p = (int) cdOffset;
        for (int i = 0; i < count; i++) {
            if (p + 46 > end || le4(bytes, p) != CENTRAL_SIG) {
                throw new IOException(source + ": corrupt zip archive (bad central directory entry " + i + ")");
            }
            int nameLen = le2(bytes, p + 28);
            int extraLen = le2(bytes, p + 30);
            int commentLen = le2(bytes, p + 32);
            if (p + 46 + nameLen > end) {
                throw new IOException(source + ": corrupt zip archive (bad central directory entry " + i + ")");
            }
            String name = new String(bytes, p + 46, nameLen, StandardCharsets.UTF_8);
            entries.put(name, new Entry(name, le2(bytes, p + 10), le4(bytes, p + 20) & 0xffffffffL,
                    le4(bytes, p + 24) & 0xffffffffL, le4(bytes, p + 16) & 0xffffffffL,
                    le4(bytes, p + 42) & 0xffffffffL));
            p += 46 + nameLen + extraLen + commentLen;
        }
        if (entries.isEmpty()) {
            throw new IOException(source + ": not a PyTorch weight file (empty zip archive)");
        }
        // Like torch's own reader: the archive name is the first record's top folder.
        String first = entries.keySet().iterator().next();
        int slash = first.indexOf('/');
        String prefix = slash < 0 ? "" : first.substring(0, slash + 1);
        if (!entries.containsKey(prefix + "data.pkl")) {
            throw new IOException(source + ": not a PyTorch weight file (zip archive without "
                    + prefix + "data.pkl)");
        }
        return new TorchArchive(bytes, source, prefix, entries);
    }

    String source() {
        return source;
    }

    boolean has(String record) {
        return entries.containsKey(prefix + record);
    }

    /** The bytes of one record, e.g. {@code "data.pkl"} or {@code "data/3"}; CRC-checked. */
    byte[] read(String record) throws IOException {
        Entry e = entries.get(prefix + record);
        if (e == null) {
            throw new IOException(source + ": zip entry " + prefix + record + " is missing");
        }
        String where = source + ": zip entry " + e.name();
        long lo = e.localOffset();
        if (lo + 30 > bytes.length || le4(bytes, (int) lo) != LOCAL_SIG) {
            throw new IOException(where + " has a bad local header (corrupt archive)");
        }
        // The local header has its own extra field: torch pads it so tensor data is 64-byte aligned.
        long start = lo + 30 + le2(bytes, (int) lo + 26) + le2(bytes, (int) lo + 28);
        if (start + e.compressedSize() > bytes.length || e.size() > Integer.MAX_VALUE - 8) {
            throw new IOException(where + " extends past the end of the file (truncated archive)");
        }
        byte[] out;
        if (e.method() == 0) {
            out = new byte[(int) e.size()];
            if (e.compressedSize() != e.size()) {
                throw new IOException(where + " is stored with inconsistent sizes (corrupt archive)");
            }
            System.arraycopy(bytes, (int) start, out, 0, out.length);
        } else if (e.method() == 8) {
            out = inflate(where, (int) start, (int) e.compressedSize(), (int) e.size());
        } else {
            throw new IOException(where + " uses unsupported zip compression method " + e.method());
        }
        CRC32 crc = new CRC32();
        crc.update(out);
        if (crc.getValue() != e.crc()) {
            throw new IOException(where + " fails its CRC check (corrupt archive)");
        }
        return out;
    }

    /** Byte order of the tensor data: the {@code byteorder} record, little-endian when absent (older torch). */
    ByteOrder byteOrder() throws IOException {
        if (!has("byteorder")) {
            return ByteOrder.LITTLE_ENDIAN;
        }
        String order = new String(read("byteorder"), StandardCharsets.US_ASCII).trim();
        return switch (order) {
            case "little" -> ByteOrder.LITTLE_ENDIAN;
            case "big" -> ByteOrder.BIG_ENDIAN;
            default -> throw new IOException(source + ": unknown byteorder '" + order + "'");
        };
    }

    List<String> recordNames() {
        List<String> names = new ArrayList<>();
        for (String name : entries.keySet()) {
            if (name.startsWith(prefix)) {
                names.add(name.substring(prefix.length()));
            }
        }
        return names;
    }

    private byte[] inflate(String where, int start, int compressedSize, int size) throws IOException {
        Inflater inflater = new Inflater(true); // zip entries are raw deflate, no zlib header
        try {
            inflater.setInput(bytes, start, compressedSize);
            byte[] out = new byte[size];
            int n = 0;
            while (n < size && !inflater.finished()) {
                int got = inflater.inflate(out, n, size - n);
                if (got == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                n += got;
            }
            if (n != size) {
                throw new IOException(where + " inflates to " + n + " bytes, expected " + size + " (corrupt archive)");
            }
            return out;
        } catch (DataFormatException ex) {
            throw new IOException(where + " is not valid deflate data (corrupt archive)", ex);
        } finally {
            inflater.end();
        }
    }

    /** The end record is 22 bytes plus a comment of up to 64 KiB, so search backwards that far. */
    private static int findEndOfCentralDirectory(byte[] b) {
        for (int p = b.length - 22; p >= 0 && p >= b.length - 22 - 0xffff; p--) {
            if (le4(b, p) == END_SIG && p + 22 + le2(b, p + 20) <= b.length) {
                return p;
            }
        }
        return -1;
    }

    private static boolean startsWith(byte[] b, int at, byte[] prefix) {
        if (b.length < at + prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (b[at + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static int le2(byte[] b, int p) {
        return (b[p] & 0xff) | (b[p + 1] & 0xff) << 8;
    }

    private static int le4(byte[] b, int p) {
        return (b[p] & 0xff) | (b[p + 1] & 0xff) << 8 | (b[p + 2] & 0xff) << 16 | (b[p + 3] & 0xff) << 24;
    }
}
