package io.metalr.data;

import io.metalr.data.store.StoreWriter;
import io.metalr.udf.image.Image;

import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Procedurally generated labelled images, for tests, demos and benchmarks that must not depend on
 * files. Two tasks that share low-level features, so one can pre-train for the other:
 * {@code blobs} (the class is where a bright blob sits) and {@code stripes} (the class is the
 * orientation of a noisy grating). Balanced classes, deterministic for a seed.
 */
public final class SyntheticImages {

    private SyntheticImages() {}

    public static ImageSet generate(String task, int classes, int n, int channels, int size, long seed) {
        return generate(task, classes, n, channels, size, seed, null);
    }

    /** As {@link #generate(String, int, int, int, int, long)}, stored in {@code dir} (null: java.io.tmpdir). */
    public static ImageSet generate(String task, int classes, int n, int channels, int size, long seed, Path dir) {
        if (classes < 2 || n < 1 || channels < 1 || size < 8) {
            throw new IllegalArgumentException(
                    "synthetic data needs >= 2 classes, >= 1 image, >= 1 channel and size >= 8; got "
                            + classes + ", " + n + ", " + channels + ", " + size);
        }
        String t = task.toLowerCase(Locale.ROOT);
        if (!t.equals("blobs") && !t.equals("stripes")) {
            throw new IllegalArgumentException("data.synthetic.task must be blobs or stripes, got '" + task + "'");
        }
        SplittableRandom rng = new SplittableRandom(seed);
        float[] plane = new float[size * size];
        // one image at a time into the store: generated values are model inputs already (no preprocessing)
        try (StoreWriter out = StoreWriter.createIn(dir, "metalr-synthetic-")) {
            for (int i = 0; i < n; i++) {
                int label = i % classes;
                if (t.equals("blobs")) {
                    blob(plane, size, label, classes, rng);
                } else {
                    stripes(plane, size, label, classes, rng);
                }
                float[] px = new float[channels * plane.length];
                for (int c = 0; c < channels; c++) {
                    double gain = 1.0 - 0.15 * c;
                    for (int k = 0; k < plane.length; k++) {
                        px[c * plane.length + k] = (float) (plane[k] * gain + 0.35 * gaussian(rng));
                    }
                }
                out.add(i, label, new Image(px, channels, size, size));
            }
            int[] all = new int[n];
            java.util.Arrays.setAll(all, i -> i);
            return new ImageSet("synthetic-" + t, out.finish(), all, new String[n], null, channels, size, size, classes);
        }
    }

    private static void blob(float[] plane, int size, int label, int classes, SplittableRandom rng) {
        double angle = 2 * Math.PI * label / classes;
        double r = size * 0.28;
        double cx = size / 2.0 + r * Math.cos(angle) + rng.nextDouble(-1.5, 1.5);
        double cy = size / 2.0 + r * Math.sin(angle) + rng.nextDouble(-1.5, 1.5);
        double sigma = size * rng.nextDouble(0.07, 0.12);
        double amp = rng.nextDouble(0.8, 1.4);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                double d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
                plane[y * size + x] = (float) (amp * Math.exp(-d2 / (2 * sigma * sigma)) - 0.1);
            }
        }
    }

    private static void stripes(float[] plane, int size, int label, int classes, SplittableRandom rng) {
        double theta = Math.PI * label / classes + rng.nextDouble(-0.12, 0.12);
        double freq = rng.nextDouble(0.15, 0.3);
        double phase = rng.nextDouble(0, 2 * Math.PI);
        double amp = rng.nextDouble(0.5, 1.0);
        double kx = Math.cos(theta) * 2 * Math.PI * freq;
        double ky = Math.sin(theta) * 2 * Math.PI * freq;
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                plane[y * size + x] = (float) (amp * Math.sin(kx * x + ky * y + phase));
            }
        }
    }

    private static double gaussian(SplittableRandom rng) {
        // Box-Muller on the splittable stream, so the data do not depend on java.util.Random state
        double u = rng.nextDouble(1e-12, 1.0);
        double v = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
