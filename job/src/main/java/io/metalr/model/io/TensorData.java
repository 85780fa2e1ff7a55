package io.metalr.model.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor read from a PyTorch weight file, copied into a dense row-major (C order) array.
 *
 * <p>Floating dtypes ({@code float32}, {@code float16}, {@code bfloat16}, {@code float64}) are
 * held as float32 in {@link #floats()}; integer and bool dtypes ({@code int64}, {@code int32},
 * {@code int16}, {@code int8}, {@code uint8}, {@code bool}) are held in {@link #longs()}. Exactly
 * one of the two arrays is non-null; {@link #dtype()} keeps the dtype the file stored, so a
 * caller can tell a converted float64 from a real float32. A 0-dim tensor has an empty shape
 * and one value.
 *
 * <p>The arrays are not copied on access (weights can be large); treat them as read-only.
 */
public record TensorData(String name, long[] shape, String dtype, float[] floats, long[] longs) {

    public TensorData {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(dtype, "dtype");
        if ((floats == null) == (longs == null)) {
            throw new IllegalArgumentException(name + ": exactly one of floats/longs must be set");
        }
        long n = numel(shape);
        int have = floats != null ? floats.length : longs.length;
        if (n != have) {
            throw new IllegalArgumentException(
                    name + ": shape " + Arrays.toString(shape) + " needs " + n + " values, got " + have);
        }
    }

    /** Number of elements: the product of the shape (1 for a 0-dim tensor). */
    public long numel() {
        return numel(shape);
    }

    /** True when the values are in {@link #floats()}. */
    public boolean isFloating() {
        return floats != null;
    }

    /** The same tensor under another name (the reader renames when it strips {@code module.}). */
    public TensorData withName(String newName) {
        return new TensorData(newName, shape, dtype, floats, longs);
    }

    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    // A record compares arrays by identity; compare contents instead so tests and maps behave.
    @Override
    public boolean equals(Object o) {
        return o instanceof TensorData t
                && name.equals(t.name)
                && dtype.equals(t.dtype)
                && Arrays.equals(shape, t.shape)
                && Arrays.equals(floats, t.floats)
                && Arrays.equals(longs, t.longs);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), Arrays.hashCode(floats), Arrays.hashCode(longs));
    }

    @Override
    public String toString() {
        return "TensorData[" + name + " " + dtype + " " + Arrays.toString(shape) + "]";
    }
}
