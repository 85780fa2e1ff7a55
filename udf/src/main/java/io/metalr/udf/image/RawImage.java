package io.metalr.udf.image;

import java.util.Objects;

/**
 * One decoded image at its source depth, before any scaling: 8-bit samples as {@code byte} codes,
 * 16-bit samples as {@code short} codes, anything else as the floats the decoder computed. A store
 * keeps these (a quarter or half the bytes of floats) and turns them into floats per batch.
 *
 * <p>The float of a code comes from a table filled with the decoder's own arithmetic
 * ({@code v / 255f}, {@code v / 65535f}), so {@link #toImage()} is bitwise the image
 * {@link ImageDecoder#decode} returns.
 *
 * <p>Values in C,Y,X order. The arrays are not copied: treat them as read-only.
 */
public final class RawImage {

    /** How one value is kept. */
    public enum Depth {
        /** Unsigned 8-bit codes; the value is {@code code / 255f}. */
        U8(1),
        /** Unsigned 16-bit codes; the value is {@code code / 65535f}. */
        U16(2),
        /** The values themselves. */
        F32(4),
        /**
         * Unsigned 8-bit codes of a NumPy {@code uint8} array; the value is {@code code * (1f / 255f)},
         * the array readers' arithmetic, which differs from {@code code / 255f} in the last bit for
         * 126 of the 256 codes (so it is a depth of its own, not a rounding of {@link #U8}).
         */
        U8_SCALED(1);

        private final int bytes;

        Depth(int bytes) {
            this.bytes = bytes;
        }

        /** Bytes per value. */
        public int bytes() {
            return bytes;
        }
    }

    private static final float[] U8_VALUES = table(255);
    private static final float[] U16_VALUES = table(65535);
    private static final float[] U8_SCALED_VALUES = scaledTable();

    private final Depth depth;
    private final int channels;
    private final int height;
    private final int width;
    private final Object codes;

    private RawImage(Depth depth, Object codes, int length, int channels, int height, int width) {
        if (channels < 1 || height < 1 || width < 1 || (long) channels * height * width != length) {
            throw new IllegalArgumentException(
                    "image of " + channels + "x" + height + "x" + width + " cannot hold " + length + " values");
        }
        this.depth = depth;
        this.codes = codes;
        this.channels = channels;
        this.height = height;
        this.width = width;
    }

    public static RawImage u8(byte[] codes, int channels, int height, int width) {
        return new RawImage(Depth.U8, codes, codes.length, channels, height, width);
    }

    /** 8-bit codes whose values are {@code code * (1f / 255f)} (see {@link Depth#U8_SCALED}). */
    public static RawImage u8Scaled(byte[] codes, int channels, int height, int width) {
        return new RawImage(Depth.U8_SCALED, codes, codes.length, channels, height, width);
    }

    public static RawImage u16(short[] codes, int channels, int height, int width) {
        return new RawImage(Depth.U16, codes, codes.length, channels, height, width);
    }

    public static RawImage f32(float[] values, int channels, int height, int width) {
        return new RawImage(Depth.F32, values, values.length, channels, height, width);
    }

    /** A float image kept as it is (readers that compute floats themselves). */
    public static RawImage of(Image img) {
        return f32(img.data(), img.channels(), img.height(), img.width());
    }

    /** The float an 8-bit code stands for: bitwise the decoder's {@code v / 255f}. */
    public static float u8Value(int code) {
        return U8_VALUES[code & 0xFF];
    }

    /** The float a {@link Depth#U8_SCALED} code stands for: bitwise {@code code * (1f / 255f)}. */
    public static float u8ScaledValue(int code) {
        return U8_SCALED_VALUES[code & 0xFF];
    }

    /** The float a 16-bit code stands for: bitwise the decoder's {@code v / 65535f}. */
    public static float u16Value(int code) {
        return U16_VALUES[code & 0xFFFF];
    }

    public Depth depth() {
        return depth;
    }

    public int channels() {
        return channels;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /** {@code channels * height * width}. */
    public int length() {
        return channels * height * width;
    }

    /** The 8-bit codes; only for {@link Depth#U8} and {@link Depth#U8_SCALED}. */
    public byte[] bytes() {
        return (byte[]) codesOf(depth == Depth.U8_SCALED ? Depth.U8_SCALED : Depth.U8);
    }

    /** The 16-bit codes (read unsigned); only for {@link Depth#U16}. */
    public short[] shorts() {
        return (short[]) codesOf(Depth.U16);
    }

    /** The values; only for {@link Depth#F32}. */
    public float[] floats() {
        return (float[]) codesOf(Depth.F32);
    }

    private Object codesOf(Depth want) {
        if (depth != want) {
            throw new IllegalStateException("a " + depth + " image has no " + want + " codes");
        }
        return codes;
    }

    /** The values as floats in [0, 1] (F32: the values themselves, copied). */
    public Image toImage() {
        return new Image(toFloats(new float[length()], 0), channels, height, width);
    }

    /** Writes the values as floats into {@code out} from {@code offset}; returns {@code out}. */
    public float[] toFloats(float[] out, int offset) {
        int n = length();
        switch (depth) {
            case U8 -> {
                byte[] b = (byte[]) codes;
                for (int i = 0; i < n; i++) {
                    out[offset + i] = U8_VALUES[b[i] & 0xFF];
                }
            }
            case U16 -> {
                short[] s = (short[]) codes;
                for (int i = 0; i < n; i++) {
                    out[offset + i] = U16_VALUES[s[i] & 0xFFFF];
                }
            }
            case F32 -> System.arraycopy((float[]) codes, 0, out, offset, n);
            case U8_SCALED -> {
                byte[] b = (byte[]) codes;
                for (int i = 0; i < n; i++) {
                    out[offset + i] = U8_SCALED_VALUES[b[i] & 0xFF];
                }
            }
            default -> throw new IllegalStateException(depth.toString());
        }
        return out;
    }

    /** {@code v / (float) max} for every code: the same int-by-float division the decoder does. */
    private static float[] table(int max) {
        float[] t = new float[max + 1];
        float m = max;
        for (int v = 0; v <= max; v++) {
            t[v] = v / m;
        }
        return t;
    }

    /** {@code v * (1f / 255f)} for every 8-bit code: the NumPy-array readers' int-times-float product. */
    private static float[] scaledTable() {
        float[] t = new float[256];
        float scale = 1f / 255f;
        for (int v = 0; v <= 255; v++) {
            t[v] = v * scale;
        }
        return t;
    }

    @Override
    public String toString() {
        return "RawImage[" + depth + " " + channels + "x" + height + "x" + width + "]";
    }

    @Override
    public int hashCode() {
        return Objects.hash(depth, channels, height, width);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof RawImage r) || r.depth != depth || r.channels != channels || r.height != height
                || r.width != width) {
            return false;
        }
        return switch (depth) {
            case U8, U8_SCALED -> java.util.Arrays.equals((byte[]) codes, (byte[]) r.codes);
            case U16 -> java.util.Arrays.equals((short[]) codes, (short[]) r.codes);
            case F32 -> java.util.Arrays.equals((float[]) codes, (float[]) r.codes);
        };
    }
}
