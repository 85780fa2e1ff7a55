package io.metalr.udf.image;

/**
 * Converts an image to the channel count a model expects, so gray scans can feed RGB-pretrained
 * networks and colour photos can feed single-channel ones.
 */
public final class Channels {

    /** ITU-R BT.601 luma weights, the ones PIL's {@code convert("L")} uses. */
    static final float LUMA_R = 0.299f;
    static final float LUMA_G = 0.587f;
    static final float LUMA_B = 0.114f;

    private Channels() {}

    /**
     * Returns {@code in} with {@code channels} channels.
     *
     * <ul>
     *   <li>same count: {@code in} itself;
     *   <li>1 &rarr; 3: the one channel copied three times (what an RGB-pretrained model sees for a
     *       gray photo);
     *   <li>3 &rarr; 1: luma {@code 0.299 R + 0.587 G + 0.114 B}.
     * </ul>
     *
     * @throws IllegalArgumentException for any other pair
     */
    public static Image convert(Image in, int channels) {
        int from = in.channels();
        if (from == channels) {
            return in;
        }
        int plane = in.height() * in.width();
        float[] src = in.data();
        if (from == 1 && channels == 3) {
            float[] out = new float[3 * plane];
            System.arraycopy(src, 0, out, 0, plane);
            System.arraycopy(src, 0, out, plane, plane);
            System.arraycopy(src, 0, out, 2 * plane, plane);
            return new Image(out, 3, in.height(), in.width());
        }
        if (from == 3 && channels == 1) {
            float[] out = new float[plane];
            for (int i = 0; i < plane; i++) {
                out[i] = LUMA_R * src[i] + LUMA_G * src[plane + i] + LUMA_B * src[2 * plane + i];
            }
            return new Image(out, 1, in.height(), in.width());
        }
        throw new IllegalArgumentException(
                "cannot convert an image of " + from + " channels to " + channels + " (only 1<->3)");
    }
}
