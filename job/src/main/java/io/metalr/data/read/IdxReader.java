package io.metalr.data.read;

import io.metalr.data.records.RecordTable;
import io.metalr.udf.image.BadRecordException;
import io.metalr.udf.image.Image;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToLongFunction;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;

/**
 * The MNIST IDX format, as MNIST and Fashion-MNIST ship it: a directory holding
 * {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte}
 * and {@code t10k-labels-idx1-ubyte}, each raw or {@code .gz} (a "." in place of the "-" before
 * {@code idx}, as some copies name them, works too). train is split "train", t10k split "test"; a
 * directory may hold only one of the two pairs.
 *
 * <p>Images: magic {@code 0x00000803} (unsigned bytes, 3 dimensions), big-endian int32 dimensions
 * N, H, W; pixels scaled by 1/255. Labels: magic {@code 0x00000801}, N. Image and label counts that
 * differ are an error naming both files. A file cut short (raw or gzip) leaves its last records
 * incomplete: they are bad records, so SKIP counts them. A label above 9 is a bad record.
 *
 * <p>Class names: Fashion-MNIST's ten when the directory's name contains "fashion" (any case),
 * else the digits "0".."9". Sample ids look like {@code train-images-idx3-ubyte.gz[17]}.
 */
public final class IdxReader {

    /** Fashion-MNIST's class names, by label. */
    public static final List<String> FASHION_CLASSES = List.of(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** MNIST's class names, by label. */
    public static final List<String> DIGIT_CLASSES = SampleSets.numbered(10);

    private static final int IMAGES_MAGIC = 0x00000803;
    private static final int LABELS_MAGIC = 0x00000801;

    private IdxReader() {}

    public static SampleSet read(String dir, OnBadRecord onBad) throws IOException {
        return read(dir, onBad, DataPaths.configuration());
    }

    public static SampleSet read(String dir, OnBadRecord onBad, Configuration conf) throws IOException {
        return read(dir, onBad, DataLimits.DEFAULTS, conf);
    }

    /** Reads the directory; each file may hold at most {@code limits.maxFileBytes()} (gunzipped). */
    public static SampleSet read(String dir, OnBadRecord onBad, DataLimits limits, Configuration conf)
            throws IOException {
        List<FileStatus> entries = DataPaths.listStatus(dir, conf);
        String dirName = DataPaths.name(dir);
        List<String> classes = dirName.toLowerCase(Locale.ROOT).contains("fashion") ? FASHION_CLASSES : DIGIT_CLASSES;
        List<Sample> samples = new ArrayList<>();
        long[] skipped = {0};
        List<String> splits = new ArrayList<>();
        for (String[] part : new String[][] {{"train", "train"}, {"t10k", "test"}}) {
            String images = find(entries, part[0], "images", "idx3-ubyte");
            String labels = find(entries, part[0], "labels", "idx1-ubyte");
            if (images == null && labels == null) {
                continue;
            }
            if (images == null || labels == null) {
                throw new FileNotFoundException(dir + ": has " + DataPaths.name(images != null ? images : labels)
                        + " but no " + part[0] + "-" + (images == null ? "images-idx3-ubyte" : "labels-idx1-ubyte")
                        + "[.gz]");
            }
            splits.add(part[1]);
            readPair(images, labels, part[1], classes.size(), onBad, limits, conf, samples, skipped);
        }
        if (splits.isEmpty()) {
            throw new FileNotFoundException(dir + ": no IDX files (train-images-idx3-ubyte[.gz],"
                    + " train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz])");
        }
        return SampleSets.finish(dirName, samples, classes, skipped[0], splits);
    }

    /**
     * The directory's records, read without their images: the driver reads the label files and
     * the image files' 16-byte headers, checks them as {@link #read} does (same messages); rid =
     * the record's place in {@link #read}'s order (train, then t10k, then rows), counting rows
     * skipped for a bad label. A raw images file is cut into row ranges of about
     * {@code partBytes}; a {@code .gz} one is one part, streamed by one task, which finds a
     * cut-off tail (its missing rows are bad records with {@link #read}'s message). Images are
     * 8-bit codes, 1 byte a pixel in a store.
     */
    public static RecordTable records(String dir, OnBadRecord onBad, DataLimits limits, long partBytes,
            Configuration conf) throws IOException {
        List<FileStatus> entries = DataPaths.listStatus(dir, conf);
        String dirName = DataPaths.name(dir);
        List<String> classes = dirName.toLowerCase(Locale.ROOT).contains("fashion") ? FASHION_CLASSES : DIGIT_CLASSES;
        RecordList out = new RecordList();
        List<IdxSource.Part> parts = new ArrayList<>();
        long[] skipped = {0};
        List<String> splits = new ArrayList<>();
        long ridBase = 0;
        for (String[] part : new String[][] {{"train", "train"}, {"t10k", "test"}}) {
            String images = find(entries, part[0], "images", "idx3-ubyte");
            String labels = find(entries, part[0], "labels", "idx1-ubyte");
            if (images == null && labels == null) {
                continue;
            }
            if (images == null || labels == null) {
                throw new FileNotFoundException(dir + ": has " + DataPaths.name(images != null ? images : labels)
                        + " but no " + part[0] + "-" + (images == null ? "images-idx3-ubyte" : "labels-idx1-ubyte")
                        + "[.gz]");
            }
            splits.add(part[1]);
            ridBase += pairRecords(images, labels, part[1], classes.size(), onBad, limits, partBytes, conf, out, parts,
                    skipped, ridBase);
        }
        if (splits.isEmpty()) {
            throw new FileNotFoundException(dir + ": no IDX files (train-images-idx3-ubyte[.gz],"
                    + " train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz])");
        }
        return out.finish(new IdxSource(dir, dirName, parts), dirName, classes, skipped[0], splits);
    }

    /** One images/labels pair's records and parts; returns the images' declared count. */
    private static long pairRecords(String imagesPath, String labelsPath, String split, int numClasses,
            OnBadRecord onBad, DataLimits limits, long partBytes, Configuration conf, RecordList out,
            List<IdxSource.Part> parts, long[] skipped, long ridBase) throws IOException {
        String imagesName = DataPaths.name(imagesPath);
        String labelsName = DataPaths.name(labelsPath);
        boolean gz = imagesPath.endsWith(".gz");
        byte[] head;
        try (java.io.InputStream in = DataPaths.openMaybeGunzip(imagesPath, conf)) {
            head = in.readNBytes(16);
        } catch (java.io.EOFException e) {
            head = new byte[0];
        }
        ByteBuffer img = ByteBuffer.wrap(head);
        ByteBuffer lab = ByteBuffer.wrap(readLenient(labelsPath, 8, IdxReader::labelsFileSize, limits, conf));
        int[] dims = checkHeaders(img, lab, imagesName, labelsName);
        int n = dims[0];
        int h = dims[1];
        int w = dims[2];
        long per = (long) h * w;
        // a gzip file's complete images are known only once inflated: its task finds a cut-off tail
        long imagesPresent = gz ? n
                : (DataPaths.dataFile(imagesPath, conf).getLen() - 16) / per;
        long labelsPresent = lab.limit() - 8L;
        int present = (int) Math.min(n, Math.min(imagesPresent, labelsPresent));
        for (int i = 0; i < present; i++) {
            try {
                int label = lab.get(8 + i) & 0xff;
                if (label >= numClasses) {
                    throw new BadRecordException(labelsName + "[" + i + "]: label " + label
                            + " is out of range [0, " + numClasses + ")");
                }
                out.add(ridBase + i, label, null, split);
            } catch (BadRecordException e) {
                onBad.handle(e);
                skipped[0]++;
            }
        }
        if (n > present) {
            onBad.handle(present >= imagesPresent
                    ? new BadRecordException(imagesName + "[" + present + "]: truncated file: header says " + n
                            + " images of " + h + "x" + w + ", only " + imagesPresent + " complete")
                    : new BadRecordException(labelsName + "[" + present + "]: truncated file: header says " + n
                            + " labels, only " + labelsPresent + " present"));
            skipped[0] += n - present;
        }
        long perPart = gz ? Math.max(1, present) : Math.max(1, partBytes / per);
        for (long from = 0; from < present; from += perPart) {
            parts.add(new IdxSource.Part(imagesPath, imagesName, n, h, w, from, Math.min(present, from + perPart),
                    ridBase, gz));
        }
        return n;
    }

    /**
     * The images' count, height and width from the two files' headers (the images' 16 bytes, the
     * labels' 8), checked: magic numbers, dimensions, and as many labels as images.
     */
    private static int[] checkHeaders(ByteBuffer img, ByteBuffer lab, String imagesName, String labelsName) {
        if (img.limit() < 16 || img.getInt(0) != IMAGES_MAGIC) {
            throw new BadRecordException(imagesName + ": not an IDX image file (magic "
                    + (img.limit() >= 4 ? String.format("0x%08x", img.getInt(0)) : "missing")
                    + ", expected 0x00000803: unsigned bytes, 3 dimensions)");
        }
        if (lab.limit() < 8 || lab.getInt(0) != LABELS_MAGIC) {
            throw new BadRecordException(labelsName + ": not an IDX label file (magic "
                    + (lab.limit() >= 4 ? String.format("0x%08x", lab.getInt(0)) : "missing")
                    + ", expected 0x00000801)");
        }
        int n = img.getInt(4);
        int h = img.getInt(8);
        int w = img.getInt(12);
        int nLabels = lab.getInt(4);
        if (n < 0 || h < 1 || w < 1 || (long) h * w > Integer.MAX_VALUE) {
            throw new BadRecordException(imagesName + ": bad IDX dimensions " + n + " x " + h + " x " + w);
        }
        if (n != nLabels) {
            throw new BadRecordException(imagesName + " holds " + n + " images but " + labelsName
                    + " holds " + nLabels + " labels");
        }
        return new int[] {n, h, w};
    }

    private static String find(List<FileStatus> entries, String prefix, String kind, String suffix) {
        for (String sep : new String[] {"-", "."}) {
            String want = prefix + "-" + kind + sep + suffix;
            for (FileStatus s : entries) {
                String n = s.getPath().getName();
                if (s.isFile() && (n.equals(want) || n.equals(want + ".gz"))) {
                    return s.getPath().toString();
                }
            }
        }
        return null;
    }

    private static void readPair(String imagesPath, String labelsPath, String split, int numClasses,
            OnBadRecord onBad, DataLimits limits, Configuration conf, List<Sample> out, long[] skipped)
            throws IOException {
        String imagesName = DataPaths.name(imagesPath);
        String labelsName = DataPaths.name(labelsPath);
        ByteBuffer img = ByteBuffer.wrap(readLenient(imagesPath, 16, IdxReader::imagesFileSize, limits, conf));
        ByteBuffer lab = ByteBuffer.wrap(readLenient(labelsPath, 8, IdxReader::labelsFileSize, limits, conf));
        int[] dims = checkHeaders(img, lab, imagesName, labelsName);
        int n = dims[0];
        int h = dims[1];
        int w = dims[2];
        int per = h * w;
        long imagesPresent = (img.limit() - 16L) / per;
        long labelsPresent = lab.limit() - 8L;
        // records the files hold; the header may claim far more (up to 2^31 - 1 in a few bytes)
        int present = (int) Math.min(n, Math.min(imagesPresent, labelsPresent));
        for (int i = 0; i < present; i++) {
            String id = imagesName + "[" + i + "]";
            try {
                int label = lab.get(8 + i) & 0xff;
                if (label >= numClasses) {
                    throw new BadRecordException(labelsName + "[" + i + "]: label " + label
                            + " is out of range [0, " + numClasses + ")");
                }
                float[] data = new float[per];
                int base = 16 + i * per; // within the buffer: i < imagesPresent
                for (int k = 0; k < per; k++) {
                    data[k] = (img.get(base + k) & 0xff) / 255f;
                }
                out.add(new Sample(id, new Image(data, 1, h, w), label, null, split));
            } catch (BadRecordException e) {
                onBad.handle(e);
                skipped[0]++;
            }
        }
        if (n > present) {
            // the missing tail is one fault, reported once and counted per record
            onBad.handle(present >= imagesPresent
                    ? new BadRecordException(imagesName + "[" + present + "]: truncated file: header says " + n
                            + " images of " + h + "x" + w + ", only " + imagesPresent + " complete")
                    : new BadRecordException(labelsName + "[" + present + "]: truncated file: header says " + n
                            + " labels, only " + labelsPresent + " present"));
            skipped[0] += n - present;
        }
    }

    /**
     * The file's bytes, gunzipped, up to a cut-off gzip tail (whose records are then missing), no
     * more than its header declares plus a little slack and no more than the limit: so a gzip bomb
     * is refused naming the file. A header that declares more than the file holds is not refused
     * here: the missing records are counted as bad records.
     */
    private static byte[] readLenient(String path, int headerBytes, ToLongFunction<byte[]> size,
            DataLimits limits, Configuration conf) throws IOException {
        boolean[] truncated = {false};
        return DataPaths.readData(path, limits.maxFileBytes(), headerBytes, size, truncated, conf);
    }

    /** 16 + N x H x W as the header declares them; -1 for a header the reader refuses anyway. */
    private static long imagesFileSize(byte[] header) {
        ByteBuffer b = ByteBuffer.wrap(header);
        long n = b.getInt(4);
        long h = b.getInt(8);
        long w = b.getInt(12);
        boolean refused = b.getInt(0) != IMAGES_MAGIC || n < 0 || h < 1 || w < 1 || h * w > Integer.MAX_VALUE;
        return refused ? -1 : 16 + n * (h * w); // under 2^62
    }

    /** 8 + N as the header declares it. */
    private static long labelsFileSize(byte[] header) {
        ByteBuffer b = ByteBuffer.wrap(header);
        return b.getInt(0) != LABELS_MAGIC || b.getInt(4) < 0 ? -1 : 8L + b.getInt(4);
    }
}
