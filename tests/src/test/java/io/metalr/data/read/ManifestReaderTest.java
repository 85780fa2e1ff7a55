package io.metalr.data.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.Compress;
import io.metalr.udf.image.BadRecordException;

import java.io.FileNotFoundException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestReaderTest {

    @TempDir
    Path dir;

    private Path csv(String name, String text) {
        return TestFiles.write(dir.resolve(name), text.getBytes(StandardCharsets.UTF_8));
    }

    private void images(String... names) {
        int seed = 0;
        for (String n : names) {
            TestFiles.write(dir.resolve(n), TestFiles.png(4, 4, 1, seed++));
        }
    }

    @Test
    void classNameLabelsQuotedFieldsAndPathsOfEveryKind() throws Exception {
        images("img/a.png", "img/b,c.png", "other/d.png", "e.png");
        String abs = dir.resolve("other/d.png").toString();
        String uri = dir.resolve("e.png").toUri().toString();
        Path m = csv("manifest.csv", "\uFEFFPath,Label,patient_id,split,notes\n"
                + "img/a.png,tumour,p1,train,\"free, text\"\n"
                + "\"img/b,c.png\",normal,p1,TRAIN,\"with \"\"quotes\"\"\"\n"
                + abs + ",normal,,val,\n"
                + uri + ",tumour,p2,test,\"two\nlines\"\n"
                + "\n");
        SampleSet set = ManifestReader.read(m.toString(), OnBadRecord.FAIL);
        assertEquals("manifest.csv", set.name());
        assertEquals(List.of("normal", "tumour"), set.classNames());
        assertEquals(4, set.samples().size());
        Sample a = set.samples().get(0);
        assertTrue(a.id().endsWith("img/a.png"), a.id());
        assertEquals(1, a.label());
        assertEquals("p1", a.patientId());
        assertEquals("train", a.split());
        Sample b = set.samples().get(1);
        assertTrue(b.id().endsWith("img/b,c.png"), b.id());
        assertEquals(0, b.label());
        assertEquals("train", b.split());
        assertNull(set.samples().get(2).patientId());
        assertEquals("val", set.samples().get(2).split());
        assertEquals("test", set.samples().get(3).split());
        assertEquals(4, set.samples().get(3).image().width());
    }

    @Test
    void integerLabelsAndBadLabelsNameTheRow() throws Exception {
        images("a.png", "b.png", "c.png", "d.png", "e.png", "f.png");
        Path m = csv("manifest.csv", "path,label\na.png,0\nb.png,2\nc.png,1.0\nd.png,1\ne.png,-1\nf.png,x\n");
        BadRecordException e = assertThrows(BadRecordException.class, () -> ManifestReader.read(m.toString(), OnBadRecord.FAIL));
        assertTrue(e.getMessage().startsWith("manifest.csv row 6: label -1 is out of range"), e.getMessage());
        SampleSet set = ManifestReader.read(m.toString(), OnBadRecord.SKIP);
        assertEquals(List.of("0", "1", "2"), set.classNames());
        assertEquals(4, set.samples().size());
        assertEquals(2, set.skipped());
        assertEquals(1, set.samples().get(2).label());

        Path x = csv("x.csv", "path,label\na.png,0\nb.png,1\nc.png,x\n");
        e = assertThrows(BadRecordException.class, () -> ManifestReader.read(x.toString(), OnBadRecord.FAIL));
        assertEquals("x.csv row 4: label 'x' is not an integer", e.getMessage());

        // with the classes given, a label past them is out of range and names are accepted
        Path given = csv("given.csv", "path,label\na.png,cat\nb.png,1\nc.png,2\n");
        e = assertThrows(BadRecordException.class,
                () -> ManifestReader.read(given.toString(), OnBadRecord.FAIL, false, List.of("cat", "dog")));
        assertTrue(e.getMessage().startsWith("given.csv row 4: label 2 is out of range [0, 2)"), e.getMessage());
    }

    @Test
    void missingImageFailsNamingTheRowOrIsSkipped() throws Exception {
        images("a.png", "b.png");
        Path m = csv("manifest.csv", "path,label,split\na.png,0,train\nmissing.png,1,train\nb.png,1,test\n");
        BadRecordException e = assertThrows(BadRecordException.class, () -> ManifestReader.read(m.toString(), OnBadRecord.FAIL));
        assertTrue(e.getMessage().startsWith("manifest.csv row 3: ") && e.getMessage().contains("missing.png")
                && e.getMessage().contains("not found"), e.getMessage());
        SampleSet set = ManifestReader.read(m.toString(), OnBadRecord.SKIP);
        assertEquals(2, set.samples().size());
        assertEquals(1, set.skipped());
    }

    @Test
    void corruptImageUnknownSplitAndEmptySplit() throws Exception {
        images("a.png", "b.png");
        TestFiles.write(dir.resolve("bad.png"), "no png".getBytes());
        Path m = csv("manifest.csv", "path,label,split\na.png,0,train\nbad.png,1,val\nb.png,1,holdout\n");
        BadRecordException e = assertThrows(BadRecordException.class, () -> ManifestReader.read(m.toString(), OnBadRecord.FAIL));
        assertTrue(e.getMessage().startsWith("manifest.csv row 3: ") && e.getMessage().contains("bad.png"), e.getMessage());
        e = assertThrows(BadRecordException.class, () -> ManifestReader.read(m.toString(), OnBadRecord.SKIP));
        assertTrue(e.getMessage().contains("val split") && e.getMessage().contains("no samples"), e.getMessage());

        Path mixed = csv("mixed.csv", "path,label,split\na.png,0,train\nb.png,1,\n");
        e = assertThrows(BadRecordException.class, () -> ManifestReader.read(mixed.toString(), OnBadRecord.FAIL));
        assertTrue(e.getMessage().contains("row 3 has no split"), e.getMessage());
    }

    @Test
    void headerProblemsAndMissingManifest() {
        Path m = csv("nolabel.csv", "file,class\na.png,0\n");
        BadRecordException e = assertThrows(BadRecordException.class,
                () -> ManifestReader.read(m.toString(), OnBadRecord.FAIL));
        assertTrue(e.getMessage().contains("nolabel.csv") && e.getMessage().contains("path and label"), e.getMessage());
        Path q = csv("quote.csv", "path,label\n\"a.png,0\n");
        e = assertThrows(BadRecordException.class, () -> ManifestReader.read(q.toString(), OnBadRecord.FAIL));
        assertTrue(e.getMessage().contains("quote.csv"), e.getMessage());
        String missing = dir.resolve("absent.csv").toString();
        FileNotFoundException f = assertThrows(FileNotFoundException.class, () -> ManifestReader.read(missing, OnBadRecord.FAIL));
        assertTrue(f.getMessage().contains(missing), f.getMessage());
    }

    @Test
    void gzippedCsvAndFileUri() throws Exception {
        images("a.png", "b.png");
        TestFiles.write(dir.resolve("m.csv.gz"), Compress.gzip("path,label\na.png,0\nb.png,1\n".getBytes()));
        SampleSet set = ManifestReader.read(dir.resolve("m.csv.gz").toUri().toString(), OnBadRecord.FAIL);
        assertEquals(2, set.samples().size());
    }

    @Test
    void parquetManifestThroughSpark() throws Exception {
        images("p/a.png", "p/b.png", "p/c.png");
        SparkSession spark = TestFiles.spark();
        StructType schema = new StructType()
                .add("path", DataTypes.StringType)
                .add("label", DataTypes.IntegerType)
                .add("patient_id", DataTypes.StringType)
                .add("split", DataTypes.StringType);
        List<Row> rows = List.of(
                RowFactory.create("a.png", 0, "p1", "train"),
                RowFactory.create("b.png", 1, "p2", "test"),
                RowFactory.create("gone.png", 1, "p2", "test"),
                RowFactory.create("c.png", 1, "p3", "train"));
        String out = dir.resolve("p/manifest.parquet").toString();
        spark.createDataFrame(rows, schema).coalesce(1).write().parquet(out);
        // a folder written by Spark: paths are relative to the folder that holds it (p/)
        BadRecordException e = assertThrows(BadRecordException.class, () -> ManifestReader.read(out, OnBadRecord.FAIL));
        assertTrue(e.getMessage().startsWith("manifest.parquet row 3: ") && e.getMessage().contains("gone.png"), e.getMessage());
        SampleSet set = ManifestReader.read(out, OnBadRecord.SKIP);
        assertEquals(3, set.samples().size());
        assertEquals(1, set.skipped());
        assertEquals(List.of("0", "1"), set.classNames());
        assertEquals("p2", set.samples().get(1).patientId());
        assertEquals("test", set.samples().get(1).split());

        // partitioned by split: the folders split=train, split=test give the column
        String parts = dir.resolve("p/parts.parquet").toString();
        spark.createDataFrame(rows, schema).write().partitionBy("split").parquet(parts);
        SampleSet partitioned = ManifestReader.read(parts, OnBadRecord.SKIP);
        assertEquals(3, partitioned.samples().size());
        assertEquals(java.util.Set.of("train", "test"), partitioned.samples().stream().map(Sample::split)
                .collect(java.util.stream.Collectors.toSet()));
    }
}
