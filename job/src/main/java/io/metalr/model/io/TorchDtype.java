package io.metalr.model.io;

import java.nio.ByteBuffer;

/** The storage element types torch pickles by class name ({@code torch.FloatStorage} and so on). */
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
