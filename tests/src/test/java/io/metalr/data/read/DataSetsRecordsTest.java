package io.metalr.data.read;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.metalr.config.JobConfig;
import io.metalr.data.DataSets;
import io.metalr.data.FloatDigest;
import io.metalr.data.ImageSet;
import io.metalr.udf.image.BadRecordException;

import com.typesafe.config.ConfigFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The in-process load of folders, manifests and .npz files goes through records (no list of
 * samples), and gives bitwise what storing the reader's samples gave: the same splits, labels,
 * patients, pixels, skipped counts, description, and the same first bad record.
 */
class DataSetsRecordsTest {

    @TempDir
    Path dir;

    static JobConfig cfg(String format, Path path, String... more) {
        return JobConfig.of(ConfigFactory.parseString("data.format = " + format + "\ndata.path = \"" + path + "\"\n"
                + String.join("\n", more)));
    }

    static String digest(ImageSet s) {
        FloatDigest d = new FloatDigest();
        s.digestInto(d);
        return d.hex();
    }

    static void same(DataSets.Loaded today, DataSets.Loaded records) {
        assertEquals(today.description(), records.description());
        assertEquals(today.skipped(), records.skipped());
        assertEquals(today.classNames(), records.classNames());
        ImageSet[][] pairs = {{today.train(), records.train()}, {today.val(), records.val()},
            {today.test(), records.test()}};
        for (ImageSet[] p : pairs) {
            assertEquals(p[0].size(), p[1].size(), p[0].name());
            assertEquals(p[0].name(), p[1].name());
            for (int i = 0; i < p[0].size(); i++) {
                assertEquals(p[0].label(i), p[1].label(i));
            }
            assertArrayEquals(p[0].patientIds(), p[1].patientIds());
            assertEquals(digest(p[0]), digest(p[1]), p[0].name() + " pixels");
        }
    }

    @Test
    void aFolderLoadsAsItsSamplesDid() throws Exception {
        Path root = dir.resolve("set");
        for (int i = 0; i < 30; i++) {
            Path d = Files.createDirectories(root.resolve(i % 3 == 0 ? "cat" : "dog"));
            Files.write(d.resolve("img" + i + ".png"), FileRecordsTest.png(i));
        }
        Files.write(root.resolve("dog/zz.png"), new byte[] {1, 2, 3});
        JobConfig cfg = cfg("folder", root, "data.onBadRecord = skip", "data.channels = 3");
        DataSets.Loaded today = DataSets.fromSamples(cfg, ImageFolderReader.read(root.toString(), OnBadRecord.SKIP),
                OnBadRecord.SKIP);
        same(today, DataSets.load(cfg));

        JobConfig failing = cfg("folder", root, "data.channels = 3");
        BadRecordException was = assertThrows(BadRecordException.class,
                () -> ImageFolderReader.read(root.toString(), OnBadRecord.FAIL));
        assertEquals(was.getMessage(),
                assertThrows(BadRecordException.class, () -> DataSets.load(failing)).getMessage());
    }

    @Test
    void aManifestWithAVolumeAndBadRowsLoadsAsItsSamplesDid() throws Exception {
        FileRecordsTest files = new FileRecordsTest();
        files.dir = dir;
        Path csv = files.manifest("img/3.png,,p9\nnowhere.png,benign,p1\n");
        JobConfig cfg = cfg("manifest", csv, "data.onBadRecord = skip", "data.image_size = 8", "data.channels = 1");
        DataSets.Loaded today = DataSets.fromSamples(cfg, ManifestReader.read(csv.toString(), OnBadRecord.SKIP),
                OnBadRecord.SKIP);
        assertEquals(2, today.skipped());
        same(today, DataSets.load(cfg));
    }

    @Test
    void anNpzLoadsAsItsSamplesDid() throws Exception {
        for (boolean deflate : new boolean[] {false, true}) {
            Path f = TestFiles.write(dir.resolve("b" + deflate + ".npz"),
                    TestFiles.npz(MedMnistRecordsTest.rgbSet(true), deflate));
            JobConfig cfg = cfg("medmnist", f, "data.onBadRecord = skip");
            DataSets.Loaded today = DataSets.fromSamples(cfg, MedMnistReader.read(f.toString(), OnBadRecord.SKIP),
                    OnBadRecord.SKIP);
            assertEquals(1, today.skipped());
            same(today, DataSets.load(cfg));
        }
        // gzipped: inflated whole, as before
        Path gz = TestFiles.write(dir.resolve("c.npz.gz"),
                io.metalr.Compress.gzip(TestFiles.npz(MedMnistRecordsTest.rgbSet(false), false)));
        JobConfig cfg = cfg("medmnist", gz);
        same(DataSets.fromSamples(cfg, MedMnistReader.read(gz.toString(), OnBadRecord.FAIL), OnBadRecord.FAIL),
                DataSets.load(cfg));
    }
}
