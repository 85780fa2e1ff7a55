package io.metalr.udf.image;

/**
 * Per-channel standardisation {@code (x - mean[c]) / std[c]}, as torchvision's {@code Normalize}
 * does, so inputs match the statistics a (pre)trained model expects.
 */
public final class Normalize {

    private Normalize() {}

    /**
     * Returns a new image with {@code (x - mean[c]) / std[c]} in every channel {@code c}.
     *
     * @param mean one value for all channels, or one per channel
     * @param std one value for all channels, or one per channel; finite and non-zero
     * @throws IllegalArgumentException if a length is neither 1 nor {@code in.channels()}, or a
     *     value is unusable
     */
    public static Image apply(Image in, float[] mean, float[] std) {
        int channels = in.channels();
        check(mean, std, channels);
        int plane = in.height() * in.width();
        float[] src = in.data();
        float[] out = new float[src.length];
        for (int c = 0; c < channels; c++) {
            // Length 1 broadcasts to every channel.
            float m = mean[mean.length == 1 ? 0 : c];
            float s = std[std.length == 1 ? 0 : c];
            int base = c * plane;
            for (int i = base; i < base + plane; i++) {
                out[i] = (src[i] - m) / s; // divide, as torchvision does, rather than multiply by 1/s
            }
        }
        return new Image(out, channels, in.height(), in.width());
    }

    /** Validates mean/std for an image of {@code channels} channels. */
    static void check(float[] mean, float[] std, int channels) {
        if (mean == null || std == null) {
            throw new IllegalArgumentException("mean and std are required");
        }
        if ((mean.length != 1 && mean.length != channels) || (std.length != 1 && std.length != channels)) {
            throw new IllegalArgumentException("mean (" + mean.length + " values) and std (" + std.length
                    + " values) must have 1 or " + channels + " values");
        }
        for (float m : mean) {
            if (!Float.isFinite(m)) {
                throw new IllegalArgumentException("mean must be finite, got " + m);
            }
        }
        for (float s : std) {
            if (!Float.isFinite(s) || s == 0f) {
                throw new IllegalArgumentException("std must be finite and non-zero, got " + s);
            }
        }
    }
}
