package io.metalr.data.records;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.TestImages;
import io.metalr.TestSpark;
import io.metalr.data.Shards;
import io.metalr.data.Splits;
import io.metalr.data.read.DataPaths;
import io.metalr.data.read.OnBadRecord;
import io.metalr.data.read.TableReader;
import io.metalr.udf.image.BadRecordException;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The driver's records of a Parquet table: rids from file and row, no image bytes on the driver, rows named. */
class TableRecordsTest {

    static final StructType SCHEMA = new StructType()
            .add("image", DataTypes.BinaryType)
            .add("label", DataTypes.IntegerType)
            .add("patient_id", DataTypes.StringType)
            .add("split", DataTypes.StringType);

    static SparkSession spark;

    @TempDir
    Path dir;

    @BeforeAll
    static void session() {
        spark = TestSpark.session();
    }

    /** 64x64 RGB noise as PNG: about 12 KB that does not compress. */
    static byte[] noisePng(long seed) {
        Random rng = new Random(seed);
        BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                img.setRGB(x, y, rng.nextInt(1 << 24));
            }
        }
        return TestImages.png(img);
    }

    /** A table of {@code n} noise images in {@code files} part files: label i % 3, patient i / 2. */
    String table(String name, int n, int files) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(RowFactory.create(noisePng(i), i % 3, "p" + i / 2, null));
        }
        String out = dir.resolve(name).toString();
        spark.createDataFrame(rows, SCHEMA).repartition(files).write().parquet(out);
        return out;
    }

    @Test
    void ridIsFileOrdinalAndRowIndexInSortedFileOrder() throws Exception {
        String t = table("three 3%.parquet", 30, 3); // a name _metadata.file_path spells %-encoded
        RecordTable rec = TableRecords.read(t, OnBadRecord.FAIL, null, DataPaths.configuration());
        assertEquals(30, rec.size());
        assertEquals(List.of("0", "1", "2"), rec.classNames());
        List<Path> parts;
        try (Stream<Path> s = Files.list(Path.of(t))) {
            parts = s.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted().toList();
        }
        assertEquals(3, parts.size());
        // each file read alone, in its own row order: what rid (ordinal << 40 | row) must point at
        List<Long> rids = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int f = 0; f < parts.size(); f++) {
            List<Row> rows = spark.read().parquet(parts.get(f).toString()).select("label").collectAsList();
            for (int r = 0; r < rows.size(); r++) {
                rids.add(((long) f << 40) | r);
                labels.add(rows.get(r).getInt(0));
            }
        }
        assertArrayEquals(rids.stream().mapToLong(Long::longValue).toArray(), rec.rids());
        assertArrayEquals(labels.stream().mapToInt(Integer::intValue).toArray(), rec.labels());
        assertNull(rec.givenSplits());
        assertTrue(rec.where(rec.rid(29)).matches("three 3%\\.parquet/part-00002-.*\\.parquet row \\d+"), rec.where(rec.rid(29)));
        // the same files read again give the same rids
        assertArrayEquals(rec.rids(), TableRecords.read(t, OnBadRecord.FAIL, null, DataPaths.configuration()).rids());
    }

    @Test
    void noImageBytesReachTheDriver() throws Exception {
        String t = table("big.parquet", 40, 2);
        long imageBytes = 0;
        for (int i = 0; i < 40; i++) {
            imageBytes += noisePng(i).length;
        }
        TableSource source = TableSource.open(t);
        String plan = source.metadata().queryExecution().executedPlan().toString();
        String readSchema = plan.substring(plan.indexOf("ReadSchema:"));
        assertFalse(readSchema.contains("image"), plan);
        assertTrue(readSchema.contains("label"), plan);

        // nor pixels, for a table of float pixels
        String px = dir.resolve("pixels.parquet").toString();
        spark.createDataFrame(List.of(RowFactory.create(List.of(0.5f, 0.25f), 1, 1, 2, 0)), new StructType()
                .add("pixels", DataTypes.createArrayType(DataTypes.FloatType)).add("channels", DataTypes.IntegerType)
                .add("height", DataTypes.IntegerType).add("width", DataTypes.IntegerType)
                .add("label", DataTypes.IntegerType)).write().parquet(px);
        String pxPlan = TableSource.open(px).metadata().queryExecution().executedPlan().toString();
        String pxSchema = pxPlan.substring(pxPlan.indexOf("ReadSchema:"));
        assertFalse(pxSchema.contains("pixels"), pxPlan);
        assertTrue(TableSource.open(px).content().queryExecution().executedPlan().toString().contains("pixels"));

        long recordsBytes = resultBytes(() -> TableRecords.read(t, OnBadRecord.FAIL, null, DataPaths.configuration()));
        // the same probe on today's reader, which brings every image to the driver, sees them all
        long readerBytes = resultBytes(() -> TableReader.read(t, OnBadRecord.FAIL));
        assertTrue(readerBytes >= imageBytes, "the probe must see image bytes: " + readerBytes + " < " + imageBytes);
        assertTrue(recordsBytes < imageBytes / 10, "records brought " + recordsBytes + " bytes to the driver; the images are "
                + imageBytes);
    }

    interface Read {
        Object run() throws Exception;
    }

    /** The bytes of all task results (what tasks send the driver) while {@code read} runs. */
    private static long resultBytes(Read read) throws Exception {
        AtomicLong bytes = new AtomicLong();
        SparkListener listener = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (end.taskMetrics() != null) {
                    bytes.addAndGet(end.taskMetrics().resultSize());
                }
            }
        };
        spark.sparkContext().listenerBus().waitUntilEmpty();
        spark.sparkContext().addSparkListener(listener);
        try {
            read.run();
            spark.sparkContext().listenerBus().waitUntilEmpty();
        } finally {
            spark.sparkContext().removeSparkListener(listener);
        }
        return bytes.get();
    }

    @Test
    void badLabelsAndSplitsNameTheRow() throws Exception {
        String t = dir.resolve("bad.parquet").toString();
        byte[] png = noisePng(1);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            rows.add(RowFactory.create(png, i % 2, "p" + i, i < 4 ? "train" : i < 6 ? "val" : "test"));
        }
        rows.set(1, RowFactory.create(png, null, "p1", "train"));
        rows.set(2, RowFactory.create(png, -1, "p2", "train"));
        rows.set(3, RowFactory.create(png, 1, "p3", "holdout"));
        spark.createDataFrame(rows, SCHEMA).coalesce(1).write().parquet(t);
        var conf = DataPaths.configuration();
        BadRecordException e = assertThrows(BadRecordException.class, () -> TableRecords.read(t, OnBadRecord.FAIL, null, conf));
        assertEquals("bad.parquet row 2: no label", e.getMessage());

        RecordTable kept = TableRecords.read(t, OnBadRecord.SKIP, null, conf);
        assertEquals(5, kept.size());
        assertEquals(3, kept.skipped());
        assertArrayEquals(new String[] {"train", "val", "val", "test", "test"}, kept.givenSplits());
        assertEquals(List.of("0", "1"), kept.classNames());

        // two classes named: label 1 of row 4 is fine, its split is not
        rows.set(1, RowFactory.create(png, 0, "p1", "train"));
        rows.set(2, RowFactory.create(png, 1, "p2", "train"));
        String t2 = dir.resolve("split.parquet").toString();
        spark.createDataFrame(rows, SCHEMA).coalesce(1).write().parquet(t2);
        e = assertThrows(BadRecordException.class, () -> TableRecords.read(t2, OnBadRecord.FAIL, List.of("a", "b"), conf));
        assertEquals("split.parquet row 4: split 'holdout' is not train, val or test", e.getMessage());
        rows.set(3, RowFactory.create(png, 2, "p3", "train"));
        String t3 = dir.resolve("range.parquet").toString();
        spark.createDataFrame(rows, SCHEMA).coalesce(1).write().parquet(t3);
        e = assertThrows(BadRecordException.class, () -> TableRecords.read(t3, OnBadRecord.FAIL, List.of("a", "b"), conf));
        assertEquals("range.parquet row 4: label 2 is out of range [0, 2)", e.getMessage());
    }

    @Test
    void placementCutsSplitsAndShardsAsSplitsAndShardsDo() throws Exception {
        String t = table("placed.parquet", 60, 2);
        RecordTable rec = TableRecords.read(t, OnBadRecord.FAIL, null, DataPaths.configuration());
        Splits.Ratios ratios = new Splits.Ratios(0.7, 0.15, 0.15);
        Placement p = Placement.of(rec, ratios, 7, 2);
        Splits.Assignment a = Splits.assign(rec.labels(), rec.patients(), null, ratios, 7);
        for (int s = 0; s < 3; s++) {
            int[] members = a.indices(s);
            int[] labels = new int[members.length];
            for (int k = 0; k < members.length; k++) {
                labels[k] = rec.labels()[members[k]];
                int i = p.indexOf(rec.rid(members[k]));
                assertEquals(members[k], i);
                assertEquals(s, p.split(i));
                assertEquals(k, p.position(i));
            }
            Shards shards = Shards.of(labels, 2, 7);
            for (int k = 0; k < 2; k++) {
                for (int m : shards.indices(k)) {
                    assertEquals(k, p.shard(members[m]));
                }
                assertEquals(shards.size(k), p.count(s, k));
            }
        }
        assertEquals(-1, p.indexOf(RecordIds.of(5, 0)));
    }
}
