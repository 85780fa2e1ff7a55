package io.metalr.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.TestSpark;
import io.metalr.data.read.DataPaths;
import io.metalr.data.read.OnBadRecord;
import io.metalr.data.records.RecordTable;
import io.metalr.data.records.TableRecords;
import io.metalr.udf.image.ImageDecoder;
import io.metalr.udf.image.RawImage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scale benchmark's data set: images a pure function of (seed, index), written once, reused, remade when stale. */
class ScaleDataTest {

    @TempDir
    Path dir;

    @Test
    void imagesArePureFunctionsOfSeedAndIndex() {
        assertArrayEquals(ScaleData.png(1, 17, 32), ScaleData.png(1, 17, 32));
        assertFalse(Arrays.equals(ScaleData.png(1, 17, 32), ScaleData.png(2, 17, 32)));
        assertFalse(Arrays.equals(ScaleData.png(1, 17, 32), ScaleData.png(1, 18, 32)));
        RawImage img = ImageDecoder.decodeRaw(ScaleData.png(1, 17, 32), "x", 1 << 20);
        assertEquals(List.of(3, 32, 32), List.of(img.channels(), img.height(), img.width()));
        assertEquals(RawImage.Depth.U8, img.depth());
        int[] perClass = new int[ScaleData.CLASSES];
        for (int i = 0; i < 500; i++) {
            perClass[ScaleData.label(1, i)]++;
        }
        for (int c : perClass) {
            assertTrue(c > 60, Arrays.toString(perClass)); // about 100 each
        }
    }

    @Test
    void writtenOnceCommittedWholeAndRemadeWhenStale() throws Exception {
        var spark = TestSpark.session();
        Path set = ScaleData.ensure(spark, dir, 24, 16, 5, 2);
        assertEquals(ScaleData.folder(dir, 24, 16), set);
        assertTrue(ScaleData.ready(set, 24, 16, 5));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(set), s.toList(), "no temp folder left beside the set");
        }
        RecordTable rec = TableRecords.read(ScaleData.table(set).toString(), OnBadRecord.FAIL, null, DataPaths.configuration());
        assertEquals(24, rec.size());
        // patient = index / 4: images 20..23 are p5's
        List<Row> p5 = spark.read().parquet(ScaleData.table(set).toString()).where("patient_id = 'p5'").collectAsList();
        assertEquals(4, p5.size());
        for (Row r : p5) {
            assertTrue(r.getInt(1) >= 0 && r.getInt(1) < ScaleData.CLASSES);
        }

        FileTime made = Files.getLastModifiedTime(set.resolve("meta.json"));
        Thread.sleep(20);
        ScaleData.ensure(spark, dir, 24, 16, 5, 2);
        assertEquals(made, Files.getLastModifiedTime(set.resolve("meta.json")), "reused, not rewritten");

        assertFalse(ScaleData.ready(set, 24, 16, 6), "another seed is another set");
        Files.delete(set.resolve("_SUCCESS"));
        assertFalse(ScaleData.ready(set, 24, 16, 5), "no _SUCCESS, no set");
        ScaleData.ensure(spark, dir, 24, 16, 5, 2);
        assertTrue(ScaleData.ready(set, 24, 16, 5));
    }
}
