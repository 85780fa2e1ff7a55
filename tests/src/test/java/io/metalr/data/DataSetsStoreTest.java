package io.metalr.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.typesafe.config.ConfigFactory;
import io.metalr.TestImages;
import io.metalr.config.JobConfig;
import io.metalr.data.read.OnBadRecord;
import io.metalr.data.read.Sample;
import io.metalr.data.read.SampleSet;
import io.metalr.udf.image.BadRecordException;
import io.metalr.udf.image.ImageDecoder;
import io.metalr.udf.image.Preprocessor;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A loaded set keeps the decoder's 8-bit codes in one store file under data.cache.dir (a byte a
 * value, not four), and its batches are bitwise the images decoded and preprocessed directly.
 */
class DataSetsStoreTest {

    private static final String[] SPLITS = {"train", "val", "test"};

    @TempDir
    Path cache;

    @Test
    void eightBitImagesAreStoredAsCodesAndBatchedAsTheirPreprocessedFloats() throws Exception {
        Random rnd = new Random(8);
        List<byte[]> pngs = new ArrayList<>();
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            BufferedImage img = new BufferedImage(20, 20, i % 2 == 0 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 20; y++) {
                for (int x = 0; x < 20; x++) {
                    img.setRGB(x, y, rnd.nextInt());
                }
            }
            byte[] png = TestImages.png(img);
            pngs.add(png);
            samples.add(new Sample("img" + i, ImageDecoder.decodeRaw(png, "img" + i, 1000), i % 2, "p" + i, SPLITS[i % 3]));
        }
        JobConfig cfg = JobConfig.of(ConfigFactory.parseString("data.format = folder\ndata.path = x\n"
                + "data.image_size = 16\ndata.channels = 3\ndata.mean = [0.4, 0.5, 0.6]\ndata.std = [0.2]\n"
                + "data.cache.dir = \"" + cache + "\""));
        DataSets.Loaded d = DataSets.fromSamples(cfg, new SampleSet("scans", samples, List.of("a", "b"), 0),
                OnBadRecord.FAIL);

        List<Path> files;
        try (Stream<Path> s = Files.list(cache)) {
            files = s.toList();
        }
        assertEquals(1, files.size(), "one store for the three splits: " + files);
        long codes = 15L * 20 * 20 + 15L * 3 * 20 * 20; // 15 gray and 15 RGB images, a byte a value
        long size = Files.size(files.get(0));
        assertTrue(size >= codes && size < codes + 30 * 40 + 200, size + " bytes for " + codes + " codes");

        Preprocessor pre = d.preprocessor();
        int[] train = IntStream.range(0, 30).filter(i -> i % 3 == 0).toArray();
        float[] want = new float[train.length * 3 * 16 * 16];
        for (int k = 0; k < train.length; k++) {
            int i = train[k];
            float[] in = pre.apply(ImageDecoder.decode(pngs.get(i), "img" + i), "img" + i).data();
            System.arraycopy(in, 0, want, k * in.length, in.length);
        }
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            float[] got = d.train().batch(m, IntStream.range(0, train.length).toArray()).x().toFloatArray();
            assertEquals(want.length, got.length);
            for (int i = 0; i < want.length; i++) {
                assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), "value " + i);
            }
        }
        assertArrayEquals(new long[] {5, 5}, d.train().classCounts());
    }

    @Test
    void aBadSampleStillFailsNamingItOrIsSkipped() throws Exception {
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            float[] px = new float[16];
            px[3] = i == 4 ? Float.NaN : 0.5f;
            samples.add(new Sample("slice" + i, new io.metalr.udf.image.Image(px, 1, 4, 4), i % 2, null, SPLITS[i % 3]));
        }
        JobConfig cfg = JobConfig.of(ConfigFactory.parseString("data.format = nifti\ndata.path = x\n"
                + "data.cache.dir = \"" + cache + "\""));
        SampleSet set = new SampleSet("vol", samples, List.of("a", "b"), 0);
        BadRecordException e = org.junit.jupiter.api.Assertions.assertThrows(BadRecordException.class,
                () -> DataSets.fromSamples(cfg, set, OnBadRecord.FAIL));
        assertTrue(e.getMessage().startsWith("slice4: input value NaN at (c,y,x)=(0,0,3)"), e.getMessage());
        try (Stream<Path> s = Files.list(cache)) {
            assertEquals(0, s.count(), "the failed load's store file is removed");
        }
        DataSets.Loaded d = DataSets.fromSamples(cfg, set, OnBadRecord.SKIP);
        assertEquals(1, d.skipped());
        assertEquals(8, d.train().size() + d.val().size() + d.test().size());
    }
}
