package io.metalr.formats;

import java.nio.ByteBuffer;

/**
 * One {@code .npy} array as its file holds it, checked by {@link NpyFormat#parse}: the dtype code
 * without byte order ("u1", "f4", ...; bool is "b1"), the descr as written ("&lt;f4"), the shape,
 * and exactly the data the shape needs, in C order, in the file's byte order, from position 0.
 */
public record NpyArray(String dtype, String descr, long[] shape, ByteBuffer data) {

    /** The number of elements (1 for a 0-dim array); cannot overflow, parse checked it. */
    public long size() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    public int itemSize() {
        return dtype.charAt(1) - '0';
    }

    public boolean isFloat() {
        return dtype.charAt(0) == 'f';
    }

    /** Element {@code i} (flat C index) as a double, for the integer, bool, float32 and float64 dtypes. */
    public double getDouble(long i) {
        int at = Math.toIntExact(i * itemSize());
        return switch (dtype) {
            case "u1", "b1" -> data.get(at) & 0xff;
            case "i1" -> data.get(at);
            case "i2" -> data.getShort(at);
            case "u2" -> data.getShort(at) & 0xffff;
            case "i4" -> data.getInt(at);
            case "i8" -> data.getLong(at);
            case "f4" -> data.getFloat(at);
            case "f8" -> data.getDouble(at);
            default -> throw new IllegalStateException(dtype + " is not read as a double here");
        };
    }

    /** The shape as NumPy prints it: {@code (3,)}, {@code (2, 28, 28)}. */
    public String shapeString() {
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            b.append(i > 0 ? ", " : "").append(shape[i]);
        }
        return b.append(shape.length == 1 ? ",)" : ")").toString();
    }
}
