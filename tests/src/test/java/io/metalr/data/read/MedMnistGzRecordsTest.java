package io.metalr.data.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.Compress;
import io.metalr.TestSpark;
import io.metalr.data.load.InProcessLoader;
import io.metalr.data.load.LoadedShards;
import io.metalr.data.load.LocalStores;
import io.metalr.data.load.RecordLoads;
import io.metalr.data.records.PartedSource;
import io.metalr.data.records.Placement;
import io.metalr.data.records.RecordTable;
import io.metalr.udf.image.BadRecordException;
import io.metalr.udf.image.ImageDecoder;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gzipped MedMNIST {@code .npz.gz} as records: the driver inflates it for the labels only (an
 * images entry over data.max_file_bytes does not stop it), one task inflates it again for the
 * images; records, stored values and messages are today's reader's, whatever the entries' order.
 */
class MedMnistGzRecordsTest {

    static final int H = MedMnistRecordsTest.H;
    static final int W = MedMnistRecordsTest.W;

    static final SparkSession spark = TestSpark.session();

    @TempDir
    Path dir;

    Path gz(String name, Map<String, byte[]> arrays, boolean deflate) {
        return TestFiles.write(dir.resolve(name), Compress.gzip(TestFiles.npz(arrays, deflate)));
    }

    static RecordTable records(Path f, OnBadRecord onBad, DataLimits limits) throws Exception {
        return MedMnistReader.records(f.toString(), onBad, 0, limits, 1 << 20, DataPaths.configuration());
    }

    @Test
    void aGzippedNpzLoadsOnSparkAsInProcessWithTodaysValuesInAnyEntryOrder() throws Exception {
        Map<String, byte[]> arrays = MedMnistRecordsTest.rgbSet(true);
        Path f = gz("bloodmnist.npz.gz", arrays, false);
        SampleSet today = MedMnistReader.read(f.toString(), OnBadRecord.SKIP);
        RecordTable rec = records(f, OnBadRecord.SKIP, DataLimits.DEFAULTS);
        FileRecordsTest.sameAsSamples(rec, today);
        assertEquals(1, rec.skipped());
        assertEquals(1, ((PartedSource<?>) rec.source()).parts().size(), "a gzip stream is one part");
        for (int i = 0; i < rec.size(); i++) {
            assertEquals(today.samples().get(i).id(), rec.where(rec.rid(i)));
        }
        Map<Long, float[]> ref = FileRecordsTest.reference(rec, today);
        Placement p = Placement.of(rec, MedMnistRecordsTest.RATIOS, 9, 2);
        LoadedShards loaded = RecordLoads.checkBothWays(spark, rec, p, MedMnistRecordsTest.spec(OnBadRecord.FAIL),
                ref::get);
        List<String> sha = MedMnistRecordsTest.shas(loaded);
        LocalStores.release(loaded.dataKey());

        // the same arrays ungzipped: the same stores
        Path plain = TestFiles.write(dir.resolve("bloodmnist.npz"), TestFiles.npz(arrays, false));
        RecordTable stored = records(plain, OnBadRecord.SKIP, DataLimits.DEFAULTS);
        LoadedShards s = InProcessLoader.load(stored, Placement.of(stored, MedMnistRecordsTest.RATIOS, 9, 2),
                MedMnistRecordsTest.spec(OnBadRecord.FAIL));
        assertEquals(sha, MedMnistRecordsTest.shas(s));
        LocalStores.release(s.dataKey());

        // deflated entries, test first and labels between images: an entry met before its turn waits
        Map<String, byte[]> shuffled = new LinkedHashMap<>();
        for (String key : new String[] {"test_images", "train_labels", "val_images", "test_labels", "train_images",
            "val_labels"}) {
            shuffled.put(key, arrays.get(key));
        }
        Path d = gz("shuffled.npz.gz", shuffled, true);
        RecordTable deflated = records(d, OnBadRecord.SKIP, DataLimits.DEFAULTS);
        FileRecordsTest.sameAsSamples(deflated, today);
        LoadedShards again = RecordLoads.checkBothWays(spark, deflated,
                Placement.of(deflated, MedMnistRecordsTest.RATIOS, 9, 2), MedMnistRecordsTest.spec(OnBadRecord.FAIL),
                ref::get);
        assertEquals(sha, MedMnistRecordsTest.shas(again));
        LocalStores.release(again.dataKey());

        // only the val split wanted: the task passes over train's and test's images
        LoadedShards val = InProcessLoader.load(rec, p, new io.metalr.data.load.LoadSpec(
                List.of(io.metalr.data.Splits.VAL), ImageDecoder.DEFAULT_MAX_PIXELS, OnBadRecord.FAIL, ""));
        assertEquals(7, val.images());
        LocalStores.release(val.dataKey());
    }

    @Test
    void theLabelPassHoldsNoImageAndBadRecordsAreNamedAsToday() throws Exception {
        Map<String, byte[]> arrays = MedMnistRecordsTest.rgbSet(false);
        Path f = gz("big.npz.gz", arrays, true);
        // train_images is 23 x 5 x 4 x 3 = 1380 bytes of pixels; labels are 8 bytes each
        DataLimits small = new DataLimits(ImageDecoder.DEFAULT_MAX_PIXELS, 1000);
        RecordTable rec = records(f, OnBadRecord.FAIL, small);
        assertEquals(36, rec.size());
        BadRecordException big = assertThrows(BadRecordException.class, () -> InProcessLoader.load(rec,
                Placement.of(rec, MedMnistRecordsTest.RATIOS, 9, 1), MedMnistRecordsTest.spec(OnBadRecord.FAIL)));
        assertTrue(big.getMessage().contains("big.npz.gz key train_images") && big.getMessage().contains(
                "data.max_file_bytes"), big.getMessage());

        Path bad = gz("badlabel.npz.gz", MedMnistRecordsTest.rgbSet(true), false);
        BadRecordException today = assertThrows(BadRecordException.class,
                () -> MedMnistReader.read(bad.toString(), OnBadRecord.FAIL));
        assertEquals(today.getMessage(), assertThrows(BadRecordException.class,
                () -> records(bad, OnBadRecord.FAIL, DataLimits.DEFAULTS)).getMessage());

        // float images, a NaN in train[1]: found by the task, with today's message
        float[] px = new float[4 * H * W];
        for (int i = 0; i < px.length; i++) {
            px[i] = (i % 13) / 12f;
        }
        px[H * W + 3] = Float.NaN;
        Map<String, byte[]> floats = new LinkedHashMap<>();
        floats.put("train_images", TestFiles.npyF4(new long[] {4, H, W}, px));
        floats.put("train_labels", TestFiles.npyI8(new long[] {4}, new long[] {0, 1, 0, 1}, ByteOrder.BIG_ENDIAN));
        for (String split : new String[] {"val", "test"}) {
            floats.put(split + "_images", TestFiles.npyF4(new long[] {2, H, W},
                    java.util.Arrays.copyOfRange(px, 2 * H * W, 4 * H * W)));
            floats.put(split + "_labels", TestFiles.npyI8(new long[] {2}, new long[] {1, 0}, ByteOrder.LITTLE_ENDIAN));
        }
        Path nan = gz("nan.npz.gz", floats, true);
        BadRecordException pixel = assertThrows(BadRecordException.class,
                () -> MedMnistReader.read(nan.toString(), OnBadRecord.FAIL));
        RecordTable f4 = records(nan, OnBadRecord.FAIL, DataLimits.DEFAULTS);
        BadRecordException loaded = assertThrows(BadRecordException.class, () -> InProcessLoader.load(f4,
                Placement.of(f4, MedMnistRecordsTest.RATIOS, 1, 1), MedMnistRecordsTest.spec(OnBadRecord.FAIL)));
        assertEquals(pixel.getMessage(), loaded.getMessage());

        // a gzip stream cut short: named, on the driver
        byte[] whole = Compress.gzip(TestFiles.npz(arrays, true));
        Path cut = TestFiles.write(dir.resolve("cut.npz.gz"), TestFiles.cut(whole, whole.length / 2));
        BadRecordException c = assertThrows(BadRecordException.class,
                () -> records(cut, OnBadRecord.FAIL, DataLimits.DEFAULTS));
        assertTrue(c.getMessage().startsWith("cut.npz.gz: "), c.getMessage());
    }
}
