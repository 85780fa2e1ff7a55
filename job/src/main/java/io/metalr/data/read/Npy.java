package io.metalr.data.read;

import io.metalr.udf.image.BadRecordException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * NumPy {@code .npy} arrays and {@code .npz} archives, parsed from bytes in memory (no NumPy, no
 * {@code ZipInputStream}: the zip's central directory is read from the end of the bytes, so entries
 * written with data descriptors, stored or deflated, and Zip64 records all work).
 *
 * <p>Dtypes: {@code u1}/{@code b1}, {@code i1}, {@code i2}, {@code u2}, {@code i4}, {@code i8},
 * {@code f4}, {@code f8}, either byte order, C order. Fortran order, other dtypes, a truncated or
 * corrupt file are a {@link BadRecordException} naming the file (and key).
 *
 * <p>The bytes are untrusted: every size and offset the zip or the {@code .npy} header declares is
 * checked against the bytes actually present before anything is allocated by it, and an entry is
 * inflated into a buffer that grows with what it yields, up to its declared size and at most
 * {@code maxEntryBytes} (a zip bomb is refused, naming the file and entry).
 */
final class Npy {

    private Npy() {}

    /** One array: its dtype code ("u1", "f4", ...), its shape, and its data in C order. */
    record Array(String source, String dtype, long[] shape, ByteBuffer data) {

        long size() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        boolean isFloat() {
            return dtype.charAt(0) == 'f';
        }

        int itemSize() {
            return dtype.charAt(1) - '0';
        }

        /** Element {@code i} (flat C index) as a double. */
        double getDouble(long i) {
            int at = Math.toIntExact(i * itemSize());
            switch (dtype) {
                case "u1":
                case "b1":
                    return data.get(at) & 0xff;
                case "i1":
                    return data.get(at);
                case "i2":
                    return data.getShort(at);
                case "u2":
                    return data.getShort(at) & 0xffff;
                case "i4":
                    return data.getInt(at);
                case "i8":
                    return data.getLong(at);
                case "f4":
                    return data.getFloat(at);
                case "f8":
                    return data.getDouble(at);
                default:
                    throw new IllegalStateException(dtype);
            }
        }

        String shapeString() {
            StringBuilder b = new StringBuilder("(");
            for (int i = 0; i < shape.length; i++) {
                b.append(i > 0 ? ", " : "").append(shape[i]);
            }
            return b.append(shape.length == 1 ? ",)" : ")").toString();
        }
    }

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    /** Parses one {@code .npy} (the bytes of a file or of an npz entry). */
    static Array parseNpy(ByteBuffer bytes, String source) {
        ByteBuffer b = bytes.slice().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < 10) {
            throw new BadRecordException(source + ": truncated .npy (" + b.remaining() + " bytes)");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (b.get(i) != MAGIC[i]) {
                throw new BadRecordException(source + ": not a .npy array (bad magic)");
            }
        }
        int major = b.get(6) & 0xff;
        int headerLen;
        int headerStart;
        if (major == 1) {
            headerLen = b.getShort(8) & 0xffff;
            headerStart = 10;
        } else if (major == 2 || major == 3) {
            if (b.remaining() < 12) {
                throw new BadRecordException(source + ": truncated .npy header");
            }
            headerLen = b.getInt(8);
            headerStart = 12;
        } else {
            throw new BadRecordException(source + ": .npy format version " + major + " is not supported");
        }
        if (headerLen < 0 || headerStart + (long) headerLen > b.remaining()) {
            throw new BadRecordException(source + ": truncated .npy header");
        }
        byte[] hb = new byte[headerLen];
        b.get(headerStart, hb);
        String header = new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);

        Matcher m = DESCR.matcher(header);
        if (!m.find()) {
            throw new BadRecordException(source + ": .npy header without a simple 'descr': " + header.trim());
        }
        String descr = m.group(1);
        Matcher f = FORTRAN.matcher(header);
        if (!f.find()) {
            throw new BadRecordException(source + ": .npy header without 'fortran_order': " + header.trim());
        }
        if (f.group(1).equals("True")) {
            throw new BadRecordException(source + ": Fortran-order arrays are not supported"
                    + " (save it with np.ascontiguousarray first)");
        }
        Matcher s = SHAPE.matcher(header);
        if (!s.find()) {
            throw new BadRecordException(source + ": .npy header without 'shape': " + header.trim());
        }
        List<Long> dims = new ArrayList<>();
        for (String part : s.group(1).split(",")) {
            String t = part.trim();
            if (t.endsWith("L")) {
                t = t.substring(0, t.length() - 1);
            }
            if (!t.isEmpty()) {
                try {
                    dims.add(Long.parseLong(t));
                } catch (NumberFormatException e) {
                    throw new BadRecordException(source + ": bad .npy shape (" + s.group(1) + ")");
                }
            }
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();

        ByteOrder order;
        String code;
        char o = descr.isEmpty() ? '?' : descr.charAt(0);
        if (o == '<' || o == '|' || o == '=') {
            order = ByteOrder.LITTLE_ENDIAN;
            code = descr.substring(1);
        } else if (o == '>') {
            order = ByteOrder.BIG_ENDIAN;
            code = descr.substring(1);
        } else {
            order = ByteOrder.LITTLE_ENDIAN;
            code = descr;
        }
        if (code.equals("?")) {
            code = "b1";
        }
        if (!List.of("u1", "b1", "i1", "i2", "u2", "i4", "i8", "f4", "f8").contains(code)) {
            throw new BadRecordException(source + ": dtype '" + descr + "' is not supported"
                    + " (uint8, int8, int16, uint16, int32, int64, float32, float64 only)");
        }
        long need;
        try {
            // a crafted header can declare any shape: the product, in bytes, must not wrap around
            long count = 1;
            for (long d : shape) {
                if (d < 0) {
                    throw new BadRecordException(source + ": negative .npy dimension in " + Arrays.toString(shape));
                }
                count = Math.multiplyExact(count, d);
            }
            need = Math.multiplyExact(count, (long) (code.charAt(1) - '0'));
        } catch (ArithmeticException e) {
            throw new BadRecordException(source + ": .npy shape " + Arrays.toString(shape) + " of " + descr
                    + " declares more bytes than a file can hold");
        }
        int dataStart = headerStart + headerLen;
        long have = b.remaining() - (long) dataStart;
        if (have < need) {
            throw new BadRecordException(source + ": truncated .npy data: shape " + Arrays.toString(shape)
                    + " of " + descr + " needs " + need + " bytes, " + have + " present");
        }
        ByteBuffer data = b.slice(dataStart, (int) need).order(order);
        return new Array(source, code, shape, data);
    }

    /**
     * The arrays of an {@code .npz}, by key (the entry name without {@code .npy}), in the zip's
     * order. Entries are inflated lazily: {@code keys} limits the work to what the caller needs
     * (null = all).
     */
    static Map<String, Array> parseNpz(byte[] zip, String source, List<String> keys) {
        return parseNpz(zip, source, keys, DataLimits.DEFAULTS.maxFileBytes());
    }

    /** As {@link #parseNpz(byte[], String, List)}, no entry inflating to more than {@code maxEntryBytes}. */
    static Map<String, Array> parseNpz(byte[] zip, String source, List<String> keys, long maxEntryBytes) {
        Map<String, Array> out = new LinkedHashMap<>();
        for (ZipEntry e : centralDirectory(zip, source)) {
            String key = e.name.endsWith(".npy") ? e.name.substring(0, e.name.length() - 4) : e.name;
            if (keys != null && !keys.contains(key)) {
                continue;
            }
            String where = source + " key " + key;
            out.put(key, parseNpy(entryData(zip, e, where, maxEntryBytes), where));
        }
        return out;
    }

    /** The keys of an npz, from its central directory only. */
    static List<String> npzKeys(byte[] zip, String source) {
        List<String> keys = new ArrayList<>();
        for (ZipEntry e : centralDirectory(zip, source)) {
            keys.add(e.name.endsWith(".npy") ? e.name.substring(0, e.name.length() - 4) : e.name);
        }
        return keys;
    }

    private record ZipEntry(String name, int method, long compressedSize, long size, long localHeaderOffset) {}

    private static final int EOCD = 0x06054b50;
    private static final int ZIP64_EOCD = 0x06064b50;
    private static final int ZIP64_LOCATOR = 0x07064b50;
    private static final int CENTRAL = 0x02014b50;
    private static final int LOCAL = 0x04034b50;

    private static List<ZipEntry> centralDirectory(byte[] zip, String source) {
        ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        int eocd = -1;
        for (int i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65535); i--) {
            if (b.getInt(i) == EOCD) {
                eocd = i;
                break;
            }
        }
        if (eocd < 0) {
            if (zip.length >= 4 && b.getInt(0) == LOCAL) {
                throw new BadRecordException(source + ": truncated .npz (the zip's central directory is missing)");
            }
            throw new BadRecordException(source + ": not an .npz (zip) file");
        }
        long entries = b.getShort(eocd + 10) & 0xffff;
        long cdOffset = b.getInt(eocd + 16) & 0xffffffffL;
        if ((entries == 0xffff || cdOffset == 0xffffffffL) && eocd >= 20 && b.getInt(eocd - 20) == ZIP64_LOCATOR) {
            long z64 = b.getLong(eocd - 20 + 8);
            if (z64 < 0 || z64 > zip.length - 56L || b.getInt((int) z64) != ZIP64_EOCD) {
                throw new BadRecordException(source + ": corrupt .npz (bad Zip64 end record)");
            }
            entries = b.getLong((int) z64 + 32);
            cdOffset = b.getLong((int) z64 + 48);
        }
        // every entry takes 46 bytes or more: a count the bytes cannot hold is corrupt, not a loop bound
        if (entries < 0 || entries > zip.length / 46) {
            throw new BadRecordException(source + ": corrupt .npz (" + entries + " entries declared in "
                    + zip.length + " bytes)");
        }
        List<ZipEntry> out = new ArrayList<>();
        long at = cdOffset;
        for (long n = 0; n < entries; n++) {
            if (at < 0 || at > zip.length - 46L || b.getInt((int) at) != CENTRAL) {
                throw new BadRecordException(source + ": corrupt .npz (bad central directory entry " + n + ")");
            }
            int p = (int) at;
            int method = b.getShort(p + 10) & 0xffff;
            long csize = b.getInt(p + 20) & 0xffffffffL;
            long usize = b.getInt(p + 24) & 0xffffffffL;
            int nameLen = b.getShort(p + 28) & 0xffff;
            int extraLen = b.getShort(p + 30) & 0xffff;
            int commentLen = b.getShort(p + 32) & 0xffff;
            long local = b.getInt(p + 42) & 0xffffffffL;
            if (p + 46L + nameLen + extraLen > zip.length) {
                throw new BadRecordException(source + ": corrupt .npz (central directory cut short)");
            }
            String name = new String(zip, p + 46, nameLen, StandardCharsets.UTF_8);
            // Zip64 extra field: the 0xffffffff fields, in the order size, compressed size, offset;
            // read only within the extra block (a field may claim more bytes than it has)
            int x = p + 46 + nameLen;
            int xEnd = x + extraLen;
            while (x + 4 <= xEnd) {
                int id = b.getShort(x) & 0xffff;
                int len = b.getShort(x + 2) & 0xffff;
                if (id == 0x0001) {
                    int q = x + 4;
                    int fieldEnd = Math.min(xEnd, q + len);
                    if (usize == 0xffffffffL && q + 8 <= fieldEnd) {
                        usize = b.getLong(q);
                        q += 8;
                    }
                    if (csize == 0xffffffffL && q + 8 <= fieldEnd) {
                        csize = b.getLong(q);
                        q += 8;
                    }
                    if (local == 0xffffffffL && q + 8 <= fieldEnd) {
                        local = b.getLong(q);
                    }
                }
                x += 4 + len;
            }
            String where = source + " key " + (name.endsWith(".npy") ? name.substring(0, name.length() - 4) : name);
            // sizes and offsets as unsigned 64-bit numbers: anything past the file is corrupt
            if (csize < 0 || csize > zip.length || usize < 0 || local < 0 || local > zip.length) {
                throw new BadRecordException(where + ": corrupt .npz (entry sizes or offset outside the file:"
                        + " compressed " + Long.toUnsignedString(csize) + ", size " + Long.toUnsignedString(usize)
                        + ", offset " + Long.toUnsignedString(local) + ", file " + zip.length + " bytes)");
            }
            out.add(new ZipEntry(name, method, csize, usize, local));
            at = p + 46L + nameLen + extraLen + commentLen;
        }
        return out;
    }

    /** Deflate cannot expand data by more than about 1032:1; a size past that is a lie. */
    private static final long MAX_DEFLATE_RATIO = 1032;

    private static ByteBuffer entryData(byte[] zip, ZipEntry e, String where, long maxEntryBytes) {
        ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        long h = e.localHeaderOffset;
        if (h > zip.length - 30L || b.getInt((int) h) != LOCAL) {
            throw new BadRecordException(where + ": corrupt .npz (bad local header)");
        }
        int nameLen = b.getShort((int) h + 26) & 0xffff;
        int extraLen = b.getShort((int) h + 28) & 0xffff;
        long start = h + 30 + nameLen + extraLen;
        if (start + e.compressedSize > zip.length) {
            throw new BadRecordException(where + ": truncated .npz entry (" + e.compressedSize
                    + " bytes expected, " + Math.max(0, zip.length - start) + " present)");
        }
        if (e.method == 0) {
            return ByteBuffer.wrap(zip, (int) start, (int) e.compressedSize).slice();
        }
        if (e.method != 8) {
            throw new BadRecordException(where + ": zip compression method " + e.method
                    + " is not supported (stored or deflated only)");
        }
        long limit = Math.min(maxEntryBytes, DataLimits.MAX_ARRAY);
        if (e.size > limit) {
            throw new BadRecordException(where + ": an entry of " + e.size + " bytes (inflated) is over"
                    + " data.max_file_bytes (" + limit + ")");
        }
        if (e.size > e.compressedSize * MAX_DEFLATE_RATIO + 1024) {
            throw new BadRecordException(where + ": corrupt .npz entry: " + e.compressedSize
                    + " deflated bytes cannot hold the " + e.size + " bytes it declares");
        }
        Inflater inf = new Inflater(true);
        try {
            inf.setInput(zip, (int) start, (int) e.compressedSize);
            int size = (int) e.size;
            // grows with what actually inflates: a declared size is not allocated on trust
            byte[] out = new byte[Math.min(size, 1 << 16)];
            int n = 0;
            while (n < size) {
                if (n == out.length) {
                    out = Arrays.copyOf(out, (int) Math.min(size, 2L * n));
                }
                int got = inf.inflate(out, n, out.length - n);
                if (got == 0 && (inf.finished() || inf.needsInput() || inf.needsDictionary())) {
                    break;
                }
                n += got;
            }
            if (n != size) {
                throw new BadRecordException(where + ": truncated or corrupt .npz entry (inflated "
                        + n + " of " + size + " bytes)");
            }
            return ByteBuffer.wrap(out);
        } catch (DataFormatException ex) {
            throw new BadRecordException(where + ": corrupt deflated .npz entry: " + ex.getMessage(), ex);
        } finally {
            inf.end();
        }
    }
}
