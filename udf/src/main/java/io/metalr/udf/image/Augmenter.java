package io.metalr.udf.image;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * Training-time augmentation: torchvision's {@code RandomResizedCrop(size=(H, W), scale, ratio)}
 * followed by {@code RandomHorizontalFlip(0.5)}, with the crop resized back to the image's own size.
 *
 * <p><b>Deterministic.</b> Every draw comes from a {@link SplittableRandom} seeded by a mix of
 * (seed, epoch, sampleKey), so a sample gets a fresh, independent crop every epoch, the same crop
 * when a run is repeated or a Spark task is retried, and the same crop whichever executor or
 * thread handles it and in whatever order.
 *
 * <p><b>Resizing.</b> The crop is resized with {@link Resize}'s PyTorch bilinear formula. Because a
 * crop is never larger than the image, this is always an upscale (or identity) on both axes, where
 * antialiasing does nothing, so the result also matches torchvision's default
 * {@code antialias=True}.
 *
 * <p><b>Before or after normalisation.</b> Either: bilinear interpolation (weights summing to 1)
 * and flips commute with the per-channel affine map {@code (x - mean) / std}, so augmenting a
 * normalised image gives the normalisation of the augmented image (up to float rounding).
 *
 * @param scaleMin smallest crop area, as a fraction of the image area (0 &lt; scaleMin &le; scaleMax &le; 1)
 * @param scaleMax largest crop area fraction
 * @param ratioMin smallest crop aspect ratio width/height, drawn log-uniformly (0 &lt; ratioMin &le; ratioMax)
 * @param ratioMax largest crop aspect ratio
 * @param hflip whether to mirror left-right with probability 1/2
 * @param enabled false turns {@link #apply} into a copy (evaluation, or augmentation switched off)
 */
public record Augmenter(double scaleMin, double scaleMax, double ratioMin, double ratioMax, boolean hflip,
        boolean enabled) implements java.io.Serializable {

    /** torchvision's {@code RandomResizedCrop} gives up drawing after this many attempts. */
    static final int ATTEMPTS = 10;

    public Augmenter {
        if (!(scaleMin > 0 && scaleMin <= scaleMax && scaleMax <= 1)) {
            throw new IllegalArgumentException(
                    "need 0 < scaleMin <= scaleMax <= 1, got [" + scaleMin + ", " + scaleMax + "]");
        }
        if (!(ratioMin > 0 && ratioMin <= ratioMax && Double.isFinite(ratioMax))) {
            throw new IllegalArgumentException(
                    "need 0 < ratioMin <= ratioMax, got [" + ratioMin + ", " + ratioMax + "]");
        }
    }

    /** scale [0.8, 1], ratio [0.8, 1.25], flips on: mild, label-preserving for most medical images. */
    public static Augmenter defaults() {
        return new Augmenter(0.8, 1.0, 0.8, 1.25, true, true);
    }

    /** Copies images unchanged. */
    public static Augmenter disabled() {
        return new Augmenter(0.8, 1.0, 0.8, 1.25, true, false);
    }

    /**
     * A stable 64-bit key for a sample identifier (e.g. {@code Sample.id()}), the same in every JVM,
     * unlike {@link String#hashCode()}'s 32 bits that collide too often for large data sets.
     */
    public static long sampleKey(String id) {
        long h = 0xCBF29CE484222325L; // FNV-1a over the UTF-8 bytes, then mixed
        for (byte b : id.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xFF)) * 0x100000001B3L;
        }
        return mix64(h);
    }

    /**
     * The crop and flip for one sample in one epoch, drawn as torchvision's
     * {@code RandomResizedCrop.get_params} does:
     *
     * <ol>
     *   <li>up to 10 times: area {@code A = H*W*U(scaleMin, scaleMax)}, ratio
     *       {@code r = exp(U(log ratioMin, log ratioMax))}, {@code w = round(sqrt(A*r))},
     *       {@code h = round(sqrt(A/r))} (round half to even, like Python); if
     *       {@code 0 < w <= W and 0 < h <= H}, take it at a uniform top in {@code [0, H-h]} and left in
     *       {@code [0, W-w]};
     *   <li>otherwise the central crop: the whole image, narrowed or flattened to the nearest allowed
     *       ratio when {@code W/H} is outside {@code [ratioMin, ratioMax]};
     *   <li>then the flip, with probability 1/2 when {@code hflip}.
     * </ol>
     *
     * When disabled, the whole image without a flip.
     */
    public Crop params(long seed, int epoch, long sampleKey, int height, int width) {
        if (height < 1 || width < 1) {
            throw new IllegalArgumentException("image size must be positive, got " + height + "x" + width);
        }
        if (!enabled) {
            return Crop.whole(height, width);
        }
        SplittableRandom rng = random(seed, epoch, sampleKey);
        double area = (double) height * width;
        double logRatioMin = Math.log(ratioMin);
        double logRatioMax = Math.log(ratioMax);
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            // min + span * U[0,1) rather than nextDouble(min, max), which rejects min == max.
            double targetArea = area * (scaleMin + (scaleMax - scaleMin) * rng.nextDouble());
            double aspect = Math.exp(logRatioMin + (logRatioMax - logRatioMin) * rng.nextDouble());
            int w = (int) Math.rint(Math.sqrt(targetArea * aspect));
            int h = (int) Math.rint(Math.sqrt(targetArea / aspect));
            if (w > 0 && w <= width && h > 0 && h <= height) {
                int top = rng.nextInt(height - h + 1);
                int left = rng.nextInt(width - w + 1);
                return new Crop(top, left, h, w, flip(rng), false);
            }
        }
        double inRatio = (double) width / height;
        int w = width;
        int h = height;
        if (inRatio < ratioMin) {
            h = (int) Math.rint(w / ratioMin);
        } else if (inRatio > ratioMax) {
            w = (int) Math.rint(h * ratioMax);
        }
        // Rounding cannot exceed the image, but a tiny image could round to 0.
        h = Math.max(1, Math.min(h, height));
        w = Math.max(1, Math.min(w, width));
        return new Crop((height - h) / 2, (width - w) / 2, h, w, flip(rng), true);
    }

    /**
     * Augments one {@code channels x height x width} image (C,Y,X order) into
     * {@code dst[dstOffset .. dstOffset + channels*height*width)}: the crop from {@link #params},
     * resized back to {@code height x width}, mirrored if drawn. When disabled, a plain copy.
     *
     * <p>Runs inside the training loop for every image, so it allocates no buffers: it reads
     * {@code src} and writes {@code dst} directly (they must be different arrays).
     *
     * @param src the image; its first {@code channels*height*width} values are read
     */
    public void apply(float[] src, int channels, int height, int width, float[] dst, int dstOffset, long seed,
            int epoch, long sampleKey) {
        if (channels < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException(
                    "image size must be positive, got " + channels + "x" + height + "x" + width);
        }
        int n = channels * height * width;
        if (src.length < n || dstOffset < 0 || dstOffset > dst.length - n) {
            throw new IllegalArgumentException("a " + channels + "x" + height + "x" + width + " image needs "
                    + n + " values in src (has " + src.length + ") and in dst from " + dstOffset
                    + " (has " + dst.length + ")");
        }
        if (src == dst) {
            throw new IllegalArgumentException("src and dst must be different arrays");
        }
        Crop crop = params(seed, epoch, sampleKey, height, width);
        if (crop.isIdentity(height, width)) {
            System.arraycopy(src, 0, dst, dstOffset, n);
            return;
        }
        Resize.resample(src, channels, height, width, crop.top(), crop.left(), crop.height(), crop.width(),
                dst, dstOffset, height, width, crop.flip());
    }

    /** Convenience for tests and non-hot paths: a new augmented image. */
    public Image apply(Image in, long seed, int epoch, long sampleKey) {
        float[] out = new float[in.data().length];
        apply(in.data(), in.channels(), in.height(), in.width(), out, 0, seed, epoch, sampleKey);
        return new Image(out, in.channels(), in.height(), in.width());
    }

    private boolean flip(SplittableRandom rng) {
        return hflip && rng.nextBoolean();
    }

    /**
     * One generator per (seed, epoch, sampleKey). Each input goes through its own round of the
     * SplitMix64 finaliser, so nearby seeds, epochs and keys (0, 1, 2, ...) land far apart and no
     * two triples share a stream in practice.
     */
    static SplittableRandom random(long seed, int epoch, long sampleKey) {
        long h = mix64(seed ^ 0x6A09E667F3BCC909L);
        h = mix64(h ^ mix64(epoch ^ 0xBB67AE8584CAA73BL));
        h = mix64(h ^ mix64(sampleKey ^ 0x3C6EF372FE94F82BL));
        return new SplittableRandom(h);
    }

    /** The SplitMix64 / Stafford variant 13 finaliser: a bijection with full avalanche. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
