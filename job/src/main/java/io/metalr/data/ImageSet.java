package io.metalr.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.metalr.udf.image.Augmenter;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * A decoded, labelled image set in host memory: {@code n} images of {@code channels x height x
 * width} float32 values (already normalised) and their class labels. Readers produce these; the
 * trainer cuts batches from them.
 */
public final class ImageSet implements java.io.Serializable {

    private static final long serialVersionUID = 1L;

    private final String name;
    private final float[] pixels;
    private final int[] labels;
    private final int channels;
    private final int height;
    private final int width;
    private final int numClasses;
    /** The patient (or volume slab) of each image, null entries where unknown; splits and folds group by it. */
    private final String[] patientIds;

    public ImageSet(String name, float[] pixels, int[] labels, int channels, int height, int width, int numClasses) {
        this(name, pixels, labels, new String[labels.length], channels, height, width, numClasses);
    }

    public ImageSet(String name, float[] pixels, int[] labels, String[] patientIds, int channels, int height, int width,
            int numClasses) {
        long per = (long) channels * height * width;
        if (per * labels.length != pixels.length) {
            throw new IllegalArgumentException(
                    name + ": " + pixels.length + " pixel values for " + labels.length + " images of "
                            + channels + "x" + height + "x" + width);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException(
                        name + ": row " + i + " has label " + labels[i] + ", outside 0.." + (numClasses - 1));
            }
        }
        this.name = name;
        this.pixels = pixels;
        this.labels = labels;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.numClasses = numClasses;
        if (patientIds.length != labels.length) {
            throw new IllegalArgumentException(name + ": " + patientIds.length + " patient ids for " + labels.length + " images");
        }
        this.patientIds = patientIds;
    }

    /** A copy of the patient ids (null entries where unknown). */
    public String[] patientIds() {
        return patientIds.clone();
    }

    public String name() {
        return name;
    }

    public int size() {
        return labels.length;
    }

    public int channels() {
        return channels;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    public int numClasses() {
        return numClasses;
    }

    public int label(int i) {
        return labels[i];
    }

    public int imageSize() {
        return channels * height * width;
    }

    /** Images per class. */
    public long[] classCounts() {
        long[] c = new long[numClasses];
        for (int l : labels) {
            c[l]++;
        }
        return c;
    }

    /** The images at the given indices, as a new set. */
    public ImageSet subset(String subsetName, int[] indices) {
        int[] lb = new int[indices.length];
        String[] pid = new String[indices.length];
        for (int k = 0; k < indices.length; k++) {
            lb[k] = labels[indices[k]];
            pid[k] = patientIds[indices[k]];
        }
        return new ImageSet(subsetName, gather(indices), lb, pid, channels, height, width, numClasses);
    }

    /** The pixels of the given images, one after the other. */
    private float[] gather(int[] indices) {
        int per = imageSize();
        float[] px = new float[indices.length * per];
        for (int k = 0; k < indices.length; k++) {
            System.arraycopy(pixels, indices[k] * per, px, k * per, per);
        }
        return px;
    }

    /** The images of several sets of one shape, in order. */
    public static ImageSet concat(String name, ImageSet... sets) {
        ImageSet first = sets[0];
        int per = first.imageSize();
        int n = 0;
        for (ImageSet s : sets) {
            if (s.imageSize() != per || s.channels != first.channels || s.numClasses != first.numClasses) {
                throw new IllegalArgumentException("cannot join " + s.name + " and " + first.name + ": shapes or classes differ");
            }
            n += s.size();
        }
        float[] px = new float[n * per];
        int[] lb = new int[n];
        String[] pid = new String[n];
        int at = 0;
        for (ImageSet s : sets) {
            System.arraycopy(s.pixels, 0, px, at * per, s.size() * per);
            System.arraycopy(s.labels, 0, lb, at, s.size());
            System.arraycopy(s.patientIds, 0, pid, at, s.size());
            at += s.size();
        }
        return new ImageSet(name, px, lb, pid, first.channels, first.height, first.width, first.numClasses);
    }

    /**
     * Adds this set's shape, labels and pixels (after preprocessing) to {@code d}: the same images
     * in the same order give the same digest, so a run can tell whether its data changed.
     */
    public FloatDigest digestInto(FloatDigest d) {
        return d.add(channels).add(height).add(width).add(numClasses).add(labels).add(pixels);
    }

    /**
     * A training batch with augmentation: each image is cropped, resized back and maybe flipped as
     * {@code augmenter} draws for (seed, epoch, image index), so a rerun or a retried task sees
     * the same pixels.
     */
    public Batch augmentedBatch(NDManager manager, int[] indices, Augmenter augmenter, long seed, int epoch) {
        return augmentedBatch(manager, indices, indices, augmenter, seed, epoch);
    }

    /**
     * As {@link #augmentedBatch(NDManager, int[], Augmenter, long, int)}, with each image's random
     * draw keyed by {@code sampleKeys} (a shard keys its images by their index in the whole set,
     * so a distributed run augments exactly as a single process does).
     */
    public Batch augmentedBatch(NDManager manager, int[] indices, int[] sampleKeys, Augmenter augmenter, long seed, int epoch) {
        int per = imageSize();
        float[] px = new float[indices.length * per];
        float[] one = new float[per];
        long[] lb = new long[indices.length];
        for (int k = 0; k < indices.length; k++) {
            System.arraycopy(pixels, indices[k] * per, one, 0, per);
            augmenter.apply(one, channels, height, width, px, k * per, seed, epoch, sampleKeys[k]);
            lb[k] = labels[indices[k]];
        }
        NDArray x = manager.create(FloatBuffer.wrap(px), new Shape(indices.length, channels, height, width));
        return new Batch(x, manager.create(lb));
    }

    /** A batch on the manager's device, from the images at the given indices. */
    public Batch batch(NDManager manager, int[] indices) {
        long[] lb = new long[indices.length];
        for (int k = 0; k < indices.length; k++) {
            lb[k] = labels[indices[k]];
        }
        NDArray x = manager.create(FloatBuffer.wrap(gather(indices)), new Shape(indices.length, channels, height, width));
        return new Batch(x, manager.create(lb));
    }

    @Override
    public String toString() {
        return name + ": " + size() + " images " + channels + "x" + height + "x" + width
                + ", class counts " + Arrays.toString(classCounts());
    }
}
