package io.metalr.model.io;

import io.metalr.model.BadModelException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npz} weights ({@code np.savez}, DJL's NPZ encoding): a zip of one {@code .npy}
 * per tensor, named by the entry without {@code .npy}. Read through {@link BoundedZip}, so sizes
 * are checked against the file before anything is allocated.
 *
 * <p>The data readers' {@code io.metalr.data.read.Npy} parses the same arrays, but as records of
 * a data set (its errors are bad records) and only from inside its package; weights need dtypes
 * it does not take (float16) and errors that say "bad model file".
 */
public final class NpzWeightsReader {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private NpzWeightsReader() {
    }

    /** Every array of the archive by name, in the archive's order. */
    public static LinkedHashMap<String, TensorData> read(byte[] file, String source) throws BadModelException {
        BoundedZip zip = BoundedZip.open(file, source, ".npz weights file");
        LinkedHashMap<String, TensorData> out = new LinkedHashMap<>();
        for (Map.Entry<String, BoundedZip.Entry> e : zip.entries().entrySet()) {
            String name = e.getKey().endsWith(".npy") ? e.getKey().substring(0, e.getKey().length() - 4) : e.getKey();
            String where = source + ": tensor '" + name + "'";
            if (name.isEmpty()) {
                throw new BadModelException(source + ": holds an unnamed array; weights must be named");
            }
            out.put(name, npy(name, zip.read(e.getValue()), where));
        }
        return out;
    }

    /** One {@code .npy}: magic, version, header length, a Python-dict header, then the data. */
    private static TensorData npy(String name, ByteBuffer bytes, String where) throws BadModelException {
        ByteBuffer b = bytes.slice().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < 10 || !b.slice(0, MAGIC.length).equals(ByteBuffer.wrap(MAGIC))) {
            throw new BadModelException(where + " is not a .npy array (bad magic or truncated)");
        }
        int major = b.get(6) & 0xff;
        long headerLength;
        int headerStart;
        if (major == 1) {
            headerLength = b.getShort(8) & 0xffff;
            headerStart = 10;
        } else if ((major == 2 || major == 3) && b.remaining() >= 12) {
            headerLength = b.getInt(8) & 0xffffffffL;
            headerStart = 12;
        } else {
            throw new BadModelException(where + ": .npy format version " + major + " is not supported, or the header is cut short");
        }
        if (headerLength > b.remaining() - headerStart) {
            throw new BadModelException(where + ": .npy header of " + headerLength + " bytes runs past the array (truncated)");
        }
        byte[] hb = new byte[(int) headerLength];
        b.get(headerStart, hb);
        String header = new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        String descr = group(DESCR, header, "descr", where);
        if (group(FORTRAN, header, "fortran_order", where).equals("True")) {
            throw new BadModelException(where + ": Fortran-order arrays are not supported (save it with np.ascontiguousarray first)");
        }
        List<Long> dims = new ArrayList<>();
        for (String part : group(SHAPE, header, "shape", where).split(",")) {
            String t = part.trim();
            if (!t.isEmpty()) {
                try {
                    dims.add(Long.parseLong(t.endsWith("L") ? t.substring(0, t.length() - 1) : t));
                } catch (NumberFormatException e) {
                    throw new BadModelException(where + ": bad .npy shape in header " + brief(header));
                }
            }
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        ByteOrder order = descr.startsWith(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        TorchDtype dtype = dtype(descr.isEmpty() || "<>|=".indexOf(descr.charAt(0)) < 0 ? descr : descr.substring(1), descr, where);
        int dataStart = headerStart + (int) headerLength;
        return dtype.dense(name, shape, b.position(dataStart).slice().order(order), where);
    }

    private static String group(Pattern p, String header, String key, String where) throws BadModelException {
        Matcher m = p.matcher(header);
        if (!m.find()) {
            throw new BadModelException(where + ": .npy header without a simple '" + key + "': " + brief(header));
        }
        return m.group(1);
    }

    /** A header for a message: a crafted one may be megabytes long. */
    private static String brief(String header) {
        String h = header.trim();
        return h.length() <= 200 ? h : h.substring(0, 200) + "...";
    }

    private static TorchDtype dtype(String code, String descr, String where) throws BadModelException {
        return switch (code) {
            case "f4" -> TorchDtype.FLOAT32;
            case "f8" -> TorchDtype.FLOAT64;
            case "f2" -> TorchDtype.FLOAT16;
            case "i8" -> TorchDtype.INT64;
            case "i4" -> TorchDtype.INT32;
            case "i2" -> TorchDtype.INT16;
            case "i1" -> TorchDtype.INT8;
            case "u1" -> TorchDtype.UINT8;
            case "b1", "?" -> TorchDtype.BOOL;
            default -> throw new BadModelException(where + ": dtype '" + descr + "' is not supported"
                    + " (float16/32/64, int8/16/32/64, uint8, bool)");
        };
    }
}
