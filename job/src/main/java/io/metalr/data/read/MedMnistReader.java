package io.metalr.data.read;

import io.metalr.data.records.RecordSource;
import io.metalr.data.records.RecordTable;
import io.metalr.formats.BoundedZip;
import io.metalr.formats.MalformedFileException;
import io.metalr.formats.NpyArray;
import io.metalr.formats.NpyFormat;
import io.metalr.udf.image.BadRecordException;
import io.metalr.udf.image.Image;
import io.metalr.udf.image.RawImage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.function.UnaryOperator;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;

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
        List<String> splits = splitsOf(keys, name);
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
            int channels = checkImages(images.shape(), images.shapeString(), labels.shape()[0], name, split);
            long n = s[0];
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

    /**
     * The file's records, read in place without its images: the driver reads the zip's central
     * directory, the {@code *_labels} arrays and the {@code *_images} headers (checked as
     * {@link #parse} checks them, same messages); rid = the record's place in {@link #parse}'s
     * order (splits train, val, test, then rows), counting rows skipped for a bad label. A STORED
     * images entry is cut into row ranges of about {@code partBytes}; a DEFLATED one, or one of
     * integers other than uint8, is one part (see {@link NpzSource}). A bad pixel is found where
     * the image is read, with {@link #parse}'s message. uint8 images are stored as 8-bit codes of
     * depth {@code U8_SCALED} (their values are today's {@code v * (1f / 255f)}, bitwise); other
     * dtypes as today's floats. A gzipped {@code .npz.gz} is inflated twice, once here for the
     * labels and once by the one task that reads its images (see {@link #gzippedRecords}).
     */
    public static RecordTable records(String path, OnBadRecord onBad, int numClasses, DataLimits limits,
            long partBytes, Configuration conf) throws IOException {
        if (numClasses < 0) {
            throw new IllegalArgumentException("numClasses must be >= 0, not " + numClasses);
        }
        if (DataPaths.isGzipName(path)) {
            return gzippedRecords(path, onBad, numClasses, limits, conf);
        }
        String name = DataPaths.name(path);
        long length = DataPaths.dataFile(path, conf).getLen();
        List<NpzSource.Part> parts = new ArrayList<>();
        Labelled records = new Labelled(name, numClasses, onBad);
        try (FSDataInputStream in = (FSDataInputStream) DataPaths.open(path, conf)) {
            BoundedZip.Ranges r = in::readFully;
            UnaryOperator<String> label = n -> name + " key " + Npy.key(n);
            Map<String, BoundedZip.Entry> entries = new LinkedHashMap<>();
            for (BoundedZip.Entry e : BoundedZip.directory(r, length, name, ".npz file", label).values()) {
                entries.put(Npy.key(e.name()), e);
            }
            List<String> splits = splitsOf(new ArrayList<>(entries.keySet()), name);
            BoundedZip.Limits limit = new BoundedZip.Limits(limits.maxFileBytes(), "data.max_file_bytes", 0);
            Map<String, NpyArray> labelArrays = new LinkedHashMap<>();
            for (String split : splits) {
                String key = split + "_labels";
                labelArrays.put(split, NpyFormat.parse(BoundedZip.readEntry(r, length, entries.get(key), label, limit),
                        name + " key " + key, Npy.DTYPES, Npy.SUPPORTED));
            }
            records.labels(splits, labelArrays);
            for (String split : splits) {
                BoundedZip.Entry e = entries.get(split + "_images");
                long start = BoundedZip.dataStart(r, length, e, label);
                NpyFormat.Header h = NpyFormat.header(ByteBuffer.wrap(head(in, start, e, label.apply(e.name()))),
                        name + " key " + split + "_images", Npy.DTYPES, Npy.SUPPORTED);
                long ridBase = records.ridBase();
                long n = records.split(split, h, e.method() == 0 ? e.size() : -1);
                boolean whole = e.method() != 0 || !(h.code().equals("u1") || h.code().equals("b1")
                        || h.code().startsWith("f"));
                long rowBytes = h.dataBytes() / Math.max(1, n);
                long perPart = whole ? Math.max(1, n) : Math.max(1, partBytes / Math.max(1, rowBytes));
                for (long from = 0; from < n; from += perPart) {
                    parts.add(new NpzSource.Part(split, e.name(), e.method(), e.compressedSize(), e.size(), e.crc(),
                            e.localOffset(), h.code(), h.descr(), h.shape(), h.dataStart(),
                            h.order() == ByteOrder.BIG_ENDIAN, from, Math.min(n, from + perPart), ridBase, whole));
                }
            }
        } catch (MalformedFileException e) {
            throw new BadRecordException(e.getMessage(), e);
        }
        return records.finish(new NpzSource(path, name, limits.maxFileBytes(), parts));
    }

    /**
     * The records of a gzipped {@code .npz}: a gzip stream cannot be entered in the middle, so the
     * driver inflates it once for the labels (holding the {@code *_labels} arrays and the first
     * bytes of each {@code *_images} entry, passing over the rest) and one task inflates it again
     * for the images ({@link NpzGzSource}): the file is not split, and costs two inflations.
     */
    private static RecordTable gzippedRecords(String path, OnBadRecord onBad, int numClasses, DataLimits limits,
            Configuration conf) throws IOException {
        String name = DataPaths.name(path);
        List<String> keys = new ArrayList<>();
        Map<String, NpyArray> labelArrays = new LinkedHashMap<>();
        Map<String, NpyFormat.Header> headers = new LinkedHashMap<>();
        Map<String, Long> sizes = new LinkedHashMap<>();
        try (GzippedNpz in = GzippedNpz.open(path, limits.maxFileBytes(), conf)) {
            for (String key; (key = in.next()) != null;) {
                keys.add(key);
                int cut = key.lastIndexOf('_');
                if (cut < 0 || !SampleSets.NAMES.contains(key.substring(0, cut))) {
                    continue;
                }
                if (key.endsWith("_labels")) {
                    labelArrays.put(key.substring(0, cut), in.array());
                } else if (key.endsWith("_images")) {
                    headers.put(key.substring(0, cut), NpyFormat.header(ByteBuffer.wrap(in.head((1 << 17) + 16)),
                            in.where(), Npy.DTYPES, Npy.SUPPORTED));
                    sizes.put(key.substring(0, cut), in.size());
                }
            }
        } catch (MalformedFileException e) {
            throw new BadRecordException(e.getMessage(), e);
        }
        List<String> splits = splitsOf(keys, name);
        Labelled records = new Labelled(name, numClasses, onBad);
        records.labels(splits, labelArrays);
        List<NpzGzSource.Split> part = new ArrayList<>();
        for (String split : splits) {
            long ridBase = records.ridBase();
            part.add(new NpzGzSource.Split(split, ridBase, records.split(split, headers.get(split), sizes.get(split))));
        }
        return records.finish(new NpzGzSource(path, name, limits.maxFileBytes(), List.of(new NpzGzSource.Part(part))));
    }

    /** The records the driver finds in a file's labels, split by split, checked as {@link #parse} checks them. */
    private static final class Labelled {
        private final String name;
        private final int numClasses;
        private final OnBadRecord onBad;
        private final RecordList records = new RecordList();
        private final List<String> splits = new ArrayList<>();
        private Map<String, NpyArray> labels;
        private long ridBase;
        private long skipped;
        private int maxLabel = -1;

        Labelled(String name, int numClasses, OnBadRecord onBad) {
            this.name = name;
            this.numClasses = numClasses;
            this.onBad = onBad;
        }

        /**
         * Every split's labels (by split), checked first as {@link #parse} checks them: a
         * multi-label file is refused before any image is looked at.
         */
        void labels(List<String> splits, Map<String, NpyArray> bySplit) {
            for (String split : splits) {
                checkLabelShape(bySplit.get(split), name, split);
            }
            this.splits.addAll(splits);
            this.labels = bySplit;
        }

        /** The rid of the next split's first row. */
        long ridBase() {
            return ridBase;
        }

        /**
         * Adds a split's records (rids from {@link #ridBase}, counting rows skipped for a bad label)
         * after checking its images' header against its labels; returns its row count.
         *
         * @param entryBytes the images entry's size, checked against its header; -1 = not known here
         */
        long split(String split, NpyFormat.Header h, long entryBytes) {
            NpyArray labels = this.labels.get(split);
            if (entryBytes >= 0 && h.dataStart() + h.dataBytes() != entryBytes) {
                throw new BadRecordException(name + " key " + split + "_images: " + (entryBytes < h.dataStart()
                        + h.dataBytes() ? "truncated" : "corrupt") + " .npy data: shape "
                        + java.util.Arrays.toString(h.shape()) + " of " + h.descr() + " needs " + h.dataBytes()
                        + " bytes, " + (entryBytes - h.dataStart()) + " present");
            }
            String shape = new NpyArray(h.code(), h.descr(), h.shape(), ByteBuffer.allocate(0)).shapeString();
            checkImages(h.shape(), shape, labels.shape()[0], name, split);
            long n = h.shape()[0];
            for (int i = 0; i < n; i++) {
                try {
                    int lab = label(labels, i, name + ":" + split + "[" + i + "]", numClasses);
                    records.add(ridBase + i, lab, null, split);
                    maxLabel = Math.max(maxLabel, lab);
                } catch (BadRecordException ex) {
                    onBad.handle(ex);
                    skipped++;
                }
            }
            ridBase += n;
            return n;
        }

        RecordTable finish(RecordSource source) {
            int classes = numClasses > 0 ? numClasses : maxLabel + 1;
            return records.finish(source, name, SampleSets.numbered(Math.max(classes, 0)), skipped, splits);
        }
    }

    /** The splits with images and labels, in train, val, test order; a half split or none is refused. */
    private static List<String> splitsOf(List<String> keys, String name) {
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
        return splits;
    }

    /** The first bytes of an entry (enough for any .npy header), inflated if it is deflated. */
    private static byte[] head(FSDataInputStream in, long start, BoundedZip.Entry e, String where) throws IOException {
        int want = (int) Math.min(e.size(), (1 << 17) + 16);
        byte[] raw = new byte[(int) Math.min(e.compressedSize(), e.method() == 0 ? want : want + 4096L)];
        in.readFully(start, raw, 0, raw.length);
        if (e.method() == 0) {
            return raw;
        }
        if (e.method() != 8) {
            throw new MalformedFileException(where + ": zip compression method " + e.method()
                    + " is not supported (stored or deflated only)");
        }
        Inflater inf = new Inflater(true);
        try {
            inf.setInput(raw);
            byte[] out = new byte[want];
            int got = 0;
            while (got < want && !inf.finished() && !inf.needsInput()) {
                int k = inf.inflate(out, got, want - got);
                if (k == 0 && (inf.needsDictionary() || inf.needsInput())) {
                    break;
                }
                got += k;
            }
            return java.util.Arrays.copyOf(out, got);
        } catch (DataFormatException ex) {
            throw new MalformedFileException(where + ": not valid deflate data (corrupt archive): " + ex.getMessage(), ex);
        } finally {
            inf.end();
        }
    }

    /** The images' channels; a shape MedMNIST does not have, or a count unlike the labels', is refused. */
    private static int checkImages(long[] s, String shape, long labelCount, String name, String split) {
        int channels;
        if (s.length == 3) {
            channels = 1;
        } else if (s.length == 4 && (s[3] == 1 || s[3] == 3)) {
            channels = (int) s[3];
        } else if (s.length == 4) {
            throw new BadRecordException(name + " key " + split + "_images: shape " + shape
                    + " is not (N, H, W) or (N, H, W, 1|3); 3D (N, D, H, W) volumes are not supported");
        } else {
            throw new BadRecordException(name + " key " + split + "_images: shape " + shape
                    + " is not (N, H, W) or (N, H, W, 1|3)");
        }
        if (s[0] != labelCount) {
            throw new BadRecordException(name + ": " + split + "_images holds " + s[0] + " images but "
                    + split + "_labels holds " + labelCount + " labels");
        }
        if (s[1] < 1 || s[2] < 1) {
            throw new BadRecordException(name + " key " + split + "_images: empty images " + shape);
        }
        return channels;
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
    static float pixelScale(NpyArray images) {
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

    /**
     * Image {@code i} at its source depth: a uint8 array's rows stay 8-bit codes (1 byte a value
     * in a store) whose values are bitwise {@link #image}'s {@code v * (1f / 255f)}; other dtypes
     * are {@link #image}'s floats.
     */
    static RawImage raw(NpyArray a, int i, int channels, int h, int w, int per, float scale, String id) {
        if (!a.dtype().equals("u1") || scale != 1f / 255f) {
            return RawImage.of(image(a, i, channels, h, w, per, scale, id));
        }
        byte[] codes = new byte[per];
        long base = (long) i * per;
        int hw = h * w;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < channels; c++) {
                    codes[c * hw + y * w + x] = a.data().get((int) (base + ((long) y * w + x) * channels + c));
                }
            }
        }
        return RawImage.u8Scaled(codes, channels, h, w);
    }

    static Image image(NpyArray a, int i, int channels, int h, int w, int per, float scale, String id) {
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
