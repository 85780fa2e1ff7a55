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

    /**
     * An array's values written as raw little-endian bytes, in C order. Called twice when the
     * archive is written (once for the stored entry's size and CRC, which a zip needs before the
     * data, once for the data), so an array is streamed and never held whole; it must write the
     * same bytes both times.
     */
    @FunctionalInterface
    public interface Values {
        void writeTo(OutputStream out) throws IOException;
    }

    private record Entry(String dtype, long[] shape, Values values) {}

    private final LinkedHashMap<String, Entry> arrays = new LinkedHashMap<>();

    public NpzWriter put(String key, Array a) {
        long n = Arrays.stream(a.shape()).reduce(1, (x, y) -> x * y);
        if (n * itemSize(a.dtype()) != a.data().length) {
            throw new IllegalArgumentException(key + ": shape " + Arrays.toString(a.shape()) + " does not fit " + a.data().length + " bytes");
        }
        return put(key, a.dtype(), a.shape(), out -> out.write(a.data()));
    }

    /** An array of {@code dtype} ({@code |u1} or {@code <i8}) and {@code shape} whose values {@code values} streams. */
    public NpzWriter put(String key, String dtype, long[] shape, Values values) {
        itemSize(dtype);
        arrays.put(key, new Entry(dtype, shape.clone(), values));
        return this;
    }

    public void writeTo(OutputStream out) throws IOException {
        ZipOutputStream zip = new ZipOutputStream(out);
        for (Map.Entry<String, Entry> e : arrays.entrySet()) {
            Entry a = e.getValue();
            byte[] header = npyHeader(a.dtype(), a.shape());
            long expected = Arrays.stream(a.shape()).reduce(1, (x, y) -> x * y) * itemSize(a.dtype());
            CRC32 crc = new CRC32();
            crc.update(header);
            CountingCrc sizing = new CountingCrc(crc);
            a.values().writeTo(sizing);
            if (sizing.count != expected) {
                throw new IllegalArgumentException(e.getKey() + ": shape " + Arrays.toString(a.shape()) + " needs " + expected
                        + " bytes, its values gave " + sizing.count);
            }
            ZipEntry entry = new ZipEntry(e.getKey() + ".npy");
            entry.setMethod(ZipEntry.STORED);
            entry.setSize(header.length + expected);
            entry.setCrc(crc.getValue());
            zip.putNextEntry(entry);
            zip.write(header);
            a.values().writeTo(new KeepOpen(zip));
            zip.closeEntry();
        }
        zip.finish();
        zip.flush();
    }

    private static int itemSize(String dtype) {
        return switch (dtype) {
            case "|u1" -> 1;
            case "<i8" -> 8;
            default -> throw new IllegalArgumentException("dtype " + dtype + " is not |u1 or <i8");
        };
    }

    /** The zip stream as an array's values see it: a close from them must not end the archive. */
    private static final class KeepOpen extends java.io.FilterOutputStream {
        KeepOpen(OutputStream zip) {
            super(zip);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }

    /** Counts and checksums what an array's values write, keeping none of it. */
    private static final class CountingCrc extends OutputStream {
        private final CRC32 crc;
        private long count;

        CountingCrc(CRC32 crc) {
            this.crc = crc;
        }

        @Override
        public void write(int b) {
            crc.update(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            crc.update(b, off, len);
            count += len;
        }
    }

    /** The NPY 1.0 header of an array: magic, version, length, the dict, padded to 64 bytes. */
    static byte[] npyHeader(String dtype, long[] shapeDims) throws IOException {
        StringBuilder shape = new StringBuilder("(");
        for (long d : shapeDims) {
            shape.append(d).append(", ");
        }
        if (shapeDims.length > 1) {
            shape.setLength(shape.length() - 2);
        } else if (shapeDims.length == 1) {
            shape.setLength(shape.length() - 1);
        }
        shape.append(')');
        String header = "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': " + shape + ", }";
        // magic (6) + version (2) + header length (2) + header, padded with spaces to 64 bytes, ending in \n
        int total = 10 + header.length() + 1;
        int pad = (64 - total % 64) % 64;
        header = header + " ".repeat(pad) + "\n";
        ByteArrayOutputStream b = new ByteArrayOutputStream(10 + header.length());
        b.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        b.write(header.length() & 0xFF);
        b.write((header.length() >> 8) & 0xFF);
        b.write(header.getBytes(StandardCharsets.US_ASCII));
        return b.toByteArray();
    }
}
