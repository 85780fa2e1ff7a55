package io.metalr.model.io;

import io.metalr.model.BadModelException;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The element types of weight files: those torch pickles by class name ({@code torch.FloatStorage}
 * and so on), which are also what safetensors, npz and DJL's NDList files are read as.
 */
enum TorchDtype {
    FLOAT32("FloatStorage", "float32", 4, true),
    FLOAT64("DoubleStorage", "float64", 8, true),
    FLOAT16("HalfStorage", "float16", 2, true),
    BFLOAT16("BFloat16Storage", "bfloat16", 2, true),
    INT64("LongStorage", "int64", 8, false),
    INT32("IntStorage", "int32", 4, false),
    INT16("ShortStorage", "int16", 2, false),
    INT8("CharStorage", "int8", 1, false),
    UINT8("ByteStorage", "uint8", 1, false),
    BOOL("BoolStorage", "bool", 1, false);

    final String storageClass;
    final String dtypeName;
    final int size;
    final boolean floating;

    TorchDtype(String storageClass, String dtypeName, int size, boolean floating) {
        this.storageClass = storageClass;
        this.dtypeName = dtypeName;
        this.size = size;
        this.floating = floating;
    }

    /** The dtype of {@code torch.<storageClass>}, or null when it is not one of these. */
    static TorchDtype ofStorageClass(String name) {
        for (TorchDtype d : values()) {
            if (d.storageClass.equals(name)) {
                return d;
            }
        }
        return null;
    }

    /**
     * A dense row-major tensor of this dtype: the bytes of {@code data} from its position, in its
     * byte order, which must be exactly what {@code shape} needs. Checked before anything is
     * allocated, so the values cost at most 8 bytes per byte of the file.
     *
     * @param where names the file and tensor in errors
     */
    TensorData dense(String name, long[] shape, ByteBuffer data, String where) throws BadModelException {
        long bytes;
        try {
            long numel = 1;
            for (long d : shape) {
                if (d < 0) {
                    throw new BadModelException(where + " has a negative dimension in shape " + Arrays.toString(shape));
                }
                numel = Math.multiplyExact(numel, d);
            }
            bytes = Math.multiplyExact(numel, (long) size);
        } catch (ArithmeticException e) {
            throw new BadModelException(where + ": shape " + Arrays.toString(shape) + " declares more values than a file can hold");
        }
        if (bytes != data.remaining()) {
            throw new BadModelException(where + ": shape " + Arrays.toString(shape) + " of " + dtypeName + " needs "
                    + bytes + " bytes, the file has " + data.remaining() + " for it (corrupt or truncated file)");
        }
        ByteBuffer b = data.slice().order(data.order());
        int n = (int) (bytes / size);
        float[] floats = floating ? new float[n] : null;
        long[] longs = floating ? null : new long[n];
        for (int i = 0; i < n; i++) {
            if (floating) {
                floats[i] = getFloat(b, i);
            } else {
                longs[i] = getLong(b, i);
            }
        }
        return new TensorData(name, shape, dtypeName, floats, longs);
    }

    /** Element {@code index} of a floating storage, as float32. */
    float getFloat(ByteBuffer b, int index) {
        int at = index * size;
        return switch (this) {
            case FLOAT32 -> b.getFloat(at);
            case FLOAT64 -> (float) b.getDouble(at);
            case FLOAT16 -> halfToFloat(b.getShort(at));
            case BFLOAT16 -> Float.intBitsToFloat((b.getShort(at) & 0xffff) << 16); // the top half of a float32
            default -> throw new IllegalStateException(dtypeName + " is not floating");
        };
    }

    /** Element {@code index} of an integer or bool storage. */
    long getLong(ByteBuffer b, int index) {
        int at = index * size;
        return switch (this) {
            case INT64 -> b.getLong(at);
            case INT32 -> b.getInt(at);
            case INT16 -> b.getShort(at);
            case INT8 -> b.get(at);
            case UINT8 -> b.get(at) & 0xff;
            case BOOL -> b.get(at) != 0 ? 1 : 0;
            default -> throw new IllegalStateException(dtypeName + " is floating");
        };
    }

    /** IEEE binary16 to float32 (Java 17 has no Float.float16ToFloat). */
    static float halfToFloat(short half) {
        int h = half & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) { // infinity or NaN
            return Float.intBitsToFloat(sign | 0x7f800000 | mant << 13);
        }
        if (exp == 0) { // zero or subnormal: mant * 2^-24, exact in float32
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | (exp + 127 - 15) << 23 | mant << 13);
    }
}
