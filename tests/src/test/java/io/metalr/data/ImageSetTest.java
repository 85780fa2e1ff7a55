package io.metalr.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.metalr.TestImages;
import io.metalr.data.store.MappedStore;
import io.metalr.data.store.StoreWriter;
import io.metalr.udf.image.Augmenter;
import io.metalr.udf.image.Image;
import io.metalr.udf.image.ImageDecoder;
import io.metalr.udf.image.Preprocessor;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An image set over a store of decoder codes gives what a set of floats preprocessed up front gave
 * (batches, augmented batches, digest), views included, and survives Java serialization.
 */
class ImageSetTest {

    private static final int N = 40;
    private static final Preprocessor PRE = new Preprocessor(10, 10, 3, new float[] {0.5f}, new float[] {0.25f});
    private static NDManager manager;

    /** 8- and 16-bit gray PNGs of 12x9 and their labels and patients. */
    private static byte[][] pngs = new byte[N][];
    private static int[] labels = new int[N];
    private static String[] patients = new String[N];

    @BeforeAll
    static void images() {
        Random rnd = new Random(4);
        for (int i = 0; i < N; i++) {
            BufferedImage img = new BufferedImage(12, 9,
                    i % 4 == 3 ? BufferedImage.TYPE_USHORT_GRAY : BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < 9; y++) {
                for (int x = 0; x < 12; x++) {
                    img.getRaster().setSample(x, y, 0, rnd.nextInt(i % 4 == 3 ? 65536 : 256));
                }
            }
            pngs[i] = TestImages.png(img);
            labels[i] = i % 3;
            patients[i] = i % 5 == 0 ? null : "p" + i / 2;
        }
        manager = NDManager.newBaseManager(Device.cpu());
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    /** The set as the store path builds it: codes, preprocessed per batch. */
    private static ImageSet coded(String name) {
        StoreWriter w = StoreWriter.createIn(null, "imageset-test-");
        for (int i = 0; i < N; i++) {
            w.add(i, labels[i], ImageDecoder.decodeRaw(pngs[i], "img" + i, 1000));
        }
        MappedStore s = w.finish();
        return new ImageSet(name, s, IntStream.range(0, N).toArray(), patients.clone(), PRE, 3, 10, 10, 3);
    }

    /** The set as it was built before stores: every image decoded and preprocessed into one array. */
    private static float[] preprocessed() {
        float[] px = new float[N * 300];
        for (int i = 0; i < N; i++) {
            Image in = PRE.apply(ImageDecoder.decode(pngs[i], "img" + i), "img" + i);
            System.arraycopy(in.data(), 0, px, i * 300, 300);
        }
        return px;
    }

    private static ImageSet reference(String name) {
        return new ImageSet(name, preprocessed(), labels.clone(), patients.clone(), 3, 10, 10, 3);
    }

    private static void assertSameBatches(ImageSet want, ImageSet got, int[] idx) {
        assertEquals(want.size(), got.size());
        assertArrayEquals(want.patientIds(), got.patientIds());
        assertArrayEquals(want.classCounts(), got.classCounts());
        for (int i = 0; i < want.size(); i++) {
            assertEquals(want.label(i), got.label(i));
        }
        Augmenter aug = Augmenter.defaults();
        int[] keys = Arrays.stream(idx).map(i -> 1000 + i).toArray();
        assertBitwise(want.batch(manager, idx).x().toFloatArray(), got.batch(manager, idx).x().toFloatArray());
        assertArrayEquals(want.batch(manager, idx).y().toLongArray(), got.batch(manager, idx).y().toLongArray());
        assertBitwise(want.augmentedBatch(manager, idx, keys, aug, 9, 3).x().toFloatArray(),
                got.augmentedBatch(manager, idx, keys, aug, 9, 3).x().toFloatArray());
        assertEquals(want.digestInto(new FloatDigest()).hex(), got.digestInto(new FloatDigest()).hex());
    }

    @Test
    void codesPreprocessedPerBatchAreBitwiseTheSetPreprocessedAtLoad() {
        int[] idx = {5, 0, 39, 3, 3, 17, 22, 8};
        assertSameBatches(reference("ref"), coded("codes"), idx);
    }

    @Test
    void digestIsTheDigestOfAllModelInputsInOneArray() {
        FloatDigest want = new FloatDigest().add(3).add(10).add(10).add(3).add(labels).add(preprocessed());
        assertEquals(want.hex(), coded("codes").digestInto(new FloatDigest()).hex());
    }

    @Test
    void subsetsAndConcatsAreViewsGivingTheSameImages() {
        ImageSet ref = reference("ref");
        ImageSet codes = coded("codes");
        int[] a = {1, 4, 9, 30, 2};
        int[] b = {39, 0, 12};
        int[] both = IntStream.concat(Arrays.stream(a), Arrays.stream(b)).toArray();
        ImageSet sameStore = ImageSet.concat("joined", codes.subset("a", a), codes.subset("b", b));
        // a second store: joined over two files
        ImageSet twoStores = ImageSet.concat("joined2", codes.subset("a", a), coded("other").subset("b", b));
        ImageSet want = ref.subset("both", both);
        int[] all = IntStream.range(0, both.length).toArray();
        assertSameBatches(want, sameStore, all);
        assertSameBatches(want, twoStores, all);
        assertSameBatches(want.subset("x", new int[] {6, 1}), twoStores.subset("x", new int[] {6, 1}), new int[] {0, 1});
        assertEquals("joined: 8 images 3x10x10, class counts " + Arrays.toString(want.classCounts()), sameStore.toString());
        ImageSet floats = new ImageSet("f", new float[300], new int[] {0}, 3, 10, 10, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageSet.concat("x", codes, floats));
        assertTrue(e.getMessage().contains("preprocessing"), e.getMessage());
    }

    @Test
    void serializedSetsAreRebuiltOnTheOtherSide() throws Exception {
        ImageSet codes = coded("codes");
        ImageSet sub = codes.subset("codes/shard1", new int[] {7, 3, 19, 38});
        byte[] wire = serialize(sub);
        // only the subset's codes travel: 4 images of at most 2 bytes a pixel, not the 40 of the store
        assertTrue(wire.length < 4 * 108 * 2 + 2000, wire.length + " bytes");
        ImageSet back = deserialize(wire);
        assertEquals("codes/shard1", back.name());
        assertEquals(PRE, back.preprocessor());
        assertSameBatches(sub, back, new int[] {0, 3, 1, 2, 2});
        assertSameBatches(reference("ref").subset("r", new int[] {7, 3, 19, 38}), back, new int[] {3, 2});

    }

    @Test
    void readyInputsWithNaNSurviveSerialization() throws Exception {
        float[] px = preprocessed();
        px[301] = Float.NaN;
        ImageSet floats = new ImageSet("nan", px, labels.clone(), patients.clone(), 3, 10, 10, 3);
        ImageSet back = deserialize(serialize(ImageSet.concat("j", floats.subset("a", new int[] {1, 2}),
                new ImageSet("more", preprocessed(), labels.clone(), 3, 10, 10, 3).subset("b", new int[] {5}))));
        assertEquals(3, back.size());
        float[] x = back.batch(manager, new int[] {0, 1, 2}).x().toFloatArray();
        assertTrue(Float.isNaN(x[1]));
        assertBitwise(Arrays.copyOfRange(preprocessed(), 5 * 300, 6 * 300), Arrays.copyOfRange(x, 600, 900));
        assertEquals(null, back.preprocessor());
    }

    private static byte[] serialize(Object o) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(b)) {
            out.writeObject(o);
        }
        return b.toByteArray();
    }

    private static ImageSet deserialize(byte[] b) throws IOException, ClassNotFoundException {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(b))) {
            return (ImageSet) in.readObject();
        }
    }

    private static void assertBitwise(float[] want, float[] got) {
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                assertArrayEquals(want, got, "value " + i);
            }
        }
    }
}
