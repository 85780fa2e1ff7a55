package io.metalr.data.read;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.metalr.Compress;
import io.metalr.TestImages;
import io.metalr.TestSpark;
import io.metalr.data.Splits;
import io.metalr.data.load.InProcessLoader;
import io.metalr.data.load.LoadSpec;
import io.metalr.data.load.LoadedShards;
import io.metalr.data.load.LocalStores;
import io.metalr.data.load.RecordLoads;
import io.metalr.data.records.Placement;
import io.metalr.data.records.RecordTable;
import io.metalr.udf.image.BadRecordException;
import io.metalr.udf.image.ImageDecoder;

import java.awt.image.BufferedImage;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Folders and manifests as records: the driver lists paths and reads manifest rows, tasks read and
 * decode the images; the records are today's samples in today's order, the stored images today's
 * floats bit for bit, Spark's stores the in-process ones, and a bad image carries today's message.
 */
class FileRecordsTest {

    static final Splits.Ratios RATIOS = new Splits.Ratios(0.6, 0.2, 0.2);
    static final List<Integer> ALL = List.of(Splits.TRAIN, Splits.VAL, Splits.TEST);

    static SparkSession spark;

    @TempDir
    Path dir;

    @BeforeAll
    static void session() {
        spark = TestSpark.session();
    }

    static LoadSpec spec(OnBadRecord onBad) {
        return new LoadSpec(ALL, ImageDecoder.DEFAULT_MAX_PIXELS, onBad, "");
    }

    /** A 9x7 image: RGB, 8-bit gray, or 16-bit gray, of a seeded pattern. */
    static byte[] png(int i) {
        Random rng = new Random(i);
        int type = i % 3 == 0 ? BufferedImage.TYPE_INT_RGB : i % 3 == 1 ? BufferedImage.TYPE_BYTE_GRAY
                : BufferedImage.TYPE_USHORT_GRAY;
        BufferedImage img = new BufferedImage(9, 7, type);
        for (int y = 0; y < 7; y++) {
            for (int x = 0; x < 9; x++) {
                if (type == BufferedImage.TYPE_USHORT_GRAY) {
                    img.getRaster().setSample(x, y, 0, rng.nextInt(65536));
                } else {
                    img.setRGB(x, y, rng.nextInt(1 << 24));
                }
            }
        }
        return TestImages.png(img);
    }

    Path folder(boolean withBad) throws Exception {
        Path root = dir.resolve("set");
        int i = 0;
        for (String split : List.of("train", "val", "test")) {
            for (String cls : List.of("cat", "dog", "eel")) {
                Path d = Files.createDirectories(root.resolve(split).resolve(cls));
                for (int k = 0; k < (split.equals("train") ? 4 : 2); k++) {
                    Files.write(d.resolve("img" + k + ".png"), png(i++));
                }
            }
        }
        if (withBad) {
            Files.write(root.resolve("val/dog/broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        }
        return root;
    }

    /** Records i and samples i are the same image: path, label, split, patient. */
    static void sameAsSamples(RecordTable rec, SampleSet set) {
        assertEquals(set.samples().size(), rec.size());
        assertEquals(set.classNames(), rec.classNames());
        assertEquals(set.skipped(), rec.skipped());
        String[] splits = rec.givenSplits();
        for (int i = 0; i < rec.size(); i++) {
            Sample s = set.samples().get(i);
            assertEquals(s.label(), rec.labels()[i]);
            assertEquals(s.split(), splits == null ? null : splits[i]);
            assertEquals(s.patientId(), rec.patients()[i]);
        }
    }

    /** rid -> today's floats, for records that are today's samples in order. */
    static Map<Long, float[]> reference(RecordTable rec, SampleSet set) {
        Map<Long, float[]> ref = new HashMap<>();
        for (int i = 0; i < rec.size(); i++) {
            ref.put(rec.rid(i), set.samples().get(i).image().data());
        }
        return ref;
    }

    @Test
    void aFolderLoadsOnSparkAsInProcessWithTodaysImages() throws Exception {
        Path root = folder(false);
        RecordTable rec = ImageFolderReader.records(root.toString(), DataLimits.DEFAULTS, DataPaths.configuration());
        SampleSet today = ImageFolderReader.read(root.toString(), OnBadRecord.FAIL);
        sameAsSamples(rec, today);
        for (int i = 0; i < rec.size(); i++) {
            assertEquals(today.samples().get(i).id(), rec.where(rec.rid(i)));
            // and independently of any reader: the decoder's floats of the file
            byte[] bytes = Files.readAllBytes(Path.of(java.net.URI.create(today.samples().get(i).id())));
            assertArrayEquals(ImageDecoder.decode(bytes, "x").data(), today.samples().get(i).image().data());
        }
        Map<Long, float[]> ref = reference(rec, today);
        LoadedShards sparked = RecordLoads.checkBothWays(spark, rec, Placement.of(rec, RATIOS, 5, 2),
                spec(OnBadRecord.FAIL), ref::get);
        assertEquals(rec.size(), sparked.images());
        LocalStores.release(sparked.dataKey());
    }

    @Test
    void aBrokenImageInAFolderIsNamedAsToday() throws Exception {
        Path root = folder(true);
        BadRecordException today = assertThrows(BadRecordException.class,
                () -> ImageFolderReader.read(root.toString(), OnBadRecord.FAIL));
        RecordTable rec = ImageFolderReader.records(root.toString(), DataLimits.DEFAULTS, DataPaths.configuration());
        Placement p = Placement.of(rec, RATIOS, 5, 2);
        BadRecordException loaded = assertThrows(BadRecordException.class,
                () -> InProcessLoader.load(rec, p, spec(OnBadRecord.FAIL)));
        assertEquals(today.getMessage(), loaded.getMessage());

        SampleSet skipping = ImageFolderReader.read(root.toString(), OnBadRecord.SKIP);
        Map<String, float[]> byPath = new HashMap<>();
        skipping.samples().forEach(s -> byPath.put(s.id(), s.image().data()));
        LoadedShards sparked = RecordLoads.checkBothWays(spark, rec, p, spec(OnBadRecord.SKIP),
                rid -> byPath.get(rec.where(rid)));
        assertEquals(1, sparked.bad().size());
        assertEquals(today.getMessage(), sparked.bad().get(0).message());
        assertEquals(skipping.samples().size(), sparked.images());
        LocalStores.release(sparked.dataKey());
    }

    /** a 6x5x4 float volume, slice 0 background (left out), the others foreground. */
    private void volume(String name) {
        double[] v = new double[6 * 5 * 4];
        for (int z = 0; z < 4; z++) {
            for (int i = 0; i < 30; i++) {
                v[z * 30 + i] = z == 0 ? 0 : z + 1 + (i % 3) + 0.25 * i;
            }
        }
        TestFiles.write(dir.resolve(name), Compress.gzip(TestFiles.nifti(ByteOrder.LITTLE_ENDIAN,
                NiftiVolume.DT_FLOAT32, 6, 5, 4, v, 0f, 0f, 3, null)));
    }

    Path manifest(String extraRows) throws Exception {
        Files.createDirectories(dir.resolve("img"));
        StringBuilder csv = new StringBuilder("path,label,patient_id\n");
        for (int i = 0; i < 14; i++) {
            Files.write(dir.resolve("img/" + i + ".png"), png(100 + i));
            csv.append("img/").append(i).append(".png,").append(i % 2 == 0 ? "benign" : "malignant").append(",p")
                    .append(i / 3).append('\n');
            if (i == 6) {
                csv.append("a.nii.gz,malignant,\n");
            }
        }
        volume("a.nii.gz");
        return Files.writeString(dir.resolve("m.csv"), csv + extraRows);
    }

    @Test
    void aManifestLoadsOnSparkAsInProcessWithTodaysImagesAndSlices() throws Exception {
        // a row with an unknown label is a bad record of the metadata: skipped on the driver, as today
        Path csv = manifest("img/0.png,zebra,p9\n");
        RecordTable rec = ManifestReader.records(csv.toString(), OnBadRecord.SKIP, List.of("benign", "malignant"),
                DataLimits.DEFAULTS, DataPaths.configuration());
        SampleSet today = ManifestReader.read(csv.toString(), OnBadRecord.SKIP, false, List.of("benign", "malignant"));
        assertEquals(14 + 3, today.samples().size(), "14 images, 3 foreground slices");
        sameAsSamples(rec, today);
        assertEquals(1, rec.skipped());
        LoadedShards sparked = RecordLoads.checkBothWays(spark, rec, Placement.of(rec, RATIOS, 3, 2),
                spec(OnBadRecord.FAIL), reference(rec, today)::get);
        assertEquals(rec.size(), sparked.images());
        LocalStores.release(sparked.dataKey());
    }

    @Test
    void aMissingOrBrokenFileInAManifestIsNamedByItsRowAsToday() throws Exception {
        Files.write(dir.resolve("bad.png"), new byte[] {1, 2, 3, 4});
        for (String row : List.of("gone.png,benign,p7\n", "bad.png,benign,p7\n")) {
            Path csv = manifest(row);
            BadRecordException today = assertThrows(BadRecordException.class,
                    () -> ManifestReader.read(csv.toString(), OnBadRecord.FAIL));
            RecordTable rec = ManifestReader.records(csv.toString(), OnBadRecord.FAIL, null, DataLimits.DEFAULTS,
                    DataPaths.configuration());
            Placement p = Placement.of(rec, RATIOS, 3, 1);
            BadRecordException loaded = assertThrows(BadRecordException.class,
                    () -> InProcessLoader.load(rec, p, spec(OnBadRecord.FAIL)));
            assertEquals(today.getMessage(), loaded.getMessage());
            LoadedShards sparked = io.metalr.data.load.SparkLoader.load(spark, rec, p, spec(OnBadRecord.SKIP));
            assertEquals(today.getMessage(), sparked.bad().get(0).message());
            assertEquals(rec.size() - 1, sparked.images());
            LocalStores.release(sparked.dataKey());
        }
    }
}
