package io.metalr.data.store;

import io.metalr.udf.image.Image;
import io.metalr.udf.image.RawImage;

/**
 * Images addressed by position {@code 0..size()-1}, each with its record id, label and own shape,
 * kept at their source depth ({@link CodeKind}). Reads are thread-safe.
 */
public interface Store {

    int size();

    /** The record id (stable per reader) of the image at {@code position}. */
    long rid(int position);

    int label(int position);

    int channels(int position);

    int height(int position);

    int width(int position);

    CodeKind kind(int position);

    /** The image as floats: codes through the decoder's table, so bitwise the decoder's image. */
    Image image(int position);

    /** Writes the image's floats (as {@link #image}) into {@code out} from {@code at}. */
    default void imageInto(int position, float[] out, int at) {
        float[] v = image(position).data();
        System.arraycopy(v, 0, out, at, v.length);
    }

    /** The image's codes, copied out. */
    RawImage raw(int position);

    /** Names the image in error messages: the store and the record id. */
    default String describe(int position) {
        return this + " record " + rid(position);
    }
}
