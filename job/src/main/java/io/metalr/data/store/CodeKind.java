package io.metalr.data.store;

import io.metalr.udf.image.RawImage;

/**
 * How a store keeps one value: 8-bit and 16-bit source samples as their codes, floats otherwise
 * (float sources, NaN included, and images already preprocessed). The tag is the byte in a store
 * file's index.
 */
public enum CodeKind {
    U8(RawImage.Depth.U8),
    U16(RawImage.Depth.U16),
    F32(RawImage.Depth.F32),
    U8_SCALED(RawImage.Depth.U8_SCALED);

    private final RawImage.Depth depth;

    CodeKind(RawImage.Depth depth) {
        this.depth = depth;
    }

    /** The decoder's depth this kind keeps. */
    public RawImage.Depth depth() {
        return depth;
    }

    public int bytesPerValue() {
        return depth.bytes();
    }

    public static CodeKind of(RawImage.Depth depth) {
        return values()[depth.ordinal()];
    }

    byte tag() {
        return (byte) ordinal();
    }

    static CodeKind ofTag(int tag) {
        if (tag < 0 || tag >= values().length) {
            throw new IllegalArgumentException("unknown code kind " + tag);
        }
        return values()[tag];
    }
}
