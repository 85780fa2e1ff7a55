package io.metalr.udf.image;

/**
 * One augmentation draw: the window {@code [top, top+height) x [left, left+width)} of the source
 * image that is resized back to full size, and whether the result is mirrored left-right.
 *
 * @param fallback true when all 10 random attempts failed and the central crop was used (then the
 *     window need not satisfy the scale and ratio ranges)
 */
public record Crop(int top, int left, int height, int width, boolean flip, boolean fallback) {

    /** The whole {@code height x width} image, not flipped: what a disabled augmenter uses. */
    public static Crop whole(int height, int width) {
        return new Crop(0, 0, height, width, false, false);
    }

    /** True when applying this crop changes nothing. */
    public boolean isIdentity(int imageHeight, int imageWidth) {
        return !flip && top == 0 && left == 0 && height == imageHeight && width == imageWidth;
    }
}
