package io.metalr.udf.image;

/**
 * One decoded image: float values in channel-major order ({@code c, y, x}), as read (8-bit and
 * 16-bit pixels scaled to [0, 1]) or after preprocessing (resized, normalised).
 *
 * @param data {@code channels * height * width} values
 */
public record Image(float[] data, int channels, int height, int width) {

    public Image {
        if (channels < 1 || height < 1 || width < 1 || (long) channels * height * width != data.length) {
            throw new IllegalArgumentException(
                    "image of " + channels + "x" + height + "x" + width + " cannot hold " + data.length + " values");
        }
    }

    public float get(int c, int y, int x) {
        return data[(c * height + y) * width + x];
    }
}
