package io.metalr.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.metalr.eval.ClassificationMetrics;
import io.metalr.train.StepReport;
import io.metalr.train.Trainer;

import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import javax.imageio.ImageIO;

/** The metrics log's files and charts for a long run, built from hand-made step reports. */
class MetricsLogTest {

    private static final List<String> GROUPS = List.of("stem", "layer1.0", "fc");
    private static final int STEPS_PER_EPOCH = 1000;

    /** A 3-epoch run of 3000 steps: the stem's rate decays, layer1 is frozen at 0, the head's rate is constant. */
    private static MetricsLog longRun() {
        MetricsLog log = new MetricsLog(GROUPS);
        for (int i = 0; i < 3 * STEPS_PER_EPOCH; i++) {
            double[] lr = {1e-3 * Math.exp(-i / 1000.0), 0, 1e-2};
            boolean meta = i % 2 == 0;
            boolean skipped = i == 17;
            log.record(new StepReport(i, i / STEPS_PER_EPOCH, skipped ? Double.NaN : 2.0 / (1 + i / 100.0), 10, 16,
                    meta ? 1.5 : Double.NaN, lr, lr, meta ? new double[] {0.1, 0, -0.2} : new double[0], skipped), 0.05);
        }
        ClassificationMetrics val = val();
        log.addEpochs(List.of(
                new Trainer.EpochResult(0, STEPS_PER_EPOCH, 1.2, 0.5, val, new double[] {1e-3, 0, 1e-2}, 50),
                new Trainer.EpochResult(1, 2L * STEPS_PER_EPOCH, 0.9, 0.6, val, new double[] {4e-4, 0, 1e-2}, 50),
                new Trainer.EpochResult(2, 3L * STEPS_PER_EPOCH, 0.7, 0.7, val, new double[] {1e-4, 0, 1e-2}, 50)));
        return log;
    }

    @Test
    void jsonLinesInterleaveEpochsAfterTheirStepsAndWriteNullForUndefinedValues() throws IOException {
        MetricsLog log = longRun();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        log.writeJsonLines(out);
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(3 * STEPS_PER_EPOCH + 3, lines.length);
        for (String line : lines) {
            assertTrue(line.startsWith("{\"kind\":\"") && line.endsWith("}"), "[" + line + "]");
        }
        ObjectMapper json = new ObjectMapper();
        JsonNode epoch0 = json.readTree(lines[STEPS_PER_EPOCH]);
        assertEquals("epoch", epoch0.path("kind").asText());
        assertEquals(0, epoch0.path("epoch").asInt());
        assertEquals(STEPS_PER_EPOCH, epoch0.path("steps").asInt());
        assertEquals(val().macroAuc(), epoch0.path("val_auc").asDouble(), 1e-12);
        JsonNode first = json.readTree(lines[0]);
        assertEquals(1, first.path("step").asLong());
        assertEquals(3, first.path("hypergradient").size());
        assertEquals(-0.2, first.path("hypergradient").get(2).asDouble());
        assertEquals(320.0, first.path("images_per_second").asDouble(), 1e-9);
        JsonNode second = json.readTree(lines[1]);
        assertTrue(second.path("meta_loss").isNull(), "no meta step: " + lines[1]);
        assertFalse(second.has("hypergradient"), lines[1]);
        JsonNode skipped = json.readTree(lines[17]);
        assertTrue(skipped.path("skipped").asBoolean(), lines[17]);
        assertTrue(skipped.path("train_loss").isNull(), lines[17]);
        assertEquals("epoch", json.readTree(lines[lines.length - 1]).path("kind").asText());
        assertEquals((3 * STEPS_PER_EPOCH - 1) * 16L, log.images());
        assertEquals(150.0, log.stepSeconds(), 1e-6);
    }

    @Test
    void lrCsvHasOneColumnPerGroupAndOneRowPerStep() throws IOException {
        MetricsLog log = longRun();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        log.writeLrCsv(out);
        String[] rows = out.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals("step,stem,layer1.0,fc", rows[0]);
        assertEquals(3 * STEPS_PER_EPOCH + 1, rows.length);
        String[] last = rows[rows.length - 1].split(",");
        assertEquals("3000", last[0]);
        assertEquals(1e-3 * Math.exp(-2999 / 1000.0), Double.parseDouble(last[1]));
        assertEquals(0.0, Double.parseDouble(last[2]));
        assertEquals(1e-2, Double.parseDouble(last[3]));
    }

    @Test
    void aGroupNameWithACommaIsQuotedInTheCsv() throws IOException {
        MetricsLog log = new MetricsLog(List.of("a,b", "c"));
        log.record(new StepReport(0, 0, 1, 1, 1, Double.NaN, new double[] {1, 2}, new double[] {1, 2}, new double[0],
                false), 1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        log.writeLrCsv(out);
        assertEquals("step,\"a,b\",c\n1,1.0,2.0\n", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aStepWithTheWrongNumberOfRatesIsRefused() {
        MetricsLog log = new MetricsLog(GROUPS);
        StepReport r = new StepReport(4, 0, 1, 1, 1, Double.NaN, new double[2], new double[2], new double[0], false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> log.record(r, 1));
        assertTrue(e.getMessage().contains("step 5") && e.getMessage().contains("3 layer groups"), e.getMessage());
    }

    @Test
    void chartsOfALongRunAreFixedSizeDeterministicPngs() throws IOException {
        MetricsLog log = longRun();
        for (byte[] png : List.of(RunCharts.learningRates(log), RunCharts.loss(log), RunCharts.accuracy(log))) {
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
            assertEquals(RunCharts.WIDTH, img.getWidth());
            assertEquals(RunCharts.HEIGHT, img.getHeight());
            assertTrue(RunDirectoryChecks.colouredPixels(img) > 500);
        }
        assertTrue(Arrays.equals(RunCharts.learningRates(log), RunCharts.learningRates(longRun())),
                "the same log draws the same chart");
    }

    @Test
    void theHtmlReportEscapesText() {
        assertEquals("&lt;b&gt; &amp; &quot;x&quot; &#39;y&#39;", HtmlReport.esc("<b> & \"x\" 'y'"));
        assertEquals("n/a", HtmlReport.fmt("%.4f", Double.NaN));
        assertEquals("0.5000 ± 0.1000", HtmlReport.fmt("%.4f ± %.4f", 0.5, 0.1));
    }

    private static ClassificationMetrics val() {
        int[] labels = {0, 1, 2, 0, 1, 2};
        float[][] p = {{0.8f, 0.1f, 0.1f}, {0.2f, 0.7f, 0.1f}, {0.3f, 0.3f, 0.4f}, {0.1f, 0.8f, 0.1f},
            {0.3f, 0.6f, 0.1f}, {0.1f, 0.1f, 0.8f}};
        return ClassificationMetrics.compute(labels, p, 3);
    }
}
