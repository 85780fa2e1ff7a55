package io.metalr.spark;

import static io.metalr.TrainedRuns.assertSameRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;

import io.metalr.TestImages;
import io.metalr.TestSpark;
import io.metalr.TrainedRuns.Run;
import io.metalr.cli.Main;
import io.metalr.config.JobConfig;
import io.metalr.data.DataSets;
import io.metalr.data.NpzWriter;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Every record format, not only a table, trains from the executors' stores in a distributed run
 * ({@link ExecutorData#supports}), and that changes no number: one shard is the in-process run of
 * the same data bitwise, two shards the two-shard run over the broadcast sets. Under
 * {@code data.onBadRecord = skip} an image that does not decode, or is not of the set's size, is
 * dropped before the split on both paths.
 */
class FormatsOnExecutorsTest {

    private static final int SIZE = 12;

    @TempDir
    Path dir;

    /** A folder of class folders a, b, c of {@code perClass} gray PNGs whose brightness is the class. */
    private Path folder(String name, int perClass) throws Exception {
        Path root = dir.resolve(name);
        Random rnd = new Random(3);
        for (String cls : List.of("a", "b", "c")) {
            Files.createDirectories(root.resolve(cls));
            int base = cls.equals("a") ? 40 : cls.equals("b") ? 128 : 210;
            for (int i = 0; i < perClass; i++) {
                BufferedImage img = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_BYTE_GRAY);
                for (int y = 0; y < SIZE; y++) {
                    for (int x = 0; x < SIZE; x++) {
                        img.getRaster().setSample(x, y, 0, Math.max(0, Math.min(255, base + rnd.nextInt(61) - 30)));
                    }
                }
                Files.write(root.resolve(cls).resolve(String.format("img%02d.png", i)), TestImages.png(img));
            }
        }
        return root;
    }

    /** A MedMNIST-layout npz (stored, so read in place): uint8 images and int64 labels per split. */
    private Path medmnist(String name) throws Exception {
        Random rnd = new Random(5);
        NpzWriter npz = new NpzWriter();
        for (String[] split : new String[][] {{"train", "40"}, {"val", "16"}, {"test", "12"}}) {
            int n = Integer.parseInt(split[1]);
            byte[] px = new byte[n * SIZE * SIZE];
            long[] labels = new long[n];
            for (int i = 0; i < n; i++) {
                labels[i] = i % 3;
                for (int p = 0; p < SIZE * SIZE; p++) {
                    px[i * SIZE * SIZE + p] = (byte) Math.min(255, 40 + 80 * labels[i] + rnd.nextInt(50));
                }
            }
            npz.put(split[0] + "_images", NpzWriter.Array.uint8(px, n, SIZE, SIZE));
            npz.put(split[0] + "_labels", NpzWriter.Array.int64(labels, n, 1));
        }
        Path file = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(file)) {
            npz.writeTo(out);
        }
        return file;
    }

    private static JobConfig cfg(String format, Path path, int shards, String... extra) {
        String[] all = Arrays.copyOf(new String[] {"data.format = " + format, "data.path = \"" + path.toUri() + "\"",
                "train.epochs = 2"}, 3 + extra.length);
        System.arraycopy(extra, 0, all, 3, extra.length);
        return RecordsRunTest.cfg("unused", shards, all);
    }

    @Test
    void everyFormatButSyntheticLoadsOnTheExecutors() {
        for (String f : List.of("folder", "manifest", "idx", "table", "medmnist", "nifti")) {
            assertTrue(ExecutorData.supports(conf(f, "/data/x")), f);
        }
        assertTrue(ExecutorData.supports(conf("medmnist", "/data/x.npz.gz")), "a gzipped npz is one part");
        assertFalse(ExecutorData.supports(conf("synthetic", "")), "generated, not read");
    }

    /** A gzipped npz is one part, read by one task: one shard is still the in-process run. */
    @Test
    void aGzippedMedMnistFileTrainsFromTheExecutorsStores() throws Exception {
        Path npz = medmnist("tiny.npz");
        Path gz = dir.resolve("tiny.npz.gz");
        try (OutputStream out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(gz))) {
            Files.copy(npz, out);
        }
        Run local = RecordsRunTest.fromDataSets(cfg("medmnist", gz, 0), 0);
        assertSameRun(local, RecordsRunTest.fromStores(cfg("medmnist", gz, 1), 1));
        assertSameRun(local, RecordsRunTest.fromDataSets(cfg("medmnist", npz, 0), 0)); // the same data, gzipped or not
    }

    /**
     * A NIfTI T1 and its atlas: the patch index is computed in a task, the patches are cut on the
     * executor that stores them, and one shard is the in-process run.
     */
    @Test
    void aNiftiVolumeTrainsFromTheExecutorsStores() throws Exception {
        int n = 16;
        Random rnd = new Random(11);
        double[] t1 = new double[n * n * n];
        double[] atlas = new double[t1.length];
        for (int z = 0; z < n; z++) {
            for (int y = 0; y < n; y++) {
                for (int x = 0; x < n; x++) {
                    int i = (z * n + y) * n + x;
                    // aal_coarse: 1 frontal, 50 parietal_occipital, 80 temporal; brightness follows the region
                    atlas[i] = x < 6 ? 1 : x < 11 ? 50 : 80;
                    t1[i] = 100 + 40 * (x / 6) + 15 * rnd.nextGaussian();
                }
            }
        }
        Path t1File = io.metalr.data.read.TestFiles.write(dir.resolve("t1.nii"), io.metalr.data.read.TestFiles.nifti(
                java.nio.ByteOrder.LITTLE_ENDIAN, io.metalr.data.read.NiftiVolume.DT_FLOAT32, n, n, n, t1, 1f, 0f, 3, null));
        Path atlasFile = io.metalr.data.read.TestFiles.write(dir.resolve("atlas.nii"), io.metalr.data.read.TestFiles.nifti(
                java.nio.ByteOrder.LITTLE_ENDIAN, io.metalr.data.read.NiftiVolume.DT_UINT8, n, n, n, atlas, 1f, 0f, 3, null));
        String[] nifti = {"data.nifti.label_path = \"" + atlasFile.toUri() + "\"", "data.nifti.patch = 8",
            "data.nifti.stride = 4", "data.nifti.slab = 1", "data.nifti.min_labelled = 0.5"};
        Run local = RecordsRunTest.fromDataSets(cfg("nifti", t1File, 0, nifti), 0);
        assertTrue(local.steps().stream().anyMatch(s -> s.lrAfter()[0] != s.lrBefore()[0]), "the rates moved");
        assertSameRun(local, RecordsRunTest.fromStores(cfg("nifti", t1File, 1, nifti), 1));
    }

    private static JobConfig conf(String format, String path) {
        return JobConfig.of(ConfigFactory.parseString("data.format = " + format + "\ndata.path = \"" + path + "\""));
    }

    @Test
    void aPngFolderTrainsFromTheExecutorsStores() throws Exception {
        Path root = folder("pngs", 20);
        Run local = RecordsRunTest.fromDataSets(cfg("folder", root, 0), 0);
        assertTrue(local.steps().stream().anyMatch(s -> s.lrAfter()[0] != s.lrBefore()[0]), "the rates moved");
        assertSameRun(local, RecordsRunTest.fromStores(cfg("folder", root, 1), 1));
        JobConfig two = cfg("folder", root, 2, "meta.source = train");
        assertSameRun(RecordsRunTest.fromDataSets(two, 2), RecordsRunTest.fromStores(two, 2));
    }

    /** {@code train} itself takes the executors' path for a folder: its log says where the images went. */
    @Test
    void trainLoadsAFolderOnTheExecutors() throws Exception {
        Path root = folder("cli", 8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream was = System.out;
        int code;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            code = Main.execute("train", "--set", "device=cpu", "--set", "model.name=small_resnet", "--set", "train.epochs=1",
                    "--set", "train.max_steps=2", "--set", "data.format=folder", "--set", "data.path=\"" + root.toUri() + "\"",
                    "--set", "data.image_size=12", "--set", "data.channels=1", "--set", "distributed.shards=2");
        } finally {
            System.setOut(was);
        }
        String log = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, log);
        assertTrue(log.contains("stores: 24 images"), log);
    }

    @Test
    void aMedMnistFileTrainsFromTheExecutorsStores() throws Exception {
        Path npz = medmnist("tiny.npz");
        Run local = RecordsRunTest.fromDataSets(cfg("medmnist", npz, 0), 0);
        assertSameRun(local, RecordsRunTest.fromStores(cfg("medmnist", npz, 1), 1));
        JobConfig two = cfg("medmnist", npz, 2, "meta.direction = sgd");
        assertSameRun(RecordsRunTest.fromDataSets(two, 2), RecordsRunTest.fromStores(two, 2));
    }

    @Test
    void badImagesAreSkippedBeforeTheSplitOnBothPaths() throws Exception {
        Path root = folder("broken", 16);
        Files.write(root.resolve("a").resolve("img03.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        Files.write(root.resolve("c").resolve("img11.png"), "not an image".getBytes());
        // data.image_size = 0: an image of another size than the set's is a bad record too
        Files.write(root.resolve("b").resolve("img07.png"), TestImages.png(new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY)));
        JobConfig local = cfg("folder", root, 0, "data.onBadRecord = skip");
        DataSets.Loaded d = DataSets.load(local);
        assertEquals(3, d.skipped());
        assertEquals(45, d.train().size() + d.val().size() + d.test().size());

        JobConfig one = cfg("folder", root, 1, "data.onBadRecord = skip");
        List<String> log = new java.util.ArrayList<>();
        try (ExecutorData data = ExecutorData.load(one, TestSpark.context(), 1, log::add)) {
            assertEquals(3, data.outputs().skipped(), "skipped, counted");
            assertTrue(data.outputs().description().contains("3 bad records skipped"), data.outputs().description());
            assertEquals(d.description(), data.outputs().description(), "the same split");
            assertEquals(45, data.loaded().images());
        }
        assertTrue(log.get(0).startsWith("3 bad records (skipped)"), log.toString());
        assertSameRun(RecordsRunTest.fromDataSets(local, 0), RecordsRunTest.fromStores(one, 1));
    }
}
