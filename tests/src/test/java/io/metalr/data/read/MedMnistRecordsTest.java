package io.metalr.data.read;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.TestSpark;
import io.metalr.data.Splits;
import io.metalr.data.load.InProcessLoader;
import io.metalr.data.load.LoadSpec;
import io.metalr.data.load.LoadedShards;
import io.metalr.data.load.LocalStores;
import io.metalr.data.load.RecordLoads;
import io.metalr.data.load.StoreHandle;
import io.metalr.data.records.PartedSource;
import io.metalr.data.records.Placement;
import io.metalr.data.records.RecordTable;
import io.metalr.udf.image.BadRecordException;
import io.metalr.udf.image.ImageDecoder;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A MedMNIST .npz as records: the driver reads the directory and labels only; tasks read row
 * ranges of a stored images entry, or a deflated entry whole; the stored floats are today's
 * reader's bit for bit, whatever the ranges; bad labels and bad pixels are named as today.
 */
class MedMnistRecordsTest {

    static final Splits.Ratios RATIOS = new Splits.Ratios(0.6, 0.2, 0.2);
    static final int H = 5;
    static final int W = 4;

    static SparkSession spark;

    @TempDir
    Path dir;

    @BeforeAll
    static void session() {
        spark = TestSpark.session();
    }

    static LoadSpec spec(OnBadRecord onBad) {
        return new LoadSpec(List.of(Splits.TRAIN, Splits.VAL, Splits.TEST), ImageDecoder.DEFAULT_MAX_PIXELS, onBad, "");
    }

    static byte[] rgb(int n, int seed) {
        byte[] px = new byte[n * H * W * 3];
        new Random(seed).nextBytes(px);
        return px;
    }

    /** RGB uint8 images (train 23, val 7, test 6), labels (N, 1) int64; train label 4 is -1 when asked. */
    static Map<String, byte[]> rgbSet(boolean badLabel) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        int[] counts = {23, 7, 6};
        String[] names = {"train", "val", "test"};
        for (int s = 0; s < 3; s++) {
            int n = counts[s];
            m.put(names[s] + "_images", TestFiles.npyU1(new long[] {n, H, W, 3}, rgb(n, s)));
            long[] labels = new long[n];
            for (int i = 0; i < n; i++) {
                labels[i] = (i * 7 + s) % 3;
            }
            if (badLabel && s == 0) {
                labels[4] = -1;
            }
            m.put(names[s] + "_labels", TestFiles.npyI8(new long[] {n, 1}, labels, ByteOrder.LITTLE_ENDIAN));
        }
        return m;
    }

    /** Today's float of a uint8 RGB pixel, from the file's bytes (HWC) and MedMNIST's scale, not from a reader. */
    static float[] expected(byte[] px, int i) {
        float[] out = new float[3 * H * W];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                for (int c = 0; c < 3; c++) {
                    out[c * H * W + y * W + x] = (px[((i * H + y) * W + x) * 3 + c] & 0xff) * (1f / 255f);
                }
            }
        }
        return out;
    }

    RecordTable records(Path f, OnBadRecord onBad, long partBytes) throws Exception {
        return MedMnistReader.records(f.toString(), onBad, 0, DataLimits.DEFAULTS, partBytes, DataPaths.configuration());
    }

    static List<String> shas(LoadedShards l) {
        List<String> out = new ArrayList<>();
        for (StoreHandle h : l.handles()) {
            out.add(h.key().split() + "/" + h.key().shard() + " " + h.count() + " " + h.sha256());
        }
        return out;
    }

    @Test
    void rowRangesOfAStoredEntryLoadOnSparkAsInProcessWithTodaysFloats() throws Exception {
        Map<String, byte[]> arrays = rgbSet(true);
        Path f = TestFiles.write(dir.resolve("bloodmnist.npz"), TestFiles.npz(arrays, false));
        SampleSet today = MedMnistReader.read(f.toString(), OnBadRecord.SKIP);
        // 3 rows a part: a tiny data.read.partition_mb
        RecordTable rec = records(f, OnBadRecord.SKIP, 3L * H * W * 3);
        FileRecordsTest.sameAsSamples(rec, today);
        assertEquals(1, rec.skipped());
        assertTrue(((PartedSource<?>) rec.source()).parts().size() >= 8 + 3 + 2, "train 23 rows in parts of 3");
        Map<Long, float[]> ref = FileRecordsTest.reference(rec, today);
        // today's floats are MedMNIST's scale of the file's bytes
        int[] base = {0, 23, 30};
        String[] names = {"train", "val", "test"};
        for (int k = 0; k < rec.size(); k++) {
            long rid = rec.rid(k);
            int s = rid < 23 ? 0 : rid < 30 ? 1 : 2;
            assertArrayEquals(expected(rgb(new int[] {23, 7, 6}[s], s), (int) (rid - base[s])), ref.get(rid));
            assertEquals("bloodmnist.npz:" + names[s] + "[" + (rid - base[s]) + "]", rec.where(rid));
        }
        Placement p = Placement.of(rec, RATIOS, 9, 2);
        LoadedShards ranged = RecordLoads.checkBothWays(spark, rec, p, spec(OnBadRecord.FAIL), ref::get);
        // uint8 rows stay one byte a value (F32 would take four): only the index adds to the codes
        long values = ranged.images() * 3L * H * W;
        assertTrue(ranged.bytes() >= values && ranged.bytes() < values + 64L * ranged.images() + 4096,
                ranged.bytes() + " bytes for " + values + " 8-bit values");
        List<String> rangedSha = shas(ranged);
        LocalStores.release(ranged.dataKey());

        // one range per entry: the same stores
        RecordTable whole = records(f, OnBadRecord.SKIP, 64L << 20);
        assertEquals(3, ((PartedSource<?>) whole.source()).parts().size());
        LoadedShards one = InProcessLoader.load(whole, Placement.of(whole, RATIOS, 9, 2), spec(OnBadRecord.FAIL));
        assertEquals(rangedSha, shas(one));
        LocalStores.release(one.dataKey());

        // deflated (savez_compressed): one part per entry, streamed whole by one task; the same stores
        Path z = TestFiles.write(dir.resolve("deflated.npz"), TestFiles.npz(arrays, true));
        RecordTable deflated = records(z, OnBadRecord.SKIP, 3L * H * W * 3);
        assertEquals(3, ((PartedSource<?>) deflated.source()).parts().size());
        Map<Long, float[]> same = new HashMap<>(ref);
        LoadedShards d = RecordLoads.checkBothWays(spark, deflated, Placement.of(deflated, RATIOS, 9, 2),
                spec(OnBadRecord.FAIL), same::get);
        assertEquals(rangedSha, shas(d));
        LocalStores.release(d.dataKey());
    }

    @Test
    void aBadLabelOrPixelIsNamedAsToday() throws Exception {
        Map<String, byte[]> m = rgbSet(true);
        Path f = TestFiles.write(dir.resolve("a.npz"), TestFiles.npz(m, false));
        BadRecordException label = assertThrows(BadRecordException.class,
                () -> MedMnistReader.read(f.toString(), OnBadRecord.FAIL));
        assertEquals(label.getMessage(),
                assertThrows(BadRecordException.class, () -> records(f, OnBadRecord.FAIL, 1 << 20)).getMessage());

        // float images with a NaN pixel in val[2]: found by the task that reads it
        Map<String, byte[]> floats = new LinkedHashMap<>();
        float[] px = new float[10 * H * W];
        for (int i = 0; i < px.length; i++) {
            px[i] = (i % 17) / 16f;
        }
        px[2 * H * W + 7] = Float.NaN;
        floats.put("train_images", TestFiles.npyF4(new long[] {6, H, W}, java.util.Arrays.copyOf(px, 6 * H * W)));
        floats.put("train_labels", TestFiles.npyI8(new long[] {6}, new long[] {0, 1, 0, 1, 0, 1}, ByteOrder.LITTLE_ENDIAN));
        floats.put("val_images", TestFiles.npyF4(new long[] {4, H, W},
                java.util.Arrays.copyOfRange(px, 0, 4 * H * W)));
        floats.put("val_labels", TestFiles.npyI8(new long[] {4}, new long[] {1, 0, 1, 0}, ByteOrder.LITTLE_ENDIAN));
        floats.put("test_images", TestFiles.npyF4(new long[] {2, H, W},
                java.util.Arrays.copyOfRange(px, 4 * H * W, 6 * H * W)));
        floats.put("test_labels", TestFiles.npyI8(new long[] {2}, new long[] {1, 0}, ByteOrder.LITTLE_ENDIAN));
        Path g = TestFiles.write(dir.resolve("f.npz"), TestFiles.npz(floats, false));
        BadRecordException pixel = assertThrows(BadRecordException.class,
                () -> MedMnistReader.read(g.toString(), OnBadRecord.FAIL));
        RecordTable rec = records(g, OnBadRecord.FAIL, 2L * H * W * 4);
        Placement p = Placement.of(rec, RATIOS, 1, 1);
        BadRecordException loaded = assertThrows(BadRecordException.class,
                () -> InProcessLoader.load(rec, p, spec(OnBadRecord.FAIL)));
        // two images hold the NaN (train[2], val[2]): today names the first, so does the load
        assertEquals(pixel.getMessage() + " (and 1 more bad records)", loaded.getMessage());
    }
}
