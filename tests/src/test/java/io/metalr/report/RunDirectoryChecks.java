package io.metalr.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import javax.imageio.ImageIO;

/** What a finished run directory must hold, checked through the Hadoop API (so for file:// and hdfs:// alike). */
final class RunDirectoryChecks {

    /** A finished run's directory; every run with run.dir checkpoints, single-process or distributed. */
    static final List<String> SINGLE_RUN = List.of("_SUCCESS", "accuracy.png", "checkpoints", "config.conf", "loss.png", "lr.csv",
            "lr_curves.png", "metrics.jsonl", "model", "report.html", "summary.json");

    private static final ObjectMapper JSON = new ObjectMapper();

    private RunDirectoryChecks() {}

    static List<String> names(FileSystem fs, Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        for (FileStatus s : fs.listStatus(dir)) {
            out.add(s.getPath().getName());
        }
        out.sort(null);
        return out;
    }

    static byte[] read(FileSystem fs, Path file) throws IOException {
        try (InputStream in = fs.open(file)) {
            return in.readAllBytes();
        }
    }

    static String text(FileSystem fs, Path file) throws IOException {
        return new String(read(fs, file), StandardCharsets.UTF_8);
    }

    static JsonNode summary(FileSystem fs, Path dir) throws IOException {
        return JSON.readTree(read(fs, new Path(dir, "summary.json")));
    }

    /** No temporary file below {@code dir}, and no checksum file beside the outputs (checkpoints keep theirs). */
    static void assertNoTemporaryFiles(FileSystem fs, Path dir) throws IOException {
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(dir, true);
        while (it.hasNext()) {
            Path p = it.next().getPath();
            String name = p.getName();
            assertFalse(name.endsWith(".tmp"), "left behind: " + p);
            assertFalse(name.endsWith(".crc") && !p.toString().contains("/checkpoints/"), "left behind: " + p);
        }
    }

    /** Every output of a finished single run, consistent with each other; returns summary.json. */
    static JsonNode assertCompleteRun(FileSystem fs, Path dir, int classes) throws IOException {
        return assertCompleteRun(fs, dir, classes, SINGLE_RUN);
    }

    static JsonNode assertCompleteRun(FileSystem fs, Path dir, int classes, List<String> expectedNames) throws IOException {
        assertEquals(expectedNames, names(fs, dir));
        assertEquals(List.of("metadata.json", "weights.ndlist"), names(fs, new Path(dir, "model")));
        assertNoTemporaryFiles(fs, dir);
        assertEquals(0, fs.getFileStatus(new Path(dir, "_SUCCESS")).getLen());

        JsonNode summary = summary(fs, dir);
        JsonNode test = summary.path("test");
        assertTrue(test.path("accuracy").isNumber(), "test.accuracy: " + test);
        assertTrue(test.path("accuracy").asDouble() >= 0 && test.path("accuracy").asDouble() <= 1);
        assertTrue(test.path("auc").isNumber(), "test.auc: " + test);
        assertTrue(test.path("auc").asDouble() >= 0 && test.path("auc").asDouble() <= 1);
        long inMatrix = 0;
        assertEquals(classes, test.path("confusion_matrix").size());
        for (JsonNode row : test.path("confusion_matrix")) {
            assertEquals(classes, row.size());
            for (JsonNode cell : row) {
                inMatrix += cell.asLong();
            }
        }
        assertEquals(test.path("n").asLong(), inMatrix);
        assertEquals(0, summary.path("skipped_records").asLong());
        assertTrue(summary.path("timing").path("seconds").asDouble() > 0);
        assertTrue(summary.path("timing").path("images_per_second").asDouble() > 0, "timing: " + summary.path("timing"));
        List<String> groups = new ArrayList<>();
        summary.path("groups").forEach(g -> groups.add(g.asText()));
        long steps = summary.path("steps").asLong();
        int epochs = summary.path("epochs").asInt();

        // metrics.jsonl: one object a line; every step, then its epoch's record
        String[] lines = text(fs, new Path(dir, "metrics.jsonl")).split("\n");
        List<double[]> stepLr = new ArrayList<>();
        long lastStep = 0;
        int epochRecords = 0;
        for (String line : lines) {
            assertTrue(line.startsWith("{\"kind\":") && line.endsWith("}"), "one object a line: [" + line + "]");
            JsonNode r = JSON.readTree(line);
            String kind = r.path("kind").asText();
            if (kind.equals("step")) {
                assertEquals(lastStep + 1, r.path("step").asLong(), line);
                lastStep = r.path("step").asLong();
                assertEquals(epochRecords, r.path("epoch").asInt(), "a step of epoch " + r.path("epoch") + " after "
                        + epochRecords + " epoch records");
                assertTrue(r.path("train_loss").isNumber(), line);
                assertEquals(groups.size(), r.path("lr").size(), line);
                assertTrue(r.path("seconds").asDouble() > 0, line);
                double[] lr = new double[groups.size()];
                for (int g = 0; g < lr.length; g++) {
                    lr[g] = r.path("lr").get(g).asDouble();
                }
                stepLr.add(lr);
            } else {
                assertEquals("epoch", kind, line);
                assertEquals(epochRecords, r.path("epoch").asInt(), line);
                assertEquals(lastStep, r.path("steps").asLong(), "the epoch record follows its last step: " + line);
                assertTrue(r.path("val_accuracy").isNumber(), line);
                assertTrue(r.path("train_loss").isNumber(), line);
                epochRecords++;
            }
        }
        assertEquals(steps, stepLr.size());
        assertEquals(epochs, epochRecords);
        double[] finalLr = new double[groups.size()];
        for (int g = 0; g < finalLr.length; g++) {
            finalLr[g] = summary.path("final_lr").get(g).asDouble();
        }
        assertArrayEquals(finalLr, stepLr.get(stepLr.size() - 1), "the last step's rates are the final rates");

        // lr.csv: step, one column per group; the same numbers as metrics.jsonl
        String[] csv = text(fs, new Path(dir, "lr.csv")).split("\n");
        assertEquals("step," + String.join(",", groups), csv[0]);
        assertEquals(steps + 1, csv.length);
        for (int i = 1; i < csv.length; i++) {
            String[] cells = csv[i].split(",", -1);
            assertEquals(groups.size() + 1, cells.length, csv[i]);
            assertEquals(i, Long.parseLong(cells[0]));
            for (int g = 0; g < groups.size(); g++) {
                assertEquals(stepLr.get(i - 1)[g], Double.parseDouble(cells[g + 1]), csv[i]);
            }
        }

        // the charts: PNGs of the fixed size, with something drawn on them
        for (String png : List.of("lr_curves.png", "loss.png", "accuracy.png")) {
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(read(fs, new Path(dir, png))));
            assertTrue(img != null, png + " is not a readable image");
            assertEquals(RunCharts.WIDTH, img.getWidth(), png);
            assertEquals(RunCharts.HEIGHT, img.getHeight(), png);
            // axes, grid and text are gray; the data lines are coloured (the legend's samples alone stay far below this)
            assertTrue(colouredPixels(img) > 500, png + " shows no data lines: " + colouredPixels(img) + " coloured pixels");
        }

        // report.html: ties the files together
        String html = text(fs, new Path(dir, "report.html"));
        for (String ref : List.of("src=\"lr_curves.png\"", "src=\"loss.png\"", "src=\"accuracy.png\"",
                "href=\"metrics.jsonl\"", "href=\"lr.csv\"", "href=\"summary.json\"", "href=\"config.conf\"",
                "href=\"model/\"")) {
            assertTrue(html.contains(ref), "report.html lacks " + ref);
        }
        for (String g : groups) {
            assertTrue(html.contains(">" + g + "<"), "report.html lacks group " + g);
        }
        summary.path("classes").forEach(c -> assertTrue(html.contains(">" + c.asText() + "<"), "lacks class " + c));
        assertFalse(html.contains("<script"));
        assertFalse(html.contains("http://") || html.contains("https://"), "report.html must be self-contained");
        return summary;
    }

    static int colouredPixels(BufferedImage img) {
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y);
                int r = (rgb >> 16) & 0xff;
                int g = (rgb >> 8) & 0xff;
                int b = rgb & 0xff;
                if (Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b)) > 60) {
                    n++;
                }
            }
        }
        return n;
    }
}
