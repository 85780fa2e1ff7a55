package io.metalr.model.io;

import io.metalr.formats.BoundedZip;
import io.metalr.formats.MalformedFileException;
import io.metalr.model.BadModelException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The zip container of {@code torch.save} (since torch 1.6) and {@code torch.jit.save}, read from
 * memory through {@link BoundedZip}; a malformed archive is a {@link BadModelException} naming the
 * file and entry.
 *
 * <p>Every record sits under one top folder, the archive name ({@code <archive>/data.pkl},
 * {@code <archive>/data/0}, ...), which torch takes from the file name at save time, so it is
 * found rather than assumed.
 */
final class TorchArchive {

    private static final String KIND = "PyTorch weight file";
    /** Weights barely compress; a zip bomb does. */
    private static final BoundedZip.Limits LIMITS = new BoundedZip.Limits(BoundedZip.MAX_ARRAY, "the largest array", 100);

    /** The legacy format begins with a pickled magic number: PROTO 2, LONG1 of 10 bytes, 0x1950a86a20f9469cfc6c. */
    private static final byte[] LEGACY_MAGIC = {(byte) 0x80, 0x02, (byte) 0x8a, 0x0a,
            0x6c, (byte) 0xfc, (byte) 0x9c, 0x46, (byte) 0xf9, 0x20, 0x6a, (byte) 0xa8, 0x50, 0x19};

    private final BoundedZip zip;
    private final String source;
    private final String prefix;
    private final long length;

    private TorchArchive(BoundedZip zip, String source, String prefix, long length) {
        this.zip = zip;
        this.source = source;
        this.prefix = prefix;
        this.length = length;
    }

    /** Parses the zip directory; refuses the legacy format, non-zips and truncated zips by name. */
    static TorchArchive open(byte[] bytes, String source) throws BadModelException {
        if (startsWith(bytes, 0, LEGACY_MAGIC) || startsWith(bytes, 257, "ustar".getBytes(StandardCharsets.US_ASCII))) {
            throw new BadModelException(source + ": legacy (pre-1.6, non-zip) torch.save format, which is not supported;"
                    + " re-save it with a current torch: torch.save(torch.load(f), f)");
        }
        BoundedZip zip = openZip(bytes, source, KIND);
        if (zip.entries().isEmpty()) {
            throw new BadModelException(source + ": not a " + KIND + " (empty zip archive)");
        }
        // Like torch's own reader: the archive name is the first record's top folder.
        String first = zip.entries().keySet().iterator().next();
        int slash = first.indexOf('/');
        String prefix = slash < 0 ? "" : first.substring(0, slash + 1);
        if (!zip.entries().containsKey(prefix + "data.pkl")) {
            throw new BadModelException(source + ": not a " + KIND + " (zip archive without " + prefix + "data.pkl)");
        }
        return new TorchArchive(zip, source, prefix, bytes.length);
    }

    String source() {
        return source;
    }

    /** The archive's size in bytes. */
    long length() {
        return length;
    }

    boolean has(String record) {
        return zip.entries().containsKey(prefix + record);
    }

    /** The bytes of one record, e.g. {@code "data.pkl"} or {@code "data/3"}; CRC-checked, positions 0-based. */
    ByteBuffer read(String record) throws BadModelException {
        BoundedZip.Entry e = zip.entries().get(prefix + record);
        if (e == null) {
            throw new BadModelException(source + ": zip entry " + prefix + record + " is missing");
        }
        try {
            return zip.read(e);
        } catch (MalformedFileException x) {
            throw new BadModelException(x.getMessage(), x);
        }
    }

    /** The zip directory of a weight file, its entries named as {@code "<source>: zip entry <name>"}. */
    static BoundedZip openZip(byte[] bytes, String source, String kind) throws BadModelException {
        try {
            return BoundedZip.open(bytes, source, kind, name -> source + ": zip entry " + name, LIMITS);
        } catch (MalformedFileException e) {
            throw new BadModelException(e.getMessage(), e);
        }
    }

    /** One record copied into an array, for the pickle. */
    byte[] readBytes(String record) throws BadModelException {
        ByteBuffer b = read(record);
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    /** Byte order of the tensor data: the {@code byteorder} record, little-endian when absent (older torch). */
    ByteOrder byteOrder() throws BadModelException {
        if (!has("byteorder")) {
            return ByteOrder.LITTLE_ENDIAN;
        }
        String order = new String(readBytes("byteorder"), StandardCharsets.US_ASCII).trim();
        return switch (order) {
            case "little" -> ByteOrder.LITTLE_ENDIAN;
            case "big" -> ByteOrder.BIG_ENDIAN;
            default -> throw new BadModelException(source + ": unknown byteorder '" + order + "'");
        };
    }

    List<String> recordNames() {
        List<String> names = new ArrayList<>();
        for (String name : zip.entries().keySet()) {
            if (name.startsWith(prefix)) {
                names.add(name.substring(prefix.length()));
            }
        }
        return names;
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
}
