package io.metalr.data.read;

import io.metalr.formats.NpyArray;
import io.metalr.udf.image.BadRecordException;
import io.metalr.udf.image.Image;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;

/**
 * A MedMNIST {@code .npz}: keys {@code train_images}, {@code train_labels}, {@code val_images},
 * {@code val_labels}, {@code test_images}, {@code test_labels} (a file may leave out a whole split;
 * it needs at least one). Images are {@code (N, H, W)} gray or {@code (N, H, W, 3)} RGB (or
 * {@code (N, H, W, 1)}) of any size; labels {@code (N, 1)} or {@code (N,)} integers.
 *
 * <p>Pixels: uint8 is scaled by 1/255; other integer dtypes by 1/255 when the array's values fit in
 * 0..255, else by 1/65535 (a value outside 0..65535 is a bad record); float images are taken as
 * they are (already in [0, 1]), and a NaN or infinite pixel is a bad record. A label that is
 * negative, not an integer, or not below {@code numClasses} (when given) is a bad record.
 *
 * <p>Multi-label files (labels with more than one column, such as ChestMNIST's 14) and 3D sets
 * ({@code (N, D, H, W)}, the *MNIST3D files) are refused with a {@link BadRecordException}, as is
 * a file (or one array in it) over {@link DataLimits#maxFileBytes()}.
 *
 * <p>Class names are "0".."K-1", K = {@code numClasses} when given, else the largest label + 1.
 * Sample ids look like {@code pneumoniamnist.npz:train[17]} (the index within the file's split,
 * whether or not earlier records were skipped); the split comes from the key; patientId is null.
 * The whole file is read into memory, so it must be under 2 GiB.
 */
public final class MedMnistReader {

    private MedMnistReader() {}

    public static SampleSet read(String path, OnBadRecord onBad) throws IOException {
        return read(path, onBad, 0, DataPaths.configuration());
    }

    /** @param numClasses the number of classes when known (labels must be below it); 0 = infer */
    public static SampleSet read(String path, OnBadRecord onBad, int numClasses) throws IOException {
        return read(path, onBad, numClasses, DataPaths.configuration());
    }

    public static SampleSet read(String path, OnBadRecord onBad, int numClasses, Configuration conf)
            throws IOException {
        return read(path, onBad, numClasses, DataLimits.DEFAULTS, conf);
    }

    /** Reads the file; it, and each array in it, may hold at most {@code limits.maxFileBytes()}. */
    public static SampleSet read(String path, OnBadRecord onBad, int numClasses, DataLimits limits,
            Configuration conf) throws IOException {
        byte[] bytes = DataPaths.readData(path, true, limits.maxFileBytes(), conf);
        String name = DataPaths.name(path);
        return parse(bytes, name, onBad, numClasses, limits);
    }

    /** Parses the bytes of an npz; {@code name} names the file in ids and messages. */
    public static SampleSet parse(byte[] npz, String name, OnBadRecord onBad, int numClasses) {
        return parse(npz, name, onBad, numClasses, DataLimits.DEFAULTS);
    }

    public static SampleSet parse(byte[] npz, String name, OnBadRecord onBad, int numClasses, DataLimits limits) {
        if (numClasses < 0) {
            throw new IllegalArgumentException("numClasses must be >= 0, not " + numClasses);
        }
        List<String> keys = Npy.npzKeys(npz, name);
        List<String> splits = new ArrayList<>();
        for (String split : SampleSets.NAMES) {
            boolean hasImages = keys.contains(split + "_images");
            boolean hasLabels = keys.contains(split + "_labels");
            if (hasImages != hasLabels) {
                throw new BadRecordException(name + ": has " + split + (hasImages ? "_images" : "_labels")
                        + " but no " + split + (hasImages ? "_labels" : "_images"));
            }
            if (hasImages) {
                splits.add(split);
            }
        }
        if (splits.isEmpty()) {
            throw new BadRecordException(name + ": not a MedMNIST .npz: no train_images/train_labels,"
                    + " val_... or test_... keys (keys: " + keys + ")");
        }
        // Labels first, for every split: multi-label files are refused before any image is decoded.
        List<String> wanted = new ArrayList<>();
        for (String split : splits) {
            wanted.add(split + "_labels");
        }
        Map<String, NpyArray> labelArrays = Npy.parseNpz(npz, name, wanted, limits.maxFileBytes());
        for (String split : splits) {
            checkLabelShape(labelArrays.get(split + "_labels"), name, split);
        }

        List<Sample> samples = new ArrayList<>();
        long skipped = 0;
        int maxLabel = -1;
        for (String split : splits) {
            NpyArray labels = labelArrays.get(split + "_labels");
            NpyArray images = Npy.parseNpz(npz, name, List.of(split + "_images"), limits.maxFileBytes())
                    .get(split + "_images");
            long[] s = images.shape();
            int channels;
            if (s.length == 3) {
                channels = 1;
            } else if (s.length == 4 && (s[3] == 1 || s[3] == 3)) {
                channels = (int) s[3];
            } else if (s.length == 4) {
                throw new BadRecordException(name + " key " + split + "_images: shape " + images.shapeString()
                        + " is not (N, H, W) or (N, H, W, 1|3); 3D (N, D, H, W) volumes are not supported");
            } else {
                throw new BadRecordException(name + " key " + split + "_images: shape " + images.shapeString()
                        + " is not (N, H, W) or (N, H, W, 1|3)");
            }
            long n = s[0];
            if (n != labels.shape()[0]) {
                throw new BadRecordException(name + ": " + split + "_images holds " + n + " images but "
                        + split + "_labels holds " + labels.shape()[0] + " labels");
            }
            if (s[1] < 1 || s[2] < 1) {
                throw new BadRecordException(name + " key " + split + "_images: empty images " + images.shapeString());
            }
            int h = (int) s[1];
            int w = (int) s[2];
            float scale = pixelScale(images);
            int per = channels * h * w;
            for (int i = 0; i < n; i++) {
                String id = name + ":" + split + "[" + i + "]";
                try {
                    int label = label(labels, i, id, numClasses);
                    Image image = image(images, i, channels, h, w, per, scale, id);
                    samples.add(new Sample(id, image, label, null, split));
                    maxLabel = Math.max(maxLabel, label);
                } catch (BadRecordException e) {
                    onBad.handle(e);
                    skipped++;
                }
            }
        }
        int classes = numClasses > 0 ? numClasses : maxLabel + 1;
        return SampleSets.finish(name, samples, SampleSets.numbered(Math.max(classes, 0)), skipped, splits);
    }

    private static void checkLabelShape(NpyArray labels, String name, String split) {
        long[] s = labels.shape();
        if (s.length == 2 && s[1] > 1) {
            throw new BadRecordException(name + " key " + split + "_labels: shape " + labels.shapeString()
                    + " has " + s[1] + " label columns: multi-label data sets (such as ChestMNIST) are not supported");
        }
        if (!(s.length == 1 || (s.length == 2 && s[1] == 1))) {
            throw new BadRecordException(name + " key " + split + "_labels: shape " + labels.shapeString()
                    + " is not (N,) or (N, 1)");
        }
    }

    private static int label(NpyArray labels, int i, String id, int numClasses) {
        double v = labels.getDouble(i);
        if (Double.isNaN(v) || Double.isInfinite(v) || v != Math.rint(v)) {
            throw new BadRecordException(id + ": label " + v + " is not an integer");
        }
        int bound = numClasses > 0 ? numClasses : SampleSets.MAX_INFERRED_CLASSES;
        if (v < 0 || v >= bound) {
            throw new BadRecordException(id + ": label " + (long) v + " is out of range [0, " + bound + ")"
                    + (numClasses > 0 ? "" : " (the most classes inferred from labels)"));
        }
        return (int) v;
    }

    /** 1/255 or 1/65535 for integer arrays, 1 for floats. */
    private static float pixelScale(NpyArray images) {
        if (images.isFloat()) {
            return 1f;
        }
        if (images.dtype().equals("u1") || images.dtype().equals("b1")) {
            return 1f / 255f;
        }
        long size = images.size();
        for (long i = 0; i < size; i++) {
            double v = images.getDouble(i);
            if (v > 255) {
                return 1f / 65535f;
            }
        }
        return 1f / 255f;
    }

    private static Image image(NpyArray a, int i, int channels, int h, int w, int per, float scale, String id) {
        float[] data = new float[per];
        long base = (long) i * per;
        boolean u1 = a.dtype().equals("u1");
        int hw = h * w;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < channels; c++) {
                    long src = base + ((long) y * w + x) * channels + c;
                    float v;
                    if (u1) {
                        v = (a.data().get((int) src) & 0xff) * scale;
                    } else {
                        double d = a.getDouble(src);
                        if (Double.isNaN(d) || Double.isInfinite(d)) {
                            throw new BadRecordException(id + ": pixel (" + c + ", " + y + ", " + x + ") is " + d);
                        }
                        if (!a.isFloat() && (d < 0 || d > 65535)) {
                            throw new BadRecordException(id + ": pixel (" + c + ", " + y + ", " + x + ") = "
                                    + (long) d + " is outside 0..65535");
                        }
                        v = (float) (d * scale);
                        if (Float.isInfinite(v)) {
                            throw new BadRecordException(id + ": pixel (" + c + ", " + y + ", " + x + ") = " + d
                                    + " overflows float");
                        }
                    }
                    data[c * hw + y * w + x] = v;
                }
            }
        }
        return new Image(data, channels, h, w);
    }
}
