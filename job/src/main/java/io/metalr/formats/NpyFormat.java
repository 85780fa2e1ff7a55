package io.metalr.formats;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The NumPy {@code .npy} format (a file, or an entry of an {@code .npz}): magic, version, header
 * length, a Python-dict header ({@code descr}, {@code fortran_order}, {@code shape}), then the data.
 *
 * <p>Dtypes are the one-letter-one-digit codes ({@code u1}, {@code b1} or {@code ?}, {@code i1},
 * {@code i2}, {@code u2}, {@code i4}, {@code i8}, {@code f2}, {@code f4}, {@code f8}), either byte
 * order; each caller says which it takes. C order only. The header is untrusted: the shape's byte
 * count may not overflow and must be exactly the bytes after the header, checked before anything
 * is allocated for it.
 */
public final class NpyFormat {

    /** NumPy's own limit on the number of dimensions. */
    public static final int MAX_RANK = 64;

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private NpyFormat() {
    }

    /**
     * Parses one {@code .npy}.
     *
     * @param where names the file (and entry) in messages
     * @param dtypes the dtype codes the caller takes, e.g. {@code Set.of("u1", "f4")}
     * @param supported those dtypes for a message, e.g. "uint8, float32 only"
     * @throws MalformedFileException naming {@code where}
     */
    public static NpyArray parse(ByteBuffer bytes, String where, Set<String> dtypes, String supported) {
        Header h = header(bytes, where, dtypes, supported);
        ByteBuffer b = bytes.slice().order(ByteOrder.LITTLE_ENDIAN);
        long have = b.remaining() - (long) h.dataStart();
        if (have != h.dataBytes()) {
            throw new MalformedFileException(where + ": " + (have < h.dataBytes() ? "truncated" : "corrupt")
                    + " .npy data: shape " + Arrays.toString(h.shape()) + " of " + h.descr() + " needs "
                    + h.dataBytes() + " bytes, " + have + " present");
        }
        return new NpyArray(h.code(), h.descr(), h.shape(), b.slice(h.dataStart(), (int) h.dataBytes()).order(h.order()));
    }

    /**
     * What a {@code .npy} header says: dtype code (e.g. {@code u1}), descr, shape, where the data
     * starts, its byte order and length. Needs only the header's bytes, so a reader can parse it
     * from the start of a large array and then seek to the rows it wants.
     */
    public record Header(String code, String descr, long[] shape, int dataStart, ByteOrder order, long dataBytes) {}

    /** Parses the header at the start of {@code bytes} (the data need not follow); checked as {@link #parse} checks. */
    public static Header header(ByteBuffer bytes, String where, Set<String> dtypes, String supported) {
        ByteBuffer b = bytes.slice().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < 10) {
            throw new MalformedFileException(where + ": truncated .npy (" + b.remaining() + " bytes)");
        }
        if (!b.slice(0, MAGIC.length).equals(ByteBuffer.wrap(MAGIC))) {
            throw new MalformedFileException(where + ": not a .npy array (bad magic)");
        }
        int major = b.get(6) & 0xff;
        long headerLength;
        int headerStart;
        if (major == 1) {
            headerLength = b.getShort(8) & 0xffff;
            headerStart = 10;
        } else if (major == 2 || major == 3) {
            if (b.remaining() < 12) {
                throw new MalformedFileException(where + ": truncated .npy header");
            }
            headerLength = b.getInt(8) & 0xffffffffL;
            headerStart = 12;
        } else {
            throw new MalformedFileException(where + ": .npy format version " + major + " is not supported");
        }
        if (headerLength > b.remaining() - headerStart) {
            throw new MalformedFileException(where + ": truncated .npy header (" + headerLength + " bytes declared, "
                    + (b.remaining() - headerStart) + " present)");
        }
        byte[] hb = new byte[(int) headerLength];
        b.get(headerStart, hb);
        String header = new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);

        String descr = group(DESCR, header, "descr", where);
        if (group(FORTRAN, header, "fortran_order", where).equals("True")) {
            throw new MalformedFileException(where + ": Fortran-order arrays are not supported"
                    + " (save it with np.ascontiguousarray first)");
        }
        long[] shape = shape(group(SHAPE, header, "shape", where), where);

        char o = descr.isEmpty() ? '?' : descr.charAt(0);
        ByteOrder order = o == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        String code = "<>|=".indexOf(o) >= 0 ? descr.substring(1) : descr;
        if (code.equals("?")) {
            code = "b1";
        }
        if (!dtypes.contains(code)) {
            throw new MalformedFileException(where + ": dtype '" + descr + "' is not supported (" + supported + ")");
        }
        long need;
        try {
            // a crafted header can declare any shape: the product, in bytes, must not wrap around
            long count = 1;
            for (long d : shape) {
                count = Math.multiplyExact(count, d);
            }
            need = Math.multiplyExact(count, (long) (code.charAt(1) - '0'));
        } catch (ArithmeticException e) {
            throw new MalformedFileException(where + ": .npy shape " + Arrays.toString(shape) + " of " + descr
                    + " declares more bytes than a file can hold");
        }
        return new Header(code, descr, shape, headerStart + (int) headerLength, order, need);
    }

    private static long[] shape(String dims, String where) {
        String[] parts = dims.split(",");
        long[] shape = new long[parts.length];
        int rank = 0;
        for (String part : parts) {
            String t = part.trim();
            if (t.endsWith("L")) { // Python 2 longs
                t = t.substring(0, t.length() - 1);
            }
            if (t.isEmpty()) {
                continue;
            }
            long d;
            try {
                d = Long.parseLong(t);
            } catch (NumberFormatException e) {
                throw new MalformedFileException(where + ": bad .npy shape (" + brief(dims) + ")");
            }
            if (d < 0) {
                throw new MalformedFileException(where + ": negative .npy dimension in (" + brief(dims) + ")");
            }
            shape[rank++] = d;
        }
        if (rank > MAX_RANK) {
            throw new MalformedFileException(where + ": .npy shape of more than " + MAX_RANK + " dimensions");
        }
        return Arrays.copyOf(shape, rank);
    }

    private static String group(Pattern p, String header, String key, String where) {
        Matcher m = p.matcher(header);
        if (!m.find()) {
            throw new MalformedFileException(where + ": .npy header without a simple '" + key + "': " + brief(header));
        }
        return m.group(1);
    }

    /** A header for a message: a crafted one may be megabytes long. */
    private static String brief(String header) {
        String h = header.trim();
        return h.length() <= 200 ? h : h.substring(0, 200) + "...";
    }
}
