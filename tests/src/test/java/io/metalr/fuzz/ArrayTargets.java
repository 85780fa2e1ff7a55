package io.metalr.fuzz;

import io.metalr.data.read.MedMnistReader;
import io.metalr.fuzz.Mutator.Field;
import io.metalr.fuzz.Mutator.Mutant;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** MedMNIST {@code .npz} files, read by the {@code medmnist} format's reader. */
final class ArrayTargets {

    private ArrayTargets() {}

    static final String FILE = "d.npz";

    /** A valid MedMNIST set: 5 gray 6x7 train images, 3 test images, labels as (N, 1) and (N,). */
    static Map<String, byte[]> arrays() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("train_images.npy", Seeds.npy("|u1", new long[] {5, 6, 7}, bytes(5 * 6 * 7)));
        m.put("train_labels.npy", Seeds.npy("<i8", new long[] {5, 1}, longs(0, 1, 2, 1, 0)));
        m.put("test_images.npy", Seeds.npy("<f4", new long[] {3, 6, 7}, floats(3 * 6 * 7)));
        m.put("test_labels.npy", Seeds.npy("|u1", new long[] {3}, new byte[] {2, 0, 1}));
        return m;
    }

    static void read(Path work, byte[] npz, boolean skip) throws Exception {
        Path f = FuzzTarget.write(work.resolve(FILE), npz);
        MedMnistReader.read(f.toString(), FuzzTarget.mode(skip), 0, FuzzTarget.LIMITS, FuzzTarget.conf());
    }

    /** One {@code .npy} of the set mutated, inside an intact zip: the npy header parser is the target. */
    static final class Npy extends FuzzTarget {

        private static final String[] DESCR = {"|u1", "<f4", ">i8", "<i2", ">u2", "|b1", "<f8", "<c8", "O", "<U3",
            "", "'", "<i4", "|i1", "=f4", "<x9"};
        private static final String[] DIMS = {"0", "1", "2", "3", "5", "6", "7", "-1", "2147483647", "2147483648",
            "4294967296", "2305843009213693952", "4611686018427387904", "9223372036854775807",
            "99999999999999999999999", "1L", "abc", "", " ", "1e3"};

        @Override
        String name() {
            return "npy";
        }

        @Override
        List<Seed> seeds(Path work) {
            List<Seed> out = new ArrayList<>();
            for (var e : arrays().entrySet()) {
                out.add(new Seed(e.getKey(), e.getValue(), List.of(Field.of("header length", 8, 2, Seeds.LE),
                        Field.of("version", 6, 1, Seeds.LE))));
            }
            return out;
        }

        @Override
        Mutant structured(Seed s, Random r) {
            if (r.nextInt(3) == 0) {
                return Mutator.field(s.bytes(), s.fields(), r);
            }
            // a header dict of another shape, dtype or order over the same data
            int headerLen = (s.bytes()[8] & 0xff) | (s.bytes()[9] & 0xff) << 8;
            byte[] data = java.util.Arrays.copyOfRange(s.bytes(), 10 + headerLen, s.bytes().length);
            StringBuilder shape = new StringBuilder("(");
            int n = r.nextInt(6);
            for (int i = 0; i < n; i++) {
                shape.append(i > 0 ? ", " : "").append(DIMS[r.nextInt(DIMS.length)]);
            }
            shape.append(n == 1 ? ",)" : ")");
            String descr = DESCR[r.nextInt(DESCR.length)];
            String dict = "{'descr': '" + descr + "', 'fortran_order': " + (r.nextInt(8) == 0 ? "True" : "False")
                    + ", 'shape': " + shape + ", }";
            byte[] header = (dict + "\n").getBytes(StandardCharsets.US_ASCII);
            byte[] head = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) header.length, (byte) (header.length >> 8)};
            return new Mutant(Mutator.concat(head, header, data), "header " + dict);
        }

        @Override
        void read(Path work, Seed seed, byte[] bytes, boolean skip) throws Exception {
            Map<String, byte[]> m = arrays();
            m.put(seed.file(), bytes);
            ArrayTargets.read(work, Seeds.zip(m, false, false).bytes(), skip);
        }

        @Override
        List<String> names(Path work, Seed seed) {
            return List.of(FILE);
        }
    }

    /** The whole zip mutated: local and central headers, Zip64 fields, deflate streams, bombs. */
    static final class Npz extends FuzzTarget {

        @Override
        String name() {
            return "npz";
        }

        @Override
        List<Seed> seeds(Path work) {
            List<Seed> out = new ArrayList<>();
            for (boolean deflate : new boolean[] {false, true}) {
                for (boolean zip64 : new boolean[] {false, true}) {
                    Seeds.Zip z = Seeds.zip(arrays(), deflate, zip64);
                    out.add(new Seed(FILE, z.bytes(), z.fields()));
                }
            }
            // as numpy.savez_compressed writes it: deflated, with data descriptors
            out.add(new Seed(FILE, zipOutputStream(arrays()), List.of()));
            return out;
        }

        @Override
        Mutant structured(Seed s, Random r) {
            if (r.nextInt(8) == 0) {
                // an array that inflates to 20 MiB (over the 16 MiB limit), its sizes sometimes lying
                Map<String, byte[]> m = arrays();
                m.put("train_images.npy", Seeds.npy("|u1", new long[] {20 << 14, 8, 8}, new byte[20 << 20]));
                Seeds.Zip z = Seeds.zip(m, true, r.nextBoolean());
                return r.nextBoolean() ? new Mutant(z.bytes(), "deflate bomb")
                        : new Mutant(Mutator.field(z.bytes(), z.fields(), r).bytes(), "deflate bomb with a field changed");
            }
            return super.structured(s, r);
        }

        @Override
        void read(Path work, Seed seed, byte[] bytes, boolean skip) throws Exception {
            ArrayTargets.read(work, bytes, skip);
        }

        @Override
        List<String> names(Path work, Seed seed) {
            return List.of(FILE);
        }
    }

    static byte[] zipOutputStream(Map<String, byte[]> entries) {
        var out = new java.io.ByteArrayOutputStream();
        try (var z = new java.util.zip.ZipOutputStream(out)) {
            for (var e : entries.entrySet()) {
                z.putNextEntry(new java.util.zip.ZipEntry(e.getKey()));
                z.write(e.getValue());
                z.closeEntry();
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static byte[] bytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 13);
        }
        return b;
    }

    static byte[] longs(long... v) {
        var b = java.nio.ByteBuffer.allocate(8 * v.length).order(Seeds.LE);
        for (long x : v) {
            b.putLong(x);
        }
        return b.array();
    }

    static byte[] floats(int n) {
        var b = java.nio.ByteBuffer.allocate(4 * n).order(Seeds.LE);
        for (int i = 0; i < n; i++) {
            b.putFloat((i % 17) / 16f);
        }
        return b.array();
    }
}
