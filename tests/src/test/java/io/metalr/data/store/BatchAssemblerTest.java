package io.metalr.data.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.Device;
import io.metalr.TestImages;
import io.metalr.data.Batch;
import io.metalr.udf.image.Augmenter;
import io.metalr.udf.image.Image;
import io.metalr.udf.image.ImageDecoder;
import io.metalr.udf.image.Preprocessor;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batches from a store of decoder codes are bitwise the batches of images decoded to floats,
 * preprocessed and augmented directly (the load-time path the store replaces), on 8- and 16-bit,
 * gray, RGB and palette images of several sizes, gray to RGB, resized, across tiny windows.
 */
class BatchAssemblerTest {

    @TempDir
    Path dir;

    /** PNG and JPEG bytes of every kind the decoder keeps as codes, of mixed sizes. */
    private static List<byte[]> encoded() {
        Random rnd = new Random(11);
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            int w = 5 + rnd.nextInt(9);
            int h = 5 + rnd.nextInt(9);
            BufferedImage img = switch (i % 5) {
                case 0 -> new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
                case 1 -> new BufferedImage(w, h, BufferedImage.TYPE_USHORT_GRAY);
                case 2 -> new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
                case 3 -> new BufferedImage(w, h, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(8, 4,
                        new byte[] {0, 50, (byte) 200, (byte) 255}, new byte[] {9, 0, 100, 1}, new byte[] {3, 4, 5, 6}));
                default -> new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
            };
            int bands = img.getRaster().getNumBands();
            int max = i % 5 == 1 ? 65535 : i % 5 == 3 ? 3 : 255;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    for (int b = 0; b < bands; b++) {
                        img.getRaster().setSample(x, y, b, rnd.nextInt(max + 1));
                    }
                }
            }
            out.add(i == 4 ? jpeg(img) : TestImages.png(img));
        }
        return out;
    }

    private static byte[] jpeg(BufferedImage img) {
        try {
            java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
            javax.imageio.ImageIO.write(img, "jpeg", b);
            return b.toByteArray();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void batchesOfCodesAreBitwiseTheDecodedPreprocessedAndAugmentedImages() {
        List<byte[]> bytes = encoded();
        Preprocessor pre = new Preprocessor(9, 7, 3, new float[] {0.485f, 0.456f, 0.406f},
                new float[] {0.229f, 0.224f, 0.225f});
        Augmenter aug = Augmenter.defaults();
        StoreWriter w = StoreWriter.create(dir.resolve("codes.store"), 1024);
        for (int i = 0; i < bytes.size(); i++) {
            w.add(100 + i, i % 3, ImageDecoder.decodeRaw(bytes.get(i), "img" + i, 1_000_000));
        }
        int[] positions = {3, 0, 11, 7, 1, 2, 9, 4, 4};
        int[] keys = {30, 0, 110, 70, 10, 20, 90, 40, 41};
        int per = 3 * 9 * 7;
        float[] plain = new float[positions.length * per];
        float[] augmented = new float[positions.length * per];
        long[] labels = new long[positions.length];
        for (int k = 0; k < positions.length; k++) {
            int p = positions[k];
            Image in = pre.apply(ImageDecoder.decode(bytes.get(p), "img" + p), "img" + p);
            System.arraycopy(in.data(), 0, plain, k * per, per);
            aug.apply(in.data(), 3, 9, 7, augmented, k * per, 5L, 2, keys[k]);
            labels[k] = p % 3;
        }
        try (MappedStore store = w.finish(); NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Batch b = BatchAssembler.batch(m, store, positions, pre);
            assertArrayEquals(new long[] {positions.length, 3, 9, 7}, b.x().getShape().getShape());
            MappedStoreTest.assertBitwise(plain, b.x().toFloatArray(), "batch");
            assertArrayEquals(labels, b.y().toLongArray());
            Batch a = BatchAssembler.augmentedBatch(m, store, positions, keys, pre, aug, 5L, 2);
            MappedStoreTest.assertBitwise(augmented, a.x().toFloatArray(), "augmented batch");
            assertArrayEquals(labels, a.y().toLongArray());
            MappedStoreTest.assertBitwise(java.util.Arrays.copyOfRange(plain, 2 * per, 3 * per),
                    BatchAssembler.input(store, 11, pre), "one input");
        }
    }

    @Test
    void storedModelInputsAreUsedAsTheyAre() {
        float[][] inputs = new float[5][];
        Random rnd = new Random(3);
        StoreWriter w = StoreWriter.create(dir.resolve("floats.store"), 256);
        for (int i = 0; i < 5; i++) {
            inputs[i] = new float[2 * 4 * 3];
            for (int k = 0; k < inputs[i].length; k++) {
                inputs[i][k] = (float) rnd.nextGaussian();
            }
            inputs[i][i] = Float.NaN; // a NaN input travels to the step, which must see it
            w.add(i, i % 2, new Image(inputs[i], 2, 4, 3));
        }
        try (MappedStore store = w.finish(); NDManager m = NDManager.newBaseManager(Device.cpu())) {
            float[] want = new float[3 * 24];
            int[] positions = {4, 0, 2};
            for (int k = 0; k < 3; k++) {
                System.arraycopy(inputs[positions[k]], 0, want, k * 24, 24);
            }
            Batch b = BatchAssembler.batch(m, store, positions, null);
            MappedStoreTest.assertBitwise(want, b.x().toFloatArray(), "stored inputs");
            assertEquals(3, b.size());
        }
    }
}
