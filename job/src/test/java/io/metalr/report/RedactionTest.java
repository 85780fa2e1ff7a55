package io.metalr.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.data.read.ManifestReader;
import io.metalr.data.read.OnBadRecord;
import io.metalr.udf.image.BadRecordException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** A stored failure message keeps what went wrong and where in the manifest, and loses every path. */
class RedactionTest {

    @Test
    void aReadersMessageLosesTheImagePathAndKeepsTheRow(@TempDir Path dir) throws Exception {
        Path images = Files.createDirectories(dir.resolve("secret folder-XYZ"));
        Files.write(images.resolve("PATIENT-SECRET-0042 scan.png"), "not an image".getBytes(StandardCharsets.US_ASCII));
        Files.writeString(dir.resolve("labels.csv"), "path,label\n\"secret folder-XYZ/PATIENT-SECRET-0042 scan.png\",1\n");
        BadRecordException e = assertThrows(BadRecordException.class,
                () -> ManifestReader.read(dir.resolve("labels.csv").toString(), OnBadRecord.FAIL));
        assertTrue(e.getMessage().contains("PATIENT-SECRET-0042"), "the reader names the file: " + e.getMessage());

        String stored = Redaction.failure("data", e, List.of());
        assertTrue(stored.startsWith("data: labels.csv row 2: " + Redaction.PATH), stored);
        assertTrue(stored.contains("not a PNG or JPEG image"), stored);
        String lower = stored.toLowerCase(Locale.ROOT);
        assertFalse(lower.contains("patient") || lower.contains("secret") || lower.contains("scan"), stored);
    }

    @Test
    void pathsOfEveryShapeGo() {
        assertEquals("<path>: not a readable image: javax.imageio.IIOException: <path> (No such file)",
                Redaction.withoutPaths("/data/PATIENT-7/a.png: not a readable image: javax.imageio.IIOException:"
                        + " file:/data/PATIENT-7/a.png (No such file)"));
        assertEquals("<path>: truncated", Redaction.withoutPaths("hdfs://nn:8020/scans/PATIENT-7/a.dcm: truncated"));
        assertEquals("row 3: bad path '<path>': no scheme", Redaction.withoutPaths("row 3: bad path 'Jane Doe/x 1.png': no scheme"));
        assertEquals("row 3: no such file <path>", Redaction.withoutPaths("row 3: no such file C:\\scans\\p7.PNG"));
        assertEquals("image (<path>) is 3x3", Redaction.withoutPaths("image (Doe_Jane.jpeg) is 3x3"));
    }

    @Test
    void whatIsNoPathStays() {
        for (String s : new String[] {
            "labels.csv row 7: label 'x' is not an integer",
            "pneumoniamnist.npz:train[17]: a NaN pixel",
            "split ratios must sum to 1, got train 0.7 / val 0.2 / test 0.2 (sum 1.1)",
            "non-finite loss at step 3 (train.lr = 1e30)",
        }) {
            assertEquals(s, Redaction.withoutPaths(s));
        }
        assertEquals("config: java.lang.IllegalStateException", Redaction.failure("config", new IllegalStateException(), List.of()));
    }

    @Test
    void theConfiguredPathsStay() {
        List<String> configured = List.of("/data/study/scans", "/models/source.pt");
        assertEquals("data.path /data/study/scans: file:/data/study/scans: no such file or directory",
                Redaction.withoutPaths("data.path /data/study/scans: file:/data/study/scans: no such file or directory",
                        configured));
        assertEquals("model.pretrained '/models/source.pt' and hdfs://nn:8020/models/source.pt: truncated",
                Redaction.withoutPaths("model.pretrained '/models/source.pt' and hdfs://nn:8020/models/source.pt: truncated",
                        configured));
        // an image under the configured folder is a record
        assertEquals("<path>: not a PNG", Redaction.withoutPaths("/data/study/scans/PATIENT-7/a.png: not a PNG", configured));
    }
}
