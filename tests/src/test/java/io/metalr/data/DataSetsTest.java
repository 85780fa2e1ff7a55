package io.metalr.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;

import io.metalr.cli.ExitCodes;
import io.metalr.cli.Main;
import io.metalr.config.JobConfig;
import io.metalr.udf.image.BadRecordException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** The configured data set end to end: reader, preprocessing, bad records, grouped splits. */
class DataSetsTest {

    @TempDir
    Path dir;

    /** root/<class>/*.png, 2 classes x 20 images of 12x12, plus whatever the test adds. */
    private Path folder() throws IOException {
        Path root = dir.resolve("scans");
        for (String c : new String[] {"benign", "malignant"}) {
            Files.createDirectories(root.resolve(c));
            for (int i = 0; i < 20; i++) {
                BufferedImage img = new BufferedImage(12, 12, BufferedImage.TYPE_BYTE_GRAY);
                img.getRaster().setSample(i % 12, c.equals("benign") ? 2 : 9, 0, 200);
                ImageIO.write(img, "png", root.resolve(c).resolve("img" + i + ".png").toFile());
            }
        }
        return root;
    }

    private static JobConfig cfg(Path root, String... more) {
        return JobConfig.of(ConfigFactory.parseString(
                "data.format = folder\ndata.path = \"" + root + "\"\n" + String.join("\n", more)));
    }

    @Test
    void foldersArePreprocessedAndSplitByRatio() throws IOException {
        DataSets.Loaded d = DataSets.load(cfg(folder(), "data.image_size = 16", "data.channels = 3"));
        assertEquals(40, d.train().size() + d.val().size() + d.test().size());
        assertEquals(3, d.channels());
        assertEquals(16, d.train().height());
        assertEquals(java.util.List.of("benign", "malignant"), d.classNames());
        assertEquals(28, d.train().size(), "70% of 40");
        assertEquals(d.train().classCounts()[0], d.train().classCounts()[1], "stratified");
        assertTrue(d.description().contains("train"), d.description());
    }

    @Test
    void corruptImageFailsNamingTheFileOrIsSkippedAndCounted() throws IOException {
        Path root = folder();
        Path bad = root.resolve("malignant").resolve("broken.png");
        Files.write(bad, new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0});
        BadRecordException e = assertThrows(BadRecordException.class, () -> DataSets.load(cfg(root)));
        assertTrue(e.getMessage().contains("broken.png"), e.getMessage());
        DataSets.Loaded d = DataSets.load(cfg(root, "data.onBadRecord = skip"));
        assertEquals(1, d.skipped());
        assertEquals(40, d.train().size() + d.val().size() + d.test().size());
    }

    @Test
    void imageOfAnotherSizeNeedsResizing() throws IOException {
        Path root = folder();
        ImageIO.write(new BufferedImage(20, 20, BufferedImage.TYPE_BYTE_GRAY), "png",
                root.resolve("benign").resolve("big.png").toFile());
        BadRecordException e = assertThrows(BadRecordException.class, () -> DataSets.load(cfg(root)));
        assertTrue(e.getMessage().contains("big.png") && e.getMessage().contains("data.image_size"), e.getMessage());
        assertEquals(41, count(DataSets.load(cfg(root, "data.image_size = 12"))));
    }

    @Test
    void badDataAndMissingPathsGiveTheBadDataExitCode() throws IOException {
        Path root = folder();
        Files.write(root.resolve("benign").resolve("broken.png"), new byte[] {1, 2, 3});
        assertEquals(ExitCodes.BAD_DATA, Main.execute("train", "--set", "data.format=folder",
                "--set", "data.path=" + root, "--set", "train.epochs=1"));
        assertEquals(ExitCodes.BAD_DATA, Main.execute("train", "--set", "data.format=medmnist",
                "--set", "data.path=" + dir.resolve("nowhere.npz"), "--set", "train.epochs=1"));
    }

    @Test
    void theDescriptionNamesLeakedPatientsByRecordOrHashNeverById() throws IOException {
        // 12 patients of 2 images; the data's own splits put patient 11 in train and test
        Path root = folder();
        StringBuilder csv = new StringBuilder("path,label,patient_id,split\n");
        for (int i = 0; i < 24; i++) {
            String c = i % 2 == 0 ? "benign" : "malignant";
            int p = i / 2;
            String split = p == 11 ? (i % 2 == 0 ? "train" : "test") : p < 7 ? "train" : p < 9 ? "val" : "test";
            csv.append(c).append("/img").append(p).append(".png,").append(c).append(",PATIENT-SECRET-").append(p)
                    .append(',').append(split).append('\n');
        }
        Files.writeString(root.resolve("labels.csv"), csv);
        String manifest = "data.format = manifest\ndata.path = \"" + root.resolve("labels.csv") + "\"\n";

        String byIndex = DataSets.load(JobConfig.of(ConfigFactory.parseString(manifest))).description();
        assertTrue(byIndex.contains("1 patients are in more than one of the data's own splits (the patient of record #22)"),
                byIndex);
        String hashed = DataSets.load(JobConfig.of(ConfigFactory.parseString(manifest + "report.record_ids = hashed")))
                .description();
        assertTrue(hashed.matches("(?s).*own splits \\(patient [0-9a-f]{12}\\);.*"), hashed);
        for (String text : new String[] {byIndex, hashed}) {
            assertFalse(text.contains("PATIENT-SECRET") || text.contains("img11"), text);
        }
    }

    private static int count(DataSets.Loaded d) {
        return d.train().size() + d.val().size() + d.test().size();
    }
}
