package io.metalr.model.io;

import io.metalr.model.BadModelException;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * The element types of weight files: those torch pickles by class name ({@code torch.FloatStorage}
 * and so on), which are also what safetensors, npz and DJL's NDList files are read as.
 */
enum TorchDtype {
    FLOAT32("FloatStorage", "float32", 4, true, "f4", "F32", "FLOAT32"),
    FLOAT64("DoubleStorage", "float64", 8, true, "f8", "F64", "FLOAT64"),
    FLOAT16("HalfStorage", "float16", 2, true, "f2", "F16", "FLOAT16"),
    BFLOAT16("BFloat16Storage", "bfloat16", 2, true, null, "BF16", "BFLOAT16"), // NumPy has no bfloat16
    INT64("LongStorage", "int64", 8, false, "i8", "I64", "INT64"),
    INT32("IntStorage", "int32", 4, false, "i4", "I32", "INT32"),
    INT16("ShortStorage", "int16", 2, false, "i2", "I16", "INT16"),
    INT8("CharStorage", "int8", 1, false, "i1", "I8", "INT8"),
    UINT8("ByteStorage", "uint8", 1, false, "u1", "U8", "UINT8"),
    BOOL("BoolStorage", "bool", 1, false, "b1", "BOOL", "BOOLEAN");

    final String storageClass;
    final String dtypeName;
    final int size;
    final boolean floating;
    /** The name in a {@code .npy} descr (without byte order), in a safetensors header, in DJL's NDList. */
    final String npy;
    final String safetensors;
    final String djl;

    TorchDtype(String storageClass, String dtypeName, int size, boolean floating, String npy, String safetensors,
            String djl) {
        this.storageClass = storageClass;
        this.dtypeName = dtypeName;
        this.size = size;
        this.floating = floating;
        this.npy = npy;
        this.safetensors = safetensors;
        this.djl = djl;
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
     * The dtype a weight format names {@code name}, e.g. {@code named("F32", d -> d.safetensors, where)}.
     *
     * @throws BadModelException naming {@code where}, the name and the names the format may use
     */
    static TorchDtype named(String name, Function<TorchDtype, String> naming, String where) throws BadModelException {
        List<String> names = new ArrayList<>();
        for (TorchDtype d : values()) {
            String n = naming.apply(d);
            if (name.equals(n)) {
                return d;
            }
            if (n != null) {
                names.add(n);
            }
        }
        throw new BadModelException(where + ": dtype " + name + " is not supported (" + String.join(", ", names) + ")");
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
