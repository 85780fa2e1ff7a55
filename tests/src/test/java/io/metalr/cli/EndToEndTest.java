package io.metalr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;

import io.metalr.config.JobConfig;
import io.metalr.data.NpzWriter;
import io.metalr.sweep.SweepPlan;
import io.metalr.sweep.SweepSpec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import javax.imageio.ImageIO;

/**
 * The product as a user meets it, through the scripts in submit/: {@code submit/local.sh train}
 * with conf/medmnist.conf on a MedMNIST-format npz given by path, then {@code evaluate} and
 * {@code predict} on the model it wrote; and the shipped configs load. Needs the job packaged (the
 * reactor did it before this module); the scripts are told not to build.
 */
class EndToEndTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final int SIZE = 28;
    private static final int CLASSES = 3;

    @Test
    void trainEvaluatePredictThroughTheScripts(@TempDir Path tmp) throws Exception {
        Path npz = tmp.resolve("tinymnist.npz");
        writeMedMnist(npz, 7);
        Path run = tmp.resolve("run1");
        script(tmp, "train", "--config", ROOT.resolve("conf/medmnist.conf").toString(), "--set", "data.path=" + npz,
                "--set", "run.dir=" + run, "--set", "train.epochs=2", "--set", "train.batch_size=16", "--set", "device=cpu");
        for (String f : List.of("_SUCCESS", "report.html", "lr_curves.png", "lr.csv", "metrics.jsonl", "model/weights.ndlist")) {
            assertTrue(Files.exists(run.resolve(f)), "train wrote no " + f);
        }
        ObjectMapper json = new ObjectMapper();
        JsonNode summary = json.readTree(run.resolve("summary.json").toFile());
        assertEquals("resnet18", summary.path("model").asText());

        Path metrics = tmp.resolve("eval.json");
        script(tmp, "evaluate", "--model", run.toString(), "--output", metrics.toString());
        JsonNode eval = json.readTree(metrics.toFile());
        assertEquals(summary.path("test").path("accuracy").asDouble(), eval.path("metrics").path("accuracy").asDouble(), 1e-9,
                eval.toString());

        Path images = tmp.resolve("images");
        Files.createDirectories(images);
        Random rnd = new Random(3);
        for (int i = 0; i < 5; i++) {
            ImageIO.write(image(i % CLASSES, rnd), "png", images.resolve("scan" + i + ".png").toFile());
        }
        Path predictions = tmp.resolve("pred");
        script(tmp, "predict", "--model", run.toString(), "--input", images.toString(), "--output", predictions.toString(),
                "--format", "csv");
        List<String> rows = new ArrayList<>();
        try (var files = Files.list(predictions)) {
            for (Path p : files.filter(p -> p.getFileName().toString().endsWith(".csv")).toList()) {
                rows.addAll(Files.readAllLines(p, StandardCharsets.UTF_8).stream().filter(l -> l.contains("scan")).toList());
            }
        }
        assertEquals(5, rows.size(), "one row per image: " + rows);
    }

    @Test
    void theShippedConfigsLoad() throws Exception {
        JobConfig pocus = JobConfig.of(ConfigFactory.parseFile(ROOT.resolve("conf/pocus.conf").toFile()));
        assertEquals("resnet18", pocus.string("model.name"));
        assertEquals(64, pocus.integer("data.image_size"));
        assertEquals(128, pocus.integer("train.batch_size"));
        assertEquals(5, pocus.integer("data.folds"));
        assertEquals(30, pocus.integer("train.epochs"));
        assertEquals(0.1, pocus.number("meta.hyper_lr"));
        JobConfig.of(ConfigFactory.parseFile(ROOT.resolve("conf/medmnist.conf").toFile()));
        SweepSpec demo = SweepSpec.from(ConfigFactory.parseFile(ROOT.resolve("conf/demo.conf").toFile()));
        assertEquals(6, SweepPlan.trials(demo, 0).size());
    }

    /** Runs submit/local.sh with the arguments; fails with its output unless it exits 0. */
    private static void script(Path tmp, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", ROOT.resolve("submit/local.sh").toString()));
        cmd.addAll(List.of(args));
        Path log = Files.createTempFile(tmp, "script", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("METALR_NO_BUILD", "1");
        Process p = pb.start();
        boolean done = p.waitFor(5, TimeUnit.MINUTES);
        if (!done) {
            p.destroyForcibly();
        }
        String out = Files.readString(log);
        assertTrue(done && p.exitValue() == 0, String.join(" ", args) + " failed:\n"
                + (out.length() > 5000 ? out.substring(out.length() - 5000) : out));
    }

    /** A MedMNIST-layout npz: uint8 images N x 28 x 28 and int64 labels N x 1 per split. */
    private static void writeMedMnist(Path file, long seed) throws Exception {
        Random rnd = new Random(seed);
        NpzWriter npz = new NpzWriter();
        for (String[] split : new String[][] {{"train", "48"}, {"val", "24"}, {"test", "24"}}) {
            int n = Integer.parseInt(split[1]);
            byte[] px = new byte[n * SIZE * SIZE];
            long[] labels = new long[n];
            for (int i = 0; i < n; i++) {
                labels[i] = i % CLASSES;
                BufferedImage img = image((int) labels[i], rnd);
                for (int y = 0; y < SIZE; y++) {
                    for (int x = 0; x < SIZE; x++) {
                        px[i * SIZE * SIZE + y * SIZE + x] = (byte) (img.getRaster().getSample(x, y, 0));
                    }
                }
            }
            npz.put(split[0] + "_images", NpzWriter.Array.uint8(px, n, SIZE, SIZE));
            npz.put(split[0] + "_labels", NpzWriter.Array.int64(labels, n, 1));
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            npz.writeTo(out);
        }
    }

    /** A gray image whose bright band's position is the class, with noise. */
    private static BufferedImage image(int label, Random rnd) {
        BufferedImage img = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                boolean band = x / (SIZE / CLASSES) == label;
                img.getRaster().setSample(x, y, 0, Math.min(255, (band ? 180 : 40) + rnd.nextInt(40)));
            }
        }
        return img;
    }
}
