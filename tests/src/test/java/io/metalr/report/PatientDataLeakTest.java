package io.metalr.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.metalr.TestSpark;
import io.metalr.cli.Main;

import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

/**
 * No patient id and no image path reaches what a run leaves behind. A manifest whose patient ids
 * ({@value #PATIENT}...) and image folder ({@value #FOLDER}) are distinctive strings, with a
 * corrupt image, a missing one and a bad label (data.onBadRecord = skip) and a patient in both
 * the data's train and test splits (the leak warning), goes through train on local Spark,
 * evaluate, predict (skipping the corrupt image) and a sweep with a trial that fails on the
 * corrupt image; all in one child JVM, whose stdout and stderr are kept. Then every byte of that
 * output and of every file written (run directory, evaluation, sweep tables, trial runs) is
 * searched for the strings. The one exception is predict's own output rows, whose {@code path}
 * column is the product the user asked for.
 */
class PatientDataLeakTest {

    static final String PATIENT = "PATIENT-SECRET-";
    static final String FOLDER = "secretfolder-XYZ";
    private static final int SIZE = 16;

    @Test
    void noPatientIdOrImagePathInAnyOutputOrLogLine(@TempDir Path tmp) throws Exception {
        Path fixture = tmp.resolve("fixture");
        Path manifest = writeFixture(fixture);
        Path out = tmp.resolve("out");
        Path run = out.resolve("run");
        Files.createDirectories(out);
        Path conf = tmp.resolve("job.conf");
        Files.writeString(conf, """
                device = cpu
                model.name = small_resnet
                data { format = manifest, path = "%s", onBadRecord = skip }
                train { epochs = 1, batch_size = 8, log_every = 1, eval_batch_size = 32 }
                distributed { shards = 2, master = "local[2]" }
                run.dir = "%s"
                """.formatted(manifest, run));
        Path sweepConf = tmp.resolve("sweep.conf");
        Files.writeString(sweepConf, """
                include file("%s")
                distributed.shards = 0
                sweep {
                  variants {
                    lenient { strategy = full }
                    strict { strategy = full, data.onBadRecord = fail }
                  }
                  out = "%s"
                }
                """.formatted(conf, out.resolve("sweep")));

        String log = runChild(tmp, out, List.of(
                List.of("train", "--config", conf.toString()),
                List.of("evaluate", "--model", run.toString(), "--output", out.resolve("eval.json").toString()),
                List.of("predict", "--model", run.toString(), "--input", fixture.resolve(FOLDER).toString(),
                        "--output", out.resolve("pred").toString(), "--on-bad-record", "skip"),
                List.of("sweep", "--config", sweepConf.toString())));

        // the fixture did what it is for: records were skipped, the leak was found, a trial failed on data
        String summary = Files.readString(run.resolve("summary.json"));
        assertTrue(summary.contains("\"skipped_records\" : 3"), summary);
        assertTrue(summary.contains("more than one of the data's own splits"), summary);
        String results = Files.readString(out.resolve("sweep/results.csv"));
        assertTrue(results.contains(",failed,data: "), results);
        assertTrue(log.contains("skipped 1 bad image"), log);

        List<String> leaks = new ArrayList<>();
        scan("stdout and stderr", log, leaks);
        try (Stream<Path> files = Files.walk(out)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String rel = out.relativize(f).toString();
                if (rel.startsWith("pred" + File.separator) && f.getFileName().toString().startsWith("part-")) {
                    continue; // the predictions themselves: one row per image, keyed by its path
                }
                scan(rel, new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1), leaks);
            }
        }
        // Parquet pages may be compressed: read the table back as well
        for (Row r : TestSpark.session().read().parquet(out.resolve("sweep/results.parquet").toString()).collectAsList()) {
            scan("sweep/results.parquet", r.toString(), leaks);
        }
        assertEquals(List.of(), leaks, "patient ids or image paths found; the child's output:\n" + log);
    }

    /** Every place in {@code text} that names a patient or the image folder, as "where: ...context...". */
    private static void scan(String where, String text, List<String> leaks) {
        String lower = text.toLowerCase(Locale.ROOT);
        for (String secret : List.of(PATIENT, FOLDER)) {
            String s = secret.toLowerCase(Locale.ROOT);
            for (int at = lower.indexOf(s); at >= 0; at = lower.indexOf(s, at + 1)) {
                int from = Math.max(0, text.lastIndexOf('\n', at) + 1);
                int to = text.indexOf('\n', at);
                String line = text.substring(Math.max(from, at - 120), to < 0 ? Math.min(text.length(), at + 120)
                        : Math.min(to, at + 120));
                leaks.add(where + ": " + line);
            }
        }
    }

    /**
     * 10 patients with 3 images each, split by patient (patient 9 also has an image in train: the
     * leak), plus a corrupt PNG, a row naming a missing file and a row with a bad label.
     */
    static Path writeFixture(Path fixture) throws IOException {
        Path images = fixture.resolve(FOLDER);
        Files.createDirectories(images);
        Random rnd = new Random(5);
        StringBuilder csv = new StringBuilder("path,label,patient_id,split\n");
        String[] splitOf = {"train", "train", "train", "train", "train", "val", "val", "test", "test", "test"};
        for (int p = 0; p < 10; p++) {
            String patient = String.format(Locale.ROOT, "%s%04d", PATIENT, 40 + p);
            for (int k = 0; k < 3; k++) {
                int label = (p + k) % 2;
                String file = patient + "-img-" + k + ".png";
                ImageIO.write(image(label, rnd), "png", images.resolve(file).toFile());
                String split = p == 9 && k == 0 ? "train" : splitOf[p];
                csv.append(FOLDER).append('/').append(file).append(',').append(label).append(',').append(patient)
                        .append(',').append(split).append('\n');
            }
        }
        Files.write(images.resolve(PATIENT + "0077-corrupt.png"), "not a PNG at all".getBytes(StandardCharsets.US_ASCII));
        csv.append(FOLDER).append('/').append(PATIENT).append("0077-corrupt.png,1,").append(PATIENT).append("0077,train\n");
        csv.append(FOLDER).append('/').append(PATIENT).append("0078-missing.png,0,").append(PATIENT).append("0078,train\n");
        csv.append(FOLDER).append('/').append(PATIENT).append("0040-img-0.png,x,")
                .append(PATIENT).append("0040,train\n");
        Path manifest = fixture.resolve("manifest.csv");
        Files.writeString(manifest, csv);
        return manifest;
    }

    /** Class 0 bright in the top half, class 1 in the bottom half, with noise. */
    private static BufferedImage image(int label, Random rnd) {
        BufferedImage img = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                boolean bright = (y < SIZE / 2) == (label == 0);
                img.getRaster().setSample(x, y, 0, (bright ? 180 : 40) + rnd.nextInt(40));
            }
        }
        return img;
    }

    /** Runs {@link Child} in a JVM of its own; returns its stdout and stderr, failing unless every command exits 0. */
    private static String runChild(Path tmp, Path workDir, List<List<String>> commands) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
                "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
                "--add-opens=java.base/java.net=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
                "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_interop_threads=1", "-Xmx2g",
                "-Dspark.ui.enabled=false", "-Dspark.driver.host=127.0.0.1", "-Dspark.driver.bindAddress=127.0.0.1"));
        String cp = System.getProperty("surefire.test.class.path");
        cmd.addAll(List.of("-cp", cp == null || cp.isBlank() ? System.getProperty("java.class.path") : cp));
        cmd.add(Child.class.getName());
        for (List<String> c : commands) {
            cmd.addAll(c);
            cmd.add(Child.NEXT);
        }
        Path log = tmp.resolve("child.log");
        Process p = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        boolean done = p.waitFor(10, TimeUnit.MINUTES);
        if (!done) {
            p.destroyForcibly().waitFor();
        }
        String out = Files.readString(log, StandardCharsets.ISO_8859_1);
        assertTrue(done && p.exitValue() == 0, "the commands failed:\n" + out);
        return out;
    }

    /** Runs the commands separated by {@value #NEXT} one after the other in this JVM; exits 1 at the first failure. */
    public static final class Child {

        static final String NEXT = "--next--";

        public static void main(String[] args) {
            List<String> command = new ArrayList<>();
            for (String a : args) {
                if (!a.equals(NEXT)) {
                    command.add(a);
                    continue;
                }
                int code = Main.execute(command.toArray(String[]::new));
                System.out.println("[child] " + command.get(0) + " exited " + code);
                if (code != 0) {
                    System.exit(1);
                }
                command.clear();
            }
            System.exit(0);
        }
    }
}
