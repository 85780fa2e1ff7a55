package io.metalr.data.load;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.TestImages;
import io.metalr.TestSpark;
import io.metalr.data.Splits;
import io.metalr.data.read.DataPaths;
import io.metalr.data.read.OnBadRecord;
import io.metalr.data.records.Placement;
import io.metalr.data.records.RecordTable;
import io.metalr.data.records.TableRecords;
import io.metalr.data.store.MappedStore;
import io.metalr.udf.image.BadRecordException;
import io.metalr.udf.image.ImageDecoder;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stores built by Spark tasks equal those built in-process, bit for bit; a bad image is named, not retried. */
class SparkLoaderTest {

    static final StructType SCHEMA = new StructType()
            .add("image", DataTypes.BinaryType)
            .add("label", DataTypes.IntegerType)
            .add("patient_id", DataTypes.StringType)
            .add("split", DataTypes.StringType);

    static final Splits.Ratios RATIOS = new Splits.Ratios(0.6, 0.2, 0.2);

    static SparkSession spark;

    @TempDir
    Path dir;

    @BeforeAll
    static void session() {
        spark = TestSpark.session();
    }

    /** A 12x10 image, RGB or gray, of class-dependent pattern plus noise. */
    static byte[] png(int i) {
        Random rng = new Random(i);
        boolean gray = i % 5 == 4;
        BufferedImage img = new BufferedImage(12, 10, gray ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 10; y++) {
            for (int x = 0; x < 12; x++) {
                int v = ((x * (i % 3 + 1) + y) * 20 + rng.nextInt(30)) & 0xFF;
                img.setRGB(x, y, v << 16 | (255 - v) << 8 | (v * 3 & 0xFF));
            }
        }
        return TestImages.png(img);
    }

    List<Row> rows(int n) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(RowFactory.create(png(i), i % 3, "p" + i / 2, null));
        }
        return rows;
    }

    String write(String name, List<Row> rows, int files) {
        String out = dir.resolve(name).toString();
        spark.createDataFrame(rows, SCHEMA).repartition(files).write().parquet(out);
        return out;
    }

    static LoadSpec spec(OnBadRecord onBad) {
        return new LoadSpec(List.of(Splits.TRAIN, Splits.VAL), ImageDecoder.DEFAULT_MAX_PIXELS, onBad, "");
    }

    @Test
    void sparkLoadEqualsInProcessLoad() throws Exception {
        String t = write("set.parquet", rows(45), 3);
        RecordTable rec = TableRecords.read(t, OnBadRecord.FAIL, null, DataPaths.configuration());
        Placement p = Placement.of(rec, RATIOS, 11, 2);

        LoadedShards local = InProcessLoader.load(rec, p, spec(OnBadRecord.FAIL));
        // the in-process stores, checked against the decoder before the Spark load replaces them
        long[] rids = rec.rids();
        List<Row> byRid = spark.read().parquet(t).selectExpr("_metadata.file_path", "_metadata.row_index", "image")
                .collectAsList();
        for (StoreHandle h : local.handles()) {
            MappedStore s = LocalStores.get(h.key());
            assertNotNull(s, h.key().toString());
            assertEquals(h.count(), s.size());
            List<Long> expected = new ArrayList<>();
            for (int i = 0; i < p.size(); i++) {
                if (p.split(i) == h.key().split() && p.shard(i) == h.key().shard()) {
                    expected.add(p.rid(i));
                }
            }
            assertEquals(expected.size(), s.size(), h.key() + " holds its placement's records");
            for (int k = 0; k < s.size(); k++) {
                long rid = s.rid(k);
                assertEquals(expected.get(k), rid);
                int i = Arrays.binarySearch(rids, rid);
                assertEquals(rec.labels()[i], s.label(k));
                byte[] bytes = imageOf(byRid, rec, rid);
                assertArrayEquals(ImageDecoder.decode(bytes, "x").data(), s.image(k).data(), "image of rid " + rid);
            }
        }
        assertEquals(p.shardCount(Splits.TRAIN) + p.shardCount(Splits.VAL), local.handles().size());
        long stored = local.images();
        assertEquals(Splits.assign(rec.labels(), rec.patients(), null, RATIOS, 11).size(Splits.TRAIN)
                + Splits.assign(rec.labels(), rec.patients(), null, RATIOS, 11).size(Splits.VAL), stored);

        LoadedShards sparked = SparkLoader.load(spark, rec, p, spec(OnBadRecord.FAIL));
        assertEquals(local.dataKey(), sparked.dataKey());
        assertEquals(local.handles().size(), sparked.handles().size());
        for (int h = 0; h < local.handles().size(); h++) {
            StoreHandle a = local.handles().get(h);
            StoreHandle b = sparked.handles().get(h);
            assertEquals(a.key(), b.key());
            assertEquals(a.count(), b.count(), a.key().toString());
            assertEquals(a.sha256(), b.sha256(), a.key().toString());
            assertEquals(a.bytes(), b.bytes(), a.key().toString());
            assertNotNull(b.executorId());
        }
        assertTrue(sparked.bad().isEmpty());
        LocalStores.release(sparked.dataKey());
    }

    private static byte[] imageOf(List<Row> rows, RecordTable rec, long rid) {
        for (Row r : rows) {
            String name = ((io.metalr.data.records.TableSource) rec.source()).files().get((int) (rid >>> 40));
            if (r.getString(0).equals(name) && r.getLong(1) == (rid & ((1L << 40) - 1))) {
                return (byte[]) r.get(2);
            }
        }
        throw new AssertionError("no row for rid " + rid);
    }

    @Test
    void aBadImageIsNamedOnTheDriverOrSkipped() throws Exception {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            rows.add(RowFactory.create(png(i), i % 2, "p" + i, i < 16 ? "train" : i < 20 ? "val" : "test"));
        }
        byte[] cut = Arrays.copyOf(png(6), 40); // a PNG cut short
        rows.set(6, RowFactory.create(cut, 0, "p6", "train"));
        String t = write("bad.parquet", rows, 1);
        RecordTable rec = TableRecords.read(t, OnBadRecord.FAIL, null, DataPaths.configuration());
        Placement p = Placement.of(rec, RATIOS, 3, 2);

        // the bad image comes back as a marker: no task fails, so Spark retries no decode
        java.util.concurrent.atomic.AtomicInteger failedTasks = new java.util.concurrent.atomic.AtomicInteger();
        org.apache.spark.scheduler.SparkListener failures = new org.apache.spark.scheduler.SparkListener() {
            @Override
            public void onTaskEnd(org.apache.spark.scheduler.SparkListenerTaskEnd end) {
                if (!(end.reason() instanceof org.apache.spark.Success$)) {
                    failedTasks.incrementAndGet();
                }
            }
        };
        spark.sparkContext().addSparkListener(failures);
        BadRecordException e;
        try {
            e = assertThrows(BadRecordException.class, () -> SparkLoader.load(spark, rec, p, spec(OnBadRecord.FAIL)));
            spark.sparkContext().listenerBus().waitUntilEmpty();
        } finally {
            spark.sparkContext().removeSparkListener(failures);
        }
        assertEquals(0, failedTasks.get(), "tasks failed");
        assertTrue(e.getMessage().startsWith("bad.parquet row 7: "), e.getMessage());
        BadRecordException local = assertThrows(BadRecordException.class,
                () -> InProcessLoader.load(rec, p, spec(OnBadRecord.FAIL)));
        assertEquals(e.getMessage(), local.getMessage());

        LoadedShards skipped = SparkLoader.load(spark, rec, p, spec(OnBadRecord.SKIP));
        assertEquals(1, skipped.bad().size());
        assertEquals(rec.rid(6), skipped.bad().get(0).rid());
        assertEquals(19, skipped.images()); // 16 train + 4 val, less the bad one
        LoadedShards skippedHere = InProcessLoader.load(rec, p, spec(OnBadRecord.SKIP));
        for (int h = 0; h < skipped.handles().size(); h++) {
            assertEquals(skippedHere.handles().get(h).sha256(), skipped.handles().get(h).sha256());
        }
        LocalStores.release(skipped.dataKey());
    }
}
