package io.metalr;

import io.metalr.data.ImageSet;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Random;

import javax.imageio.ImageIO;

/** Images the tests build: PNG bytes of a picture, and small labelled sets with a NaN image planted. */
public final class TestImages {

    private TestImages() {}

    /** {@code img} as PNG bytes. */
    public static byte[] png(BufferedImage img) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * {@code n} 12x12 one-channel images of 3 classes (label {@code i % 3}, noise plus a class
     * pattern); image {@code nanImage} (none if negative) is all NaN, so its batch's loss is NaN.
     */
    public static ImageSet withNanImage(String name, int n, int nanImage, long seed) {
        Random rng = new Random(seed);
        int per = 12 * 12;
        float[] px = new float[Math.multiplyExact(n, per)]; // a test set of a few 12x12 images
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 3;
            for (int k = 0; k < per; k++) {
                px[i * per + k] = i == nanImage ? Float.NaN : (float) (rng.nextGaussian() + 0.5 * labels[i] * Math.sin(k));
            }
        }
        return new ImageSet(name, px, labels, 1, 12, 12, 3);
    }
}
