package io.metalr.data.read;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.metalr.Compress;
import io.metalr.TestSpark;
import io.metalr.config.JobConfig;
import io.metalr.data.DataSets;
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

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * IDX files as records: tasks read row ranges of a raw file, a .gz file whole; the stored images
 * are today's floats bit for bit (as 8-bit codes), Spark's stores the in-process ones, a cut-off
 * gzip tail is named as today, and the in-process data set is today's.
 */
class IdxRecordsTest {

    static final Splits.Ratios RATIOS = new Splits.Ratios(0.6, 0.2, 0.2);
    static final int H = 6;
    static final int W = 5;

    static SparkSession spark;

    @TempDir
    Path dir;

    @BeforeAll
    static void session() {
        spark = TestSpark.session();
    }

    static byte[] pixels(int n, int seed) {
        byte[] px = new byte[n * H * W];
        new Random(seed).nextBytes(px);
        return px;
    }

    static int[] labels(int n, int seed) {
        int[] l = new int[n];
        for (int i = 0; i < n; i++) {
            l[i] = (i * 3 + seed) % 10;
        }
        return l;
    }

    Path set(String name, boolean gz, int cutTrainImagesTo) throws Exception {
        Path d = Files.createDirectories(dir.resolve(name));
        String ext = gz ? ".gz" : "";
        byte[] train = TestFiles.idxImages(17, H, W, pixels(17, 1));
        if (cutTrainImagesTo > 0) {
            train = TestFiles.cut(train, cutTrainImagesTo);
        }
        Files.write(d.resolve("train-images-idx3-ubyte" + ext), gz ? Compress.gzip(train) : train);
        byte[] trainLabels = TestFiles.idxLabels(labels(17, 1));
        Files.write(d.resolve("train-labels-idx1-ubyte" + ext), gz ? Compress.gzip(trainLabels) : trainLabels);
        byte[] test = TestFiles.idxImages(9, H, W, pixels(9, 2));
        Files.write(d.resolve("t10k-images-idx3-ubyte" + ext), gz ? Compress.gzip(test) : test);
        byte[] testLabels = TestFiles.idxLabels(labels(9, 2));
        Files.write(d.resolve("t10k-labels-idx1-ubyte" + ext), gz ? Compress.gzip(testLabels) : testLabels);
        return d;
    }

    static LoadSpec spec(OnBadRecord onBad) {
        return new LoadSpec(List.of(Splits.TRAIN, Splits.VAL, Splits.TEST), ImageDecoder.DEFAULT_MAX_PIXELS, onBad, "");
    }

    static List<String> shas(LoadedShards l) {
        List<String> out = new ArrayList<>();
        for (StoreHandle h : l.handles()) {
            out.add(h.key().split() + "/" + h.key().shard() + " " + h.count() + " " + h.sha256());
        }
        return out;
    }

    @Test
    void rowRangesAndGzipFilesLoadOnSparkAsInProcessWithTodaysFloats() throws Exception {
        List<String> first = null;
        for (boolean gz : new boolean[] {false, true}) {
            Path d = set(gz ? "mnist-gz" : "mnist", gz, 0);
            SampleSet today = IdxReader.read(d.toString(), OnBadRecord.FAIL);
            RecordTable rec = IdxReader.records(d.toString(), OnBadRecord.FAIL, DataLimits.DEFAULTS, 4L * H * W,
                    DataPaths.configuration());
            FileRecordsTest.sameAsSamples(rec, today);
            assertEquals(gz ? 2 : 5 + 3, ((PartedSource<?>) rec.source()).parts().size());
            Map<Long, float[]> ref = FileRecordsTest.reference(rec, today);
            for (int k = 0; k < rec.size(); k++) {
                long rid = rec.rid(k);
                byte[] px = rid < 17 ? pixels(17, 1) : pixels(9, 2);
                int i = (int) (rid < 17 ? rid : rid - 17);
                float[] want = new float[H * W];
                for (int j = 0; j < want.length; j++) {
                    want[j] = (px[i * H * W + j] & 0xff) / 255f;
                }
                assertArrayEquals(want, ref.get(rid));
            }
            LoadedShards l = RecordLoads.checkBothWays(spark, rec, Placement.of(rec, RATIOS, 4, 2),
                    spec(OnBadRecord.FAIL), ref::get);
            if (first == null) {
                first = shas(l);
            } else {
                assertEquals(first, shas(l), "raw and gzip files give the same stores");
            }
            LocalStores.release(l.dataKey());
            // the in-process data set is today's
            JobConfig cfg = JobConfig.of(com.typesafe.config.ConfigFactory.parseString(
                    "data.format = idx\ndata.path = \"" + d + "\""));
            DataSetsRecordsTest.same(DataSets.fromSamples(cfg, today, OnBadRecord.FAIL), DataSets.load(cfg));
        }
    }

    @Test
    void aCutOffImagesFileIsNamedAsToday() throws Exception {
        for (boolean gz : new boolean[] {false, true}) {
            Path d = set(gz ? "cut-gz" : "cut", gz, 16 + 11 * H * W + 7);
            BadRecordException today = assertThrows(BadRecordException.class,
                    () -> IdxReader.read(d.toString(), OnBadRecord.FAIL));
            JobConfig cfg = JobConfig.of(com.typesafe.config.ConfigFactory.parseString(
                    "data.format = idx\ndata.path = \"" + d + "\""));
            assertEquals(today.getMessage(),
                    assertThrows(BadRecordException.class, () -> DataSets.load(cfg)).getMessage(), "gz " + gz);
            JobConfig skipping = JobConfig.of(com.typesafe.config.ConfigFactory.parseString(
                    "data.format = idx\ndata.onBadRecord = skip\ndata.path = \"" + d + "\""));
            DataSets.Loaded was = DataSets.fromSamples(skipping, IdxReader.read(d.toString(), OnBadRecord.SKIP),
                    OnBadRecord.SKIP);
            assertEquals(6, was.skipped());
            DataSetsRecordsTest.same(was, DataSets.load(skipping));
            if (gz) {
                RecordTable rec = IdxReader.records(d.toString(), OnBadRecord.FAIL, DataLimits.DEFAULTS, 1 << 20,
                        DataPaths.configuration());
                BadRecordException loaded = assertThrows(BadRecordException.class, () -> InProcessLoader.load(rec,
                        Placement.of(rec, RATIOS, 4, 1), spec(OnBadRecord.FAIL)));
                assertEquals(today.getMessage() + " (and 5 more bad records)", loaded.getMessage());
            }
        }
    }
}
