package io.metalr.data.records;

import io.metalr.udf.image.RawImage;

import java.io.Serializable;

/**
 * A record's image as a reading task fetched it: still encoded (PNG/JPEG bytes, smaller than their
 * pixels, decoded where the store is built), or codes at source depth (array formats decode
 * before the shuffle; {@code depth} is then set), or why it is bad. {@code where} names the record
 * in messages, {@code file} (or null) the file its bytes came from.
 */
public record RecordImage(long rid, String where, String file, byte[] encoded, RawImage.Depth depth, Object codes, int channels,
        int height, int width, String bad) implements Serializable {

    public static RecordImage encoded(long rid, String where, byte[] bytes) {
        return encoded(rid, where, null, bytes);
    }

    /** Bytes read from {@code file} (which the decoder's messages name). */
    public static RecordImage encoded(long rid, String where, String file, byte[] bytes) {
        return new RecordImage(rid, where, file, bytes, null, null, 0, 0, 0, null);
    }

    public static RecordImage of(long rid, String where, RawImage img) {
        Object codes = switch (img.depth()) {
            case U8, U8_SCALED -> img.bytes();
            case U16 -> img.shorts();
            case F32 -> img.floats();
        };
        return new RecordImage(rid, where, null, null, img.depth(), codes, img.channels(), img.height(), img.width(), null);
    }

    public static RecordImage bad(long rid, String where, String message) {
        return new RecordImage(rid, where, null, null, null, null, 0, 0, 0, message);
    }

    /** The codes as an image (null for an encoded or bad record). */
    public RawImage raw() {
        if (depth == null) {
            return null;
        }
        return switch (depth) {
            case U8 -> RawImage.u8((byte[]) codes, channels, height, width);
            case U8_SCALED -> RawImage.u8Scaled((byte[]) codes, channels, height, width);
            case U16 -> RawImage.u16((short[]) codes, channels, height, width);
            case F32 -> RawImage.f32((float[]) codes, channels, height, width);
        };
    }
}
