package io.metalr.data.store;

import io.metalr.udf.image.Image;
import io.metalr.udf.image.RawImage;

import java.util.Arrays;
import java.util.List;

/** Several stores read as one, in order: positions of part k follow those of part k-1. */
public final class JoinedStore implements Store {

    private final Store[] parts;
    /** starts[k] = the first position of part k; starts[parts.length] = size. */
    private final int[] starts;

    public JoinedStore(List<? extends Store> parts) {
        this.parts = parts.toArray(new Store[0]);
        this.starts = new int[this.parts.length + 1];
        for (int k = 0; k < this.parts.length; k++) {
            starts[k + 1] = Math.addExact(starts[k], this.parts[k].size());
        }
    }

    /** The position in this store of {@code position} in part {@code part}. */
    public int start(int part) {
        return starts[part];
    }

    public List<Store> parts() {
        return List.of(parts);
    }

    private int part(int position) {
        if (position < 0 || position >= size()) {
            throw new IndexOutOfBoundsException("position " + position + " of " + size());
        }
        int k = Arrays.binarySearch(starts, position);
        if (k < 0) {
            return -k - 2;
        }
        while (starts[k + 1] == position) { // empty parts share a start
            k++;
        }
        return k;
    }

    @Override
    public int size() {
        return starts[parts.length];
    }

    @Override
    public long rid(int position) {
        int k = part(position);
        return parts[k].rid(position - starts[k]);
    }

    @Override
    public int label(int position) {
        int k = part(position);
        return parts[k].label(position - starts[k]);
    }

    @Override
    public int channels(int position) {
        int k = part(position);
        return parts[k].channels(position - starts[k]);
    }

    @Override
    public int height(int position) {
        int k = part(position);
        return parts[k].height(position - starts[k]);
    }

    @Override
    public int width(int position) {
        int k = part(position);
        return parts[k].width(position - starts[k]);
    }

    @Override
    public CodeKind kind(int position) {
        int k = part(position);
        return parts[k].kind(position - starts[k]);
    }

    @Override
    public Image image(int position) {
        int k = part(position);
        return parts[k].image(position - starts[k]);
    }

    @Override
    public void imageInto(int position, float[] out, int at) {
        int k = part(position);
        parts[k].imageInto(position - starts[k], out, at);
    }

    @Override
    public RawImage raw(int position) {
        int k = part(position);
        return parts[k].raw(position - starts[k]);
    }

    @Override
    public String describe(int position) {
        int k = part(position);
        return parts[k].describe(position - starts[k]);
    }

    @Override
    public String toString() {
        return "joined " + Arrays.toString(parts);
    }
}
