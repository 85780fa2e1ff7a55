package io.metalr.data.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.udf.image.BadRecordException;

import java.io.FileNotFoundException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TableReaderTest {

    static SparkSession spark;

    @TempDir
    Path dir;

    @BeforeAll
    static void session() {
        spark = TestFiles.spark();
    }

    private static final StructType PIXELS = new StructType()
            .add("pixels", DataTypes.createArrayType(DataTypes.FloatType))
            .add("channels", DataTypes.IntegerType)
            .add("height", DataTypes.IntegerType)
            .add("width", DataTypes.IntegerType)
            .add("label", DataTypes.LongType)
            .add("patient_id", DataTypes.StringType)
            .add("split", DataTypes.StringType)
            .add("extra", DataTypes.DoubleType);

    private static List<Float> px(int n, float start) {
        List<Float> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(start + i / 100f);
        }
        return out;
    }

    private String write(String name, StructType schema, List<Row> rows) {
        String out = dir.resolve(name).toString();
        spark.createDataFrame(rows, schema).coalesce(1).write().parquet(out);
        return out;
    }

    @Test
    void pixelTableWithPatientsAndSplits() throws Exception {
        String t = write("pixels.parquet", PIXELS, List.of(
                RowFactory.create(px(12, 0f), 3, 2, 2, 0L, "p1", "train", 1.0),
                RowFactory.create(px(4, 0.5f), 1, 2, 2, 2L, null, "val", 1.0),
                RowFactory.create(px(4, 0.1f), 1, 2, 2, 1L, "p3", "Test", 1.0)));
        SampleSet set = TableReader.read("file://" + t, OnBadRecord.FAIL);
        assertEquals("pixels.parquet", set.name());
        assertEquals(List.of("0", "1", "2"), set.classNames());
        assertEquals(3, set.samples().size());
        Sample a = set.samples().get(0);
        assertEquals("pixels.parquet[1]", a.id());
        assertEquals(3, a.image().channels());
        assertEquals(0.05f, a.image().get(1, 0, 1), 1e-6);
        assertEquals("p1", a.patientId());
        assertEquals("train", a.split());
        assertNull(set.samples().get(1).patientId());
        assertEquals("test", set.samples().get(2).split());
    }

    @Test
    void nanPixelWrongShapeAndBadLabelNameTheRow() throws Exception {
        List<Float> nan = px(4, 0f);
        nan.set(2, Float.NaN);
        String t = write("bad.parquet", PIXELS, List.of(
                RowFactory.create(px(4, 0f), 1, 2, 2, 0L, "p", "train", 0.0),
                RowFactory.create(nan, 1, 2, 2, 1L, "p", "train", 0.0),
                RowFactory.create(px(5, 0f), 1, 2, 2, 1L, "p", "train", 0.0),
                RowFactory.create(px(4, 0f), 1, 2, 2, -3L, "p", "train", 0.0),
                RowFactory.create(px(4, 0f), 1, 2, 2, null, "p", "train", 0.0),
                RowFactory.create(px(4, 0f), 1, 2, 2, 1L, "p", "test", 0.0)));
        BadRecordException e = assertThrows(BadRecordException.class, () -> TableReader.read(t, OnBadRecord.FAIL));
        assertEquals("bad.parquet row 2: pixel 2 is NaN", e.getMessage());
        SampleSet set = TableReader.read(t, OnBadRecord.SKIP);
        assertEquals(2, set.samples().size());
        assertEquals(4, set.skipped());
        assertEquals(List.of("bad.parquet[1]", "bad.parquet[6]"), set.samples().stream().map(Sample::id).toList());

        String inf = write("inf.parquet", PIXELS, List.of(
                RowFactory.create(Arrays.asList(0f, Float.POSITIVE_INFINITY, 0f, 0f), 1, 2, 2, 0L, null, null, 0.0)));
        e = assertThrows(BadRecordException.class, () -> TableReader.read(inf, OnBadRecord.FAIL));
        assertTrue(e.getMessage().startsWith("inf.parquet row 1: pixel 1 is Infinity"), e.getMessage());

        String shape = write("shape.parquet", PIXELS, List.of(
                RowFactory.create(px(5, 0f), 1, 2, 2, 0L, null, null, 0.0)));
        e = assertThrows(BadRecordException.class, () -> TableReader.read(shape, OnBadRecord.FAIL));
        assertTrue(e.getMessage().startsWith("shape.parquet row 1: wrong shape"), e.getMessage());

        // classes given: label 2 of two classes is out of range
        e = assertThrows(BadRecordException.class,
                () -> TableReader.read(t, OnBadRecord.FAIL, false, List.of("a", "b")));
        assertEquals("bad.parquet row 2: pixel 2 is NaN", e.getMessage());
    }

    @Test
    void imageBytesTable() throws Exception {
        StructType schema = new StructType()
                .add("image", DataTypes.BinaryType)
                .add("label", DataTypes.IntegerType)
                .add("split", DataTypes.StringType);
        byte[] png = TestFiles.png(6, 5, 3, 0);
        String t = write("images", schema, List.of(
                RowFactory.create(png, 1, "train"),
                RowFactory.create(new byte[] {1, 2, 3}, 0, "train"),
                RowFactory.create(TestFiles.png(6, 5, 1, 1), 0, "train"),
                RowFactory.create(null, 0, "train")));
        BadRecordException e = assertThrows(BadRecordException.class, () -> TableReader.read(t, OnBadRecord.FAIL));
        assertTrue(e.getMessage().contains("images row 2"), e.getMessage());
        SampleSet set = TableReader.read(t, OnBadRecord.SKIP);
        assertEquals(2, set.samples().size());
        assertEquals(2, set.skipped());
        assertEquals(3, set.samples().get(0).image().channels());
        assertEquals(5, set.samples().get(0).image().height());
        // sameShape: the gray one differs from the RGB one
        SampleSet same = TableReader.read(t, OnBadRecord.SKIP, true, null);
        assertEquals(3, same.skipped());
    }

    @Test
    void emptySplitAfterSkippingAndSchemaErrors() throws Exception {
        String t = write("onlybad.parquet", PIXELS, List.of(
                RowFactory.create(px(4, 0f), 1, 2, 2, 0L, null, "train", 0.0),
                RowFactory.create(px(3, 0f), 1, 2, 2, 0L, null, "val", 0.0)));
        BadRecordException e = assertThrows(BadRecordException.class, () -> TableReader.read(t, OnBadRecord.SKIP));
        assertTrue(e.getMessage().contains("val split") && e.getMessage().contains("no samples"), e.getMessage());

        StructType noLabel = new StructType().add("image", DataTypes.BinaryType).add("y", DataTypes.IntegerType);
        String n = write("nolabel.parquet", noLabel, List.<Row>of(RowFactory.create(new byte[] {1}, 1)));
        BadRecordException a = assertThrows(BadRecordException.class, () -> TableReader.read(n, OnBadRecord.FAIL));
        assertTrue(a.getMessage().contains("nolabel.parquet") && a.getMessage().contains("label"), a.getMessage());

        StructType noPixels = new StructType().add("data", DataTypes.BinaryType).add("label", DataTypes.IntegerType);
        String p = write("nopixels.parquet", noPixels, List.<Row>of(RowFactory.create(new byte[] {1}, 1)));
        a = assertThrows(BadRecordException.class, () -> TableReader.read(p, OnBadRecord.FAIL));
        assertTrue(a.getMessage().contains("image") && a.getMessage().contains("pixels"), a.getMessage());

        String missing = dir.resolve("absent.parquet").toString();
        FileNotFoundException f = assertThrows(FileNotFoundException.class, () -> TableReader.read(missing, OnBadRecord.FAIL));
        assertTrue(f.getMessage().contains(missing), f.getMessage());
    }
}
