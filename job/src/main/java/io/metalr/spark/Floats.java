package io.metalr.spark;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;

/** A float vector that serializes in bulk ({@link FloatCodec}): weights, whole states, in messages. */
final class Floats implements Serializable {

    private static final long serialVersionUID = 1L;
    private transient float[] values;

    Floats(float[] values) {
        this.values = values;
    }

    float[] values() {
        return values;
    }

    private void writeObject(ObjectOutputStream out) throws IOException {
        out.defaultWriteObject();
        FloatCodec.write(out, values);
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        values = FloatCodec.read(in);
    }
}
