package io.metalr.data;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 over numbers and float arrays (their exact bits, big-endian), fed a chunk at a time. */
public final class FloatDigest {

    private static final int CHUNK = 1 << 16;

    private final MessageDigest md;
    private final ByteBuffer buf = ByteBuffer.allocate(4 * CHUNK);

    public FloatDigest() {
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    public FloatDigest add(float[] v) {
        add(v.length);
        return addValues(v);
    }

    /**
     * The values alone, without their count: a long array fed in pieces, after its total length,
     * digests as {@link #add(float[])} of the whole.
     */
    public FloatDigest addValues(float[] v) {
        for (int from = 0; from < v.length; from += CHUNK) {
            int n = Math.min(CHUNK, v.length - from);
            buf.clear();
            buf.asFloatBuffer().put(v, from, n);
            md.update(buf.array(), 0, 4 * n);
        }
        return this;
    }

    public FloatDigest add(int[] v) {
        add(v.length);
        for (int from = 0; from < v.length; from += CHUNK) {
            int n = Math.min(CHUNK, v.length - from);
            buf.clear();
            buf.asIntBuffer().put(v, from, n);
            md.update(buf.array(), 0, 4 * n);
        }
        return this;
    }

    public FloatDigest add(long x) {
        for (int s = 56; s >= 0; s -= 8) {
            md.update((byte) (x >>> s));
        }
        return this;
    }

    public FloatDigest add(String s) {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        add(b.length);
        md.update(b);
        return this;
    }

    /** The digest's first 16 bytes in hex: plenty to tell two data sets apart, short enough to read. */
    public String hex() {
        return HexFormat.of().formatHex(md.digest(), 0, 16);
    }
}
