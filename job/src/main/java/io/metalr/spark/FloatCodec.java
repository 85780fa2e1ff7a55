package io.metalr.spark;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Writes float arrays into Java serialization in bulk (one little-endian byte block) rather than
 * element by element, as {@code ObjectOutputStream} does: a model's weights and optimizer state
 * are tens of megabytes ({@link Floats}: the training stage's start, checkpoints, the selected
 * weights).
 */
final class FloatCodec {

    private static final int CHUNK = 1 << 20;

    private FloatCodec() {}

    static void write(ObjectOutputStream out, float[] v) throws IOException {
        if (v == null) {
            out.writeInt(-1);
            return;
        }
        out.writeInt(v.length);
        byte[] buf = new byte[Math.min(CHUNK, v.length * 4)];
        ByteBuffer bb = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
        for (int start = 0; start < v.length; start += CHUNK / 4) {
            int n = Math.min(CHUNK / 4, v.length - start);
            bb.clear();
            bb.asFloatBuffer().put(v, start, n);
            out.write(buf, 0, n * 4);
        }
    }

    static float[] read(ObjectInputStream in) throws IOException {
        int len = in.readInt();
        if (len < 0) {
            return null;
        }
        float[] v = new float[len];
        byte[] buf = new byte[Math.min(CHUNK, len * 4)];
        ByteBuffer bb = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
        for (int start = 0; start < len; start += CHUNK / 4) {
            int n = Math.min(CHUNK / 4, len - start);
            in.readFully(buf, 0, n * 4);
            bb.clear();
            bb.asFloatBuffer().get(v, start, n);
        }
        return v;
    }
}
