package io.metalr.spark;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Named tensors packed one after the other into one float vector, in a fixed order: how weights
 * and gradients cross JVMs (broadcast, task results) without per-tensor overhead. Tensors are
 * keyed by name, never by a per-JVM id.
 */
public final class FlatLayout implements Serializable {

    private static final long serialVersionUID = 1L;

    private final String[] names;
    private final int[] offsets;
    private final int total;

    public FlatLayout(List<String> names, Map<String, Integer> sizes) {
        this.names = names.toArray(new String[0]);
        this.offsets = new int[this.names.length + 1];
        for (int i = 0; i < this.names.length; i++) {
            offsets[i + 1] = offsets[i] + sizes.get(this.names[i]);
        }
        this.total = offsets[this.names.length];
    }

    public int total() {
        return total;
    }

    public List<String> names() {
        return List.of(names);
    }

    public float[] pack(Map<String, float[]> values) {
        float[] out = new float[total];
        for (int i = 0; i < names.length; i++) {
            float[] v = values.get(names[i]);
            if (v == null || v.length != offsets[i + 1] - offsets[i]) {
                throw new IllegalArgumentException("tensor " + names[i] + " is missing or has the wrong size");
            }
            System.arraycopy(v, 0, out, offsets[i], v.length);
        }
        return out;
    }

    public LinkedHashMap<String, float[]> unpack(float[] flat) {
        if (flat.length != total) {
            throw new IllegalArgumentException("expected " + total + " values, got " + flat.length);
        }
        LinkedHashMap<String, float[]> out = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
            float[] v = new float[offsets[i + 1] - offsets[i]];
            System.arraycopy(flat, offsets[i], v, 0, v.length);
            out.put(names[i], v);
        }
        return out;
    }

    /** Where tensor {@code index} starts in a packed vector; {@code offset(names().size())} is {@link #total()}. */
    public int offset(int index) {
        return offsets[index];
    }

    /** Tensor {@code index}'s values inside {@code flat}, without a copy. */
    public java.nio.FloatBuffer view(float[] flat, int index) {
        return java.nio.FloatBuffer.wrap(flat, offsets[index], offsets[index + 1] - offsets[index]);
    }
}
