package io.metalr.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes NumPy {@code .npz} archives (stored entries, NPY format 1.0, little-endian, C order):
 * the MedMNIST layout that {@code prepare} produces and the MedMNIST reader takes, readable by
 * {@code numpy.load} too.
 */
public final class NpzWriter {

    /** One array: its dtype ({@code |u1} or {@code <i8}), shape and raw little-endian bytes. */
    public record Array(String dtype, long[] shape, byte[] data) {

        public static Array uint8(byte[] values, long... shape) {
            return new Array("|u1", shape, values);
        }

        public static Array int64(long[] values, long... shape) {
            ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (long v : values) {
                b.putLong(v);
            }
            return new Array("<i8", shape, b.array());
        }
    }

    private final LinkedHashMap<String, Array> arrays = new LinkedHashMap<>();

    public NpzWriter put(String key, Array a) {
        long n = Arrays.stream(a.shape()).reduce(1, (x, y) -> x * y);
        int itemSize = a.dtype().endsWith("1") ? 1 : 8;
        if (n * itemSize != a.data().length) {
            throw new IllegalArgumentException(key + ": shape " + Arrays.toString(a.shape()) + " does not fit " + a.data().length + " bytes");
        }
        arrays.put(key, a);
        return this;
    }

    public void writeTo(OutputStream out) throws IOException {
        ZipOutputStream zip = new ZipOutputStream(out);
        for (Map.Entry<String, Array> e : arrays.entrySet()) {
            byte[] npy = npy(e.getValue());
            ZipEntry entry = new ZipEntry(e.getKey() + ".npy");
            entry.setMethod(ZipEntry.STORED);
            entry.setSize(npy.length);
            CRC32 crc = new CRC32();
            crc.update(npy);
            entry.setCrc(crc.getValue());
            zip.putNextEntry(entry);
            zip.write(npy);
            zip.closeEntry();
        }
        zip.finish();
        zip.flush();
    }

    static byte[] npy(Array a) throws IOException {
        StringBuilder shape = new StringBuilder("(");
        for (long d : a.shape()) {
            shape.append(d).append(", ");
        }
        if (a.shape().length > 1) {
            shape.setLength(shape.length() - 2);
        } else if (a.shape().length == 1) {
            shape.setLength(shape.length() - 1);
        }
        shape.append(')');
        String header = "{'descr': '" + a.dtype() + "', 'fortran_order': False, 'shape': " + shape + ", }";
        // magic (6) + version (2) + header length (2) + header, padded with spaces to 64 bytes, ending in \n
        int total = 10 + header.length() + 1;
        int pad = (64 - total % 64) % 64;
        header = header + " ".repeat(pad) + "\n";
        ByteArrayOutputStream b = new ByteArrayOutputStream(10 + header.length() + a.data().length);
        b.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        b.write(header.length() & 0xFF);
        b.write((header.length() >> 8) & 0xFF);
        b.write(header.getBytes(StandardCharsets.US_ASCII));
        b.write(a.data());
        return b.toByteArray();
    }
}
