package io.metalr.udf.predict;

import io.metalr.udf.image.BadRecordException;
import io.metalr.udf.image.ImageDecoder;
import io.metalr.udf.image.Preprocessor;

/** Turns a record into one row of a {@link Scorer}'s input, the way the model was trained. */
public final class ModelInput {

    private ModelInput() {}

    /**
     * Decodes an encoded PNG/JPEG of at most {@code maxPixels} pixels and applies the model's
     * preprocessing.
     *
     * @throws BadRecordException naming {@code source} if the image is corrupt, too large or has bad values
     */
    public static float[] fromImage(Preprocessor pre, byte[] image, String source, long maxPixels) {
        return pre.apply(ImageDecoder.decode(image, source, maxPixels), source).data();
    }

    /**
     * Checks already preprocessed values (C,Y,X order) against the model's input size.
     *
     * @throws BadRecordException naming {@code source} for a wrong count or a non-finite value
     */
    public static float[] fromPixels(Preprocessor pre, float[] pixels, String source) {
        int expected = pre.channels() * pre.height() * pre.width();
        if (pixels.length != expected) {
            throw new BadRecordException(source + ": " + pixels.length + " values, the model takes "
                    + pre.channels() + "x" + pre.height() + "x" + pre.width() + " = " + expected);
        }
        for (int i = 0; i < pixels.length; i++) {
            if (!Float.isFinite(pixels[i])) {
                throw new BadRecordException(source + ": value " + pixels[i] + " at index " + i);
            }
        }
        return pixels;
    }
}
