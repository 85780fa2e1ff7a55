package io.metalr.data;

import io.metalr.data.read.IdxReader;
import io.metalr.data.read.NiftiReader;
import io.metalr.data.read.NiftiSettings;
import io.metalr.data.read.OnBadRecord;
import io.metalr.data.read.Sample;
import io.metalr.data.read.SampleSet;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The demo's real data, prepared from two Debian packages into MedMNIST-layout {@code .npz} files
 * that the {@code medmnist} reader takes:
 *
 * <ul>
 *   <li>source: Fashion-MNIST ({@code dataset-fashion-mnist}, IDX files), 10 classes, 28x28; val is
 *       a stratified 10% of train;
 *   <li>target: brain MRI ({@code mricron-data}: the Colin-27 T1 with the AAL atlas), 32x32 axial
 *       patches labelled by coarse brain region (5 classes), split 70/15/15 by slabs of 8 slices,
 *       so neighbouring slices never sit on both sides of a split;
 *   <li>second target: macaque brain MRI ({@code mricron-data}: the INIA19 rhesus macaque T1 with
 *       its NeuroMaps atlas), 32x32 coronal patches labelled by block of atlas structures (5
 *       classes, {@link NiftiSettings#inia19Blocks()}), split the same way.
 * </ul>
 */
public final class DemoData {

    public static final String FASHION_DIR = "/usr/share/datasets/fashion-mnist";
    public static final String SOURCE_FILE = "fashion-mnist.npz";
    public static final String TARGET_FILE = "brain-mri.npz";
    public static final String MACAQUE_FILE = "macaque-mri.npz";
    private static final List<String> PACKAGES = List.of("dataset-fashion-mnist", "mricron-data");

    private DemoData() {}

    /** Writes the three files into {@code dir} unless they are there; returns source, target, second target. */
    public static Path[] prepare(Path dir, long seed, Consumer<String> log) throws IOException {
        Files.createDirectories(dir);
        Path source = dir.resolve(SOURCE_FILE);
        Path target = dir.resolve(TARGET_FILE);
        Path macaque = dir.resolve(MACAQUE_FILE);
        Path[] all = {source, target, macaque};
        if (Files.isRegularFile(source) && Files.isRegularFile(target) && Files.isRegularFile(macaque)) {
            return all;
        }
        ensurePackages(log);
        if (!Files.isRegularFile(source)) {
            log.accept("preparing " + source + " from " + FASHION_DIR);
            SampleSet fashion = IdxReader.read(FASHION_DIR, OnBadRecord.FAIL);
            write(source, fashion, new Splits.Ratios(0.9, 0.1, 0.0), seed);
        }
        if (!Files.isRegularFile(target)) {
            log.accept("preparing " + target + " from " + NiftiSettings.MRICRON_T1 + " and " + NiftiSettings.MRICRON_AAL);
            SampleSet mri = NiftiReader.read(NiftiSettings.MRICRON_T1, NiftiSettings.demoAal(), OnBadRecord.FAIL);
            write(target, mri, new Splits.Ratios(0.7, 0.15, 0.15), seed);
        }
        if (!Files.isRegularFile(macaque)) {
            log.accept("preparing " + macaque + " from " + NiftiSettings.MRICRON_INIA19_T1 + " and "
                    + NiftiSettings.MRICRON_INIA19_ATLAS);
            SampleSet mri = NiftiReader.read(NiftiSettings.MRICRON_INIA19_T1, NiftiSettings.demoInia19(), OnBadRecord.FAIL);
            write(macaque, mri, new Splits.Ratios(0.7, 0.15, 0.15), seed);
        }
        return all;
    }

    /** Installs the two packages with apt-get when their files are missing, or says what to do. */
    static void ensurePackages(Consumer<String> log) throws IOException {
        boolean fashion = Files.isDirectory(Path.of(FASHION_DIR));
        boolean mri = Stream.of(NiftiSettings.MRICRON_T1, NiftiSettings.MRICRON_AAL, NiftiSettings.MRICRON_INIA19_T1,
                NiftiSettings.MRICRON_INIA19_ATLAS).allMatch(f -> Files.isRegularFile(Path.of(f)));
        if (fashion && mri) {
            return;
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        boolean apt = Files.isExecutable(Path.of("/usr/bin/apt-get"));
        if (!root || !apt) {
            throw new IOException("the demo data come from the Debian packages " + String.join(" and ", PACKAGES)
                    + (apt ? "; install them as root: apt-get install " + String.join(" ", PACKAGES)
                            : "; without apt, put Fashion-MNIST's IDX files (train-*/t10k-*) in " + FASHION_DIR
                                    + " and mricron's ch2bet.nii.gz, aal.nii.gz, inia19-t1-brain.nii.gz and inia19-NeuroMaps.nii.gz in "
                                    + NiftiSettings.MRICRON_TEMPLATES));
        }
        log.accept("installing " + String.join(" ", PACKAGES) + " with apt-get");
        run(List.of("apt-get", "update", "-qq"));
        List<String> install = new ArrayList<>(List.of("apt-get", "install", "-y", "-qq", "--no-install-recommends"));
        install.addAll(PACKAGES);
        run(install);
    }

    private static void run(List<String> command) throws IOException {
        try {
            Process p = new ProcessBuilder(command).inheritIO().start();
            int rc = p.waitFor();
            if (rc != 0) {
                throw new IOException(String.join(" ", command) + " failed with exit code " + rc);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(String.join(" ", command) + " interrupted", e);
        }
    }

    /** Splits (grouped by patient) and writes the samples as 8-bit images in the MedMNIST layout. */
    static void write(Path file, SampleSet set, Splits.Ratios ratios, long seed) throws IOException {
        List<Sample> samples = set.samples();
        int n = samples.size();
        int[] labels = new int[n];
        String[] patients = new String[n];
        String[] given = new String[n];
        boolean anyGiven = false;
        for (int i = 0; i < n; i++) {
            labels[i] = samples.get(i).label();
            patients[i] = samples.get(i).patientId();
            given[i] = samples.get(i).split();
            anyGiven |= given[i] != null;
        }
        Splits.Assignment a = Splits.assign(labels, patients, anyGiven ? given : null, ratios, seed);
        NpzWriter npz = new NpzWriter();
        String[] keys = {"train", "val", "test"};
        for (int s = 0; s < 3; s++) {
            int[] idx = a.indices(s);
            if (idx.length == 0) {
                continue;
            }
            int h = samples.get(idx[0]).image().height();
            int w = samples.get(idx[0]).image().width();
            // streamed image by image: the split's bytes are never one array
            npz.put(keys[s] + "_images", "|u1", new long[] {idx.length, h, w}, out -> {
                byte[] px = new byte[h * w];
                for (int i : idx) {
                    float[] v = samples.get(i).image().data();
                    for (int p = 0; p < px.length; p++) {
                        px[p] = (byte) Math.round(Math.max(0f, Math.min(1f, v[p])) * 255f);
                    }
                    out.write(px);
                }
            });
            npz.put(keys[s] + "_labels", "<i8", new long[] {idx.length, 1}, out -> {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                for (int i : idx) {
                    out.write(b.clear().putLong(samples.get(i).label()).array());
                }
            });
        }
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            npz.writeTo(out);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
