package io.metalr.fuzz;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Seeded byte-level mutations: bit flips, byte overwrites, insertions, deletions, truncations,
 * duplicated chunks, and "interesting" numbers written over the known header fields of a seed
 * (sizes, counts, offsets, dimensions). Everything is a function of the {@link Random} it is given,
 * so a file is rebuilt exactly from (seed, index).
 */
final class Mutator {

    private Mutator() {}

    /** A number field of a seed: where it is, how wide, which byte order, int or float. */
    record Field(String name, int offset, int width, ByteOrder order, boolean isFloat) {

        static Field of(String name, int offset, int width, ByteOrder order) {
            return new Field(name, offset, width, order, false);
        }

        static Field ofFloat(String name, int offset, int width, ByteOrder order) {
            return new Field(name, offset, width, order, true);
        }
    }

    /** A mutated file and what was done to it, for the failure report. */
    record Mutant(byte[] bytes, String what) {}

    static final long[] INTERESTING = {
        0, 1, 2, -1, -2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffffL, 0x80000000L,
        0xffffffffL, 0x100000000L, 1L << 30, 1L << 40, 1L << 61, 1L << 62, Long.MAX_VALUE, Long.MIN_VALUE,
        1_000_000, 26_000, 65_535, 100_000_000, 2_000_000_000,
    };

    static final double[] INTERESTING_FLOATS = {
        0, -0.0, 1, -1, 348, 352, 1e9, 3e9, 1e30, -1e30, Float.MAX_VALUE, Float.MIN_VALUE, Double.NaN,
        Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.5, 1e-30, 65536, 2147483647.0,
    };

    /** One to three generic mutations of {@code b}. */
    static Mutant generic(byte[] b, Random r) {
        int n = 1 + (r.nextInt(4) == 0 ? 1 + r.nextInt(2) : 0);
        List<String> what = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Mutant m = once(b, r);
            b = m.bytes();
            what.add(m.what());
        }
        return new Mutant(b, String.join(" + ", what));
    }

    private static Mutant once(byte[] b, Random r) {
        if (b.length == 0) {
            return new Mutant(randomBytes(r, 1 + r.nextInt(16)), "random bytes");
        }
        int at = r.nextInt(b.length);
        switch (r.nextInt(8)) {
            case 0 -> {
                byte[] out = b.clone();
                int flips = 1 + r.nextInt(4);
                for (int i = 0; i < flips; i++) {
                    int p = r.nextInt(out.length);
                    out[p] ^= (byte) (1 << r.nextInt(8));
                }
                return new Mutant(out, flips + " bit flips");
            }
            case 1 -> {
                byte[] out = b.clone();
                int len = Math.min(out.length - at, 1 + r.nextInt(8));
                for (int i = 0; i < len; i++) {
                    out[at + i] = (byte) r.nextInt(256);
                }
                return new Mutant(out, len + " random bytes at " + at);
            }
            case 2 -> {
                byte[] ins = randomBytes(r, 1 + r.nextInt(16));
                return new Mutant(concat(Arrays.copyOf(b, at), ins, Arrays.copyOfRange(b, at, b.length)),
                        ins.length + " bytes inserted at " + at);
            }
            case 3 -> {
                int len = Math.min(b.length - at, 1 + r.nextInt(64));
                return new Mutant(concat(Arrays.copyOf(b, at), Arrays.copyOfRange(b, at + len, b.length)),
                        len + " bytes deleted at " + at);
            }
            case 4 -> {
                return new Mutant(Arrays.copyOf(b, at), "truncated to " + at);
            }
            case 5 -> {
                int len = Math.min(b.length - at, 1 + r.nextInt(256));
                int to = r.nextInt(b.length);
                byte[] chunk = Arrays.copyOfRange(b, at, at + len);
                return new Mutant(concat(Arrays.copyOf(b, to), chunk, Arrays.copyOfRange(b, to, b.length)),
                        len + " bytes from " + at + " duplicated at " + to);
            }
            default -> {
                byte[] out = b.clone();
                int width = new int[] {1, 2, 4, 8}[r.nextInt(4)];
                while (width > out.length) {
                    width /= 2;
                }
                at = Math.min(at, out.length - width);
                long v = INTERESTING[r.nextInt(INTERESTING.length)];
                ByteOrder order = r.nextBoolean() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
                put(out, at, width, order, v);
                return new Mutant(out, "int" + width * 8 + " " + v + " at " + at);
            }
        }
    }

    /** An interesting number written over one of {@code fields}. */
    static Mutant field(byte[] b, List<Field> fields, Random r) {
        byte[] out = b.clone();
        Field f = fields.get(r.nextInt(fields.size()));
        if (f.offset() + f.width() > out.length) {
            return generic(b, r);
        }
        String v;
        if (f.isFloat()) {
            double d = INTERESTING_FLOATS[r.nextInt(INTERESTING_FLOATS.length)];
            ByteBuffer bb = ByteBuffer.wrap(out).order(f.order());
            if (f.width() == 4) {
                bb.putFloat(f.offset(), (float) d);
            } else {
                bb.putDouble(f.offset(), d);
            }
            v = Double.toString(d);
        } else {
            long x = r.nextInt(4) == 0 ? get(b, f) + (r.nextBoolean() ? 1 : -1) * (1L << r.nextInt(f.width() * 8))
                    : INTERESTING[r.nextInt(INTERESTING.length)];
            put(out, f.offset(), f.width(), f.order(), x);
            v = Long.toString(x);
        }
        return new Mutant(out, f.name() + " = " + v);
    }

    static long get(byte[] b, Field f) {
        ByteBuffer bb = ByteBuffer.wrap(b).order(f.order());
        return switch (f.width()) {
            case 1 -> b[f.offset()] & 0xff;
            case 2 -> bb.getShort(f.offset()) & 0xffff;
            case 4 -> bb.getInt(f.offset()) & 0xffffffffL;
            default -> bb.getLong(f.offset());
        };
    }

    static void put(byte[] b, int at, int width, ByteOrder order, long v) {
        ByteBuffer bb = ByteBuffer.wrap(b).order(order);
        switch (width) {
            case 1 -> b[at] = (byte) v;
            case 2 -> bb.putShort(at, (short) v);
            case 4 -> bb.putInt(at, (int) v);
            default -> bb.putLong(at, v);
        }
    }

    static byte[] randomBytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
