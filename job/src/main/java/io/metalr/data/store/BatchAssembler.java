package io.metalr.data.store;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.metalr.data.Batch;
import io.metalr.udf.image.Augmenter;
import io.metalr.udf.image.Image;
import io.metalr.udf.image.Preprocessor;

import java.nio.FloatBuffer;

/**
 * Cuts batches from a store: per image, the decoder's floats (codes through its table), then the
 * preprocessing ({@link Preprocessor#apply}: channels, bilinear resize, normalisation), then for
 * training the augmentation keyed by the image's sample key. This is the arithmetic the readers
 * did at load time, done per batch on the same floats, so the model inputs are bitwise those of a
 * set preprocessed up front.
 *
 * <p>A null preprocessor means the store already holds model inputs (float sets built in memory,
 * synthetic data): they are used as they are.
 */
public final class BatchAssembler {

    private BatchAssembler() {}

    /** A batch of the images at {@code positions}, labels from the store. */
    public static Batch batch(NDManager manager, Store store, int[] positions, Preprocessor pre) {
        int[] shape = shape(store, positions, pre);
        int per = shape[0] * shape[1] * shape[2];
        float[] px = new float[Math.multiplyExact(positions.length, per)];
        for (int k = 0; k < positions.length; k++) {
            inputInto(store, positions[k], pre, shape, px, k * per);
        }
        return create(manager, store, positions, shape, px);
    }

    /**
     * A training batch: each preprocessed image is cropped, resized back and maybe flipped as
     * {@code augmenter} draws for (seed, epoch, {@code sampleKeys[k]}).
     */
    public static Batch augmentedBatch(NDManager manager, Store store, int[] positions, int[] sampleKeys,
            Preprocessor pre, Augmenter augmenter, long seed, int epoch) {
        if (sampleKeys.length != positions.length) {
            throw new IllegalArgumentException(sampleKeys.length + " sample keys for " + positions.length + " images");
        }
        int[] shape = shape(store, positions, pre);
        int per = shape[0] * shape[1] * shape[2];
        float[] px = new float[Math.multiplyExact(positions.length, per)];
        float[] one = new float[per];
        for (int k = 0; k < positions.length; k++) {
            inputInto(store, positions[k], pre, shape, one, 0);
            augmenter.apply(one, shape[0], shape[1], shape[2], px, k * per, seed, epoch, sampleKeys[k]);
        }
        return create(manager, store, positions, shape, px);
    }

    /** The model input of one image ({@code channels * height * width} floats). */
    public static float[] input(Store store, int position, Preprocessor pre) {
        int[] shape = pre != null ? new int[] {pre.channels(), pre.height(), pre.width()}
                : new int[] {store.channels(position), store.height(position), store.width(position)};
        float[] out = new float[shape[0] * shape[1] * shape[2]];
        inputInto(store, position, pre, shape, out, 0);
        return out;
    }

    private static void inputInto(Store store, int position, Preprocessor pre, int[] shape, float[] out, int at) {
        if (pre == null) {
            if (store.channels(position) != shape[0] || store.height(position) != shape[1]
                    || store.width(position) != shape[2]) {
                throw new IllegalStateException(store.describe(position) + " is " + store.channels(position) + "x"
                        + store.height(position) + "x" + store.width(position) + ", not " + shape[0] + "x" + shape[1]
                        + "x" + shape[2] + " as the batch's first image");
            }
            store.imageInto(position, out, at);
            return;
        }
        Image img = pre.apply(store.image(position), store.describe(position));
        System.arraycopy(img.data(), 0, out, at, img.data().length);
    }

    /** C,H,W of the batch: the preprocessor's, or the first stored image's. */
    private static int[] shape(Store store, int[] positions, Preprocessor pre) {
        if (pre != null) {
            return new int[] {pre.channels(), pre.height(), pre.width()};
        }
        if (positions.length == 0) {
            throw new IllegalArgumentException("an empty batch of " + store + " has no shape");
        }
        int p = positions[0];
        return new int[] {store.channels(p), store.height(p), store.width(p)};
    }

    private static Batch create(NDManager manager, Store store, int[] positions, int[] shape, float[] px) {
        long[] lb = new long[positions.length];
        for (int k = 0; k < positions.length; k++) {
            lb[k] = store.label(positions[k]);
        }
        NDArray x = manager.create(FloatBuffer.wrap(px), new Shape(positions.length, shape[0], shape[1], shape[2]));
        return new Batch(x, manager.create(lb));
    }
}
