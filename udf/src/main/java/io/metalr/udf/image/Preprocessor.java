package io.metalr.udf.image;

import java.util.Arrays;

/**
 * Turns a decoded image into a model input: channel conversion, then bilinear resize, then
 * per-channel normalisation, then a check that every value is finite, so that one NaN pixel fails
 * with the record's name instead of silently poisoning a training step.
 *
 * <p>Channels are converted first so that a 3 &rarr; 1 conversion resizes one channel, not three
 * (all three steps are linear, so the order changes nothing but rounding).
 *
 * <p>Immutable and thread-safe; the arrays are copied in and out.
 *
 * @param height output height
 * @param width output width
 * @param channels output channels (1 or 3 when the input has the other count)
 * @param mean 1 or {@code channels} values
 * @param std 1 or {@code channels} finite non-zero values
 */
public record Preprocessor(int height, int width, int channels, float[] mean, float[] std) {

    public Preprocessor {
        if (height < 1 || width < 1 || channels < 1) {
            throw new IllegalArgumentException(
                    "preprocessor size must be positive, got " + channels + "x" + height + "x" + width);
        }
        mean = mean == null ? null : mean.clone();
        std = std == null ? null : std.clone();
        Normalize.check(mean, std, channels);
    }

    /** Same mean and std for every channel, e.g. 0.5 / 0.5 to map [0, 1] to [-1, 1]. */
    public static Preprocessor of(int height, int width, int channels, float mean, float std) {
        return new Preprocessor(height, width, channels, new float[] {mean}, new float[] {std});
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }

    /**
     * Preprocesses one image.
     *
     * @param source names the record in error messages
     * @return a new {@code channels x height x width} image (never {@code in} itself)
     * @throws BadRecordException if the channels cannot be converted, or a value of the input or of
     *     the result is NaN or infinite; the message names {@code source} and the first bad (c,y,x)
     */
    public Image apply(Image in, String source) {
        // Checked on the input too, so the reported position is one the user can find in the file.
        checkFinite(in, source, "input");
        Image converted;
        try {
            converted = Channels.convert(in, channels);
        } catch (IllegalArgumentException e) {
            throw new BadRecordException(source + ": " + e.getMessage(), e);
        }
        Image out = Normalize.apply(Resize.bilinear(converted, height, width), mean, std);
        checkFinite(out, source, "preprocessed");
        return out;
    }

    /** Fails on the first non-finite value, in C,Y,X order. */
    static void checkFinite(Image img, String source, String stage) {
        float[] d = img.data();
        for (int i = 0; i < d.length; i++) {
            if (!Float.isFinite(d[i])) {
                int plane = img.height() * img.width();
                int c = i / plane;
                int y = (i % plane) / img.width();
                int x = i % img.width();
                throw new BadRecordException(source + ": " + stage + " value " + d[i] + " at (c,y,x)=("
                        + c + "," + y + "," + x + ") of a " + img.channels() + "x" + img.height() + "x"
                        + img.width() + " image");
            }
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Preprocessor p && p.height == height && p.width == width
                && p.channels == channels && Arrays.equals(p.mean, mean) && Arrays.equals(p.std, std);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {height, width, channels, Arrays.hashCode(mean), Arrays.hashCode(std)});
    }

    @Override
    public String toString() {
        return "Preprocessor[" + channels + "x" + height + "x" + width + ", mean=" + Arrays.toString(mean)
                + ", std=" + Arrays.toString(std) + "]";
    }
}
