package io.metalr.bench;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;

import javax.imageio.ImageIO;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The scale benchmark's data set: {@code n} RGB PNG images of {@code size}² pixels in a Parquet
 * table (columns {@code image}, {@code label}, {@code patient_id}; uncompressed pages, since PNG is
 * compressed already), written by a Spark job over {@code range(n)}. Each image is a pure function
 * of (seed, index): one of 5 classes of pattern (horizontal, vertical or diagonal stripes, a blob, a
 * checkerboard) with a random phase, scale and colour, plus mild noise; the patient is index / 4.
 *
 * <p>Written once under {@code <dir>/scale-v1-<n>x<size>rgb/}: the table in {@code table/}, beside
 * it {@code meta.json} (n, size, seed, generator version) and {@code _SUCCESS}; reused while both
 * are there and the meta matches (Spark would take any other file inside the table for data). It is written to a temp folder beside it and renamed into place, so a crashed run never
 * leaves a half set that looks whole. Local paths only.
 */
public final class ScaleData {

    /** Bumped whenever the images a (seed, index) gives change. */
    static final int VERSION = 1;
    static final int CLASSES = 5;
    private static final ObjectMapper JSON = new ObjectMapper();

    private ScaleData() {}

    /** The Parquet table of the set in {@code folder}. */
    public static Path table(Path folder) {
        return folder.resolve("table");
    }

    /** The set's folder under {@code root}. */
    public static Path folder(Path root, int n, int size) {
        return root.resolve("scale-v" + VERSION + "-" + n + "x" + size + "rgb");
    }

    static Map<String, Object> meta(int n, int size, long seed) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("n", n);
        m.put("size", size);
        m.put("seed", seed);
        m.put("generator_version", VERSION);
        m.put("classes", CLASSES);
        return m;
    }

    /** True when {@code folder} holds a whole set made with these settings. */
    public static boolean ready(Path folder, int n, int size, long seed) {
        Path meta = folder.resolve("meta.json");
        if (!Files.isRegularFile(folder.resolve("_SUCCESS")) || !Files.isRegularFile(meta)) {
            return false;
        }
        try {
            return JSON.readValue(meta.toFile(), Map.class).equals(JSON.readValue(JSON.writeValueAsString(meta(n, size, seed)),
                    Map.class));
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The set under {@code root}: reused when {@link #ready}, else generated with {@code spark} in
     * {@code files} partitions and committed by a rename. Returns its folder.
     */
    public static Path ensure(SparkSession spark, Path root, int n, int size, long seed, int files) throws IOException {
        Path target = folder(root, n, size);
        if (ready(target, n, size, seed)) {
            return target;
        }
        Files.createDirectories(root);
        Path tmp = root.resolve(".tmp-" + target.getFileName() + "-" + UUID.randomUUID());
        StructType schema = new StructType()
                .add("image", DataTypes.BinaryType, false)
                .add("label", DataTypes.IntegerType, false)
                .add("patient_id", DataTypes.StringType, false);
        JavaRDD<Row> rows = spark.range(0, n, 1, files).javaRDD()
                .map(i -> RowFactory.create(png(seed, i, size), label(seed, i), "p" + i / 4));
        spark.createDataFrame(rows, schema).write().option("compression", "none").parquet(table(tmp).toString());
        Files.writeString(tmp.resolve("meta.json"), JSON.writeValueAsString(meta(n, size, seed)));
        Files.createFile(tmp.resolve("_SUCCESS"));
        if (Files.exists(target)) {
            deleteTree(target); // a stale or partial set of another version
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        return target;
    }

    static int label(long seed, long index) {
        return (int) Math.floorMod(mix(seed, index) >>> 7, (long) CLASSES);
    }

    /** Image {@code index}: its class's pattern, random phase, scale and colours, noise of +-8 levels. */
    static BufferedImage image(long seed, long index, int size) {
        SplittableRandom rng = new SplittableRandom(mix(seed, index));
        int cls = label(seed, index);
        double period = size / (3.0 + rng.nextDouble() * 6);
        double phase = rng.nextDouble() * period;
        int[] fg = {rng.nextInt(256), rng.nextInt(256), rng.nextInt(256)};
        int[] bg = {rng.nextInt(256), rng.nextInt(256), rng.nextInt(256)};
        double cx = size * (0.3 + 0.4 * rng.nextDouble());
        double cy = size * (0.3 + 0.4 * rng.nextDouble());
        double r = size * (0.15 + 0.2 * rng.nextDouble());
        int[] pixels = new int[size * size];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                double t = switch (cls) {
                    case 0 -> stripe(y + phase, period);
                    case 1 -> stripe(x + phase, period);
                    case 2 -> stripe((x + y) / Math.sqrt(2) + phase, period);
                    case 3 -> Math.exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * r * r));
                    default -> (Math.floor((x + phase) / period) + Math.floor((y + phase) / period)) % 2;
                };
                int rgb = 0;
                for (int c = 0; c < 3; c++) {
                    int v = (int) Math.round(bg[c] + t * (fg[c] - bg[c])) + rng.nextInt(17) - 8;
                    rgb = rgb << 8 | Math.max(0, Math.min(255, v));
                }
                pixels[y * size + x] = rgb;
            }
        }
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, size, size, pixels, 0, size);
        return img;
    }

    static byte[] png(long seed, long index, int size) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image(seed, index, size), "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static double stripe(double at, double period) {
        return 0.5 + 0.5 * Math.sin(2 * Math.PI * at / period);
    }

    /** SplitMix64's finaliser over (seed, index): independent streams per image. */
    static long mix(long seed, long index) {
        long z = seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static void deleteTree(Path dir) throws IOException {
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
